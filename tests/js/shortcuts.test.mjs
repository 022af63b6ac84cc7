// The keymap (review_ui/js/shortcuts.js): one table for the key dispatch and the help overlay.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BINDINGS, SHORTCUTS, actionFor, actionsOf, keyHandler } from "../../review_ui/js/shortcuts.js";

const TEXT_INPUT = { tagName: "INPUT", type: "text" };
const BUTTON = { tagName: "BUTTON" };

/** A keydown as the browser makes it: `mods` like "ctrl+alt", `target` where it happens. */
function keydown(key, code, mods = "", target = BUTTON) {
  const held = new Set(mods.split("+").filter(Boolean));
  return {
    key, code, target,
    ctrlKey: held.has("ctrl"), altKey: held.has("alt"), shiftKey: held.has("shift"), metaKey: held.has("meta"),
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

// The keys each screen dispatched on, and the switchboards as they were before the keymap
// (review.js handleKey / fieldKey / noteKey, app.js, conflict.js, the flag and reject dialogs,
// dom.js modal, queue.js at 2dfdee6), answering with the keymap's action names. The keymap must
// answer exactly as they did for every key below, with every modifier, typing or not.
const KEYS = [
  ["Enter", "Enter"], ["Enter", "NumpadEnter"], ["s", "KeyS"], ["S", "KeyS"], ["f", "KeyF"], ["h", "KeyH"],
  ["a", "KeyA"], ["j", "KeyJ"], ["r", "KeyR"], ["n", "KeyN"], ["ß", "KeyS"], ["PageDown", "PageDown"],
  ["PageUp", "PageUp"], ["ArrowRight", "ArrowRight"], ["ArrowLeft", "ArrowLeft"], ["ArrowDown", "ArrowDown"],
  ["ArrowUp", "ArrowUp"], ["+", "Equal"], ["=", "Equal"], ["+", "NumpadAdd"], ["-", "Minus"],
  ["-", "NumpadSubtract"], ["_", "Minus"], ["0", "Digit0"], ["0", "Numpad0"], [")", "Digit0"], ["Tab", "Tab"],
  ["Escape", "Escape"], ["?", "Slash"], ["/", "Slash"], ["F1", "F1"], ["1", "Digit1"], ["2", "Digit2"],
  ["3", "Digit3"], ["!", "Digit1"], ["4", "Digit4"], ["x", "KeyX"], [" ", "Space"],
];

const BEFORE = {
  review(ev, typing) {
    const k = ev.code;
    if (ev.ctrlKey && ev.key === "Enter") return "confirm";
    if (ev.ctrlKey && k === "KeyS") return "save";
    if (ev.altKey && k === "KeyF") return "flag";
    if (ev.key === "PageDown" || (ev.altKey && ev.key === "ArrowRight")) return "next-record";
    if (ev.key === "PageUp" || (ev.altKey && ev.key === "ArrowLeft")) return "prev-record";
    if (ev.altKey && k === "KeyH") return "history";
    if (ev.altKey && k === "KeyA") return "approve";
    if (ev.altKey && k === "KeyJ") return "reject";
    if ((ev.altKey || !typing) && !ev.ctrlKey && (ev.key === "+" || ev.key === "=" || k === "NumpadAdd")) return "zoom-in";
    if ((ev.altKey || !typing) && !ev.ctrlKey && (ev.key === "-" || k === "NumpadSubtract")) return "zoom-out";
    if ((ev.altKey || !typing) && !ev.ctrlKey && (ev.key === "0" || k === "Digit0")) return "fit";
    return null;
  },
  field(ev) {
    if (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey) return ev.shiftKey ? "prev-field" : "next-field";
    if (ev.key === "Enter" && !ev.ctrlKey && !ev.altKey && !ev.shiftKey && !ev.metaKey) return "accept";
    if ((ev.key === "ArrowDown" || ev.key === "ArrowUp") && !ev.ctrlKey) {
      return ev.key === "ArrowDown" ? "suggestion-down" : "suggestion-up";
    }
    if (ev.key === "Escape") return "escape";
    if (ev.altKey && ev.code === "KeyR") return "raw";
    if (ev.altKey && ev.code === "KeyN") return "note";
    return null;
  },
  note(ev) {
    if (ev.key === "Enter" && !ev.ctrlKey && !ev.altKey) return "accept";
    if (ev.key === "Escape" || (ev.altKey && ev.code === "KeyN")) return "close-note";
    if (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey) return ev.shiftKey ? "to-field" : "next-field";
    return null;
  },
  app(ev, typing) {
    const typingPlain = typing && !ev.ctrlKey && !ev.altKey;
    if ((ev.key === "?" && !typingPlain) || ev.key === "F1") return "help";
    // Added with the search screen (#14): "/" outside a text field, no Ctrl or Alt.
    return ev.key === "/" && !typing && !ev.ctrlKey && !ev.altKey ? "search" : null;
  },
  dialog: (ev) => (ev.key === "Escape" ? "close" : null),
  queue: (ev) => ({ ArrowDown: "next-book", ArrowUp: "prev-book" })[ev.key] || null,
  // The upload screen (upload.js), new with it: Ctrl+Enter sends the chosen files.
  upload: (ev) => (ev.ctrlKey && ev.key === "Enter" ? "submit" : null),
  conflict: (ev) => (ev.altKey && ev.key === "1" ? "theirs" : ev.altKey && ev.key === "2" ? "merge" : null),
  flag: (ev) => ({ 1: "reason-1", 2: "reason-2", 3: "reason-3", Enter: "submit" })[ev.key] || null,
  reject: (ev) => (ev.key === "Enter" && ev.ctrlKey ? "submit" : null),
};

const MODIFIER_SETS = [];
for (let bits = 0; bits < 16; bits++) {
  MODIFIER_SETS.push(["ctrl", "alt", "shift", "meta"].filter((_, i) => bits & (1 << i)).join("+"));
}

describe("the keymap answers as the screens did before it", () => {
  for (const [scope, before] of Object.entries(BEFORE)) {
    test(`scope ${scope}: every key, every modifier, typing or not`, () => {
      const differences = [];
      for (const [key, code] of KEYS) {
        for (const mods of MODIFIER_SETS) {
          for (const target of [BUTTON, TEXT_INPUT]) {
            const ev = keydown(key, code, mods, target);
            const want = before(ev, target === TEXT_INPUT);
            const got = actionFor(ev, scope);
            if (got !== want) differences.push(`${mods || "-"} ${key}/${code} in ${target.tagName}: ${got} != ${want}`);
          }
        }
      }
      assert.deepEqual(differences, []);
    });
  }

  test("every scope in the table is checked above", () => {
    assert.deepEqual([...new Set(BINDINGS.map((b) => b.scope))].sort(), Object.keys(BEFORE).sort());
  });
});

describe("reading the keymap", () => {
  test("the keys the clerk uses most", () => {
    assert.equal(actionFor(keydown("Enter", "Enter", "ctrl", TEXT_INPUT), "review"), "confirm");
    assert.equal(actionFor(keydown("s", "KeyS", "ctrl", TEXT_INPUT), "review"), "save");
    assert.equal(actionFor(keydown("=", "Equal", "", TEXT_INPUT), "review"), null); // typing "="
    assert.equal(actionFor(keydown("=", "Equal", "alt", TEXT_INPUT), "review"), "zoom-in");
    assert.equal(actionFor(keydown("=", "Equal"), "review"), "zoom-in");
    assert.equal(actionFor(keydown("Enter", "Enter", "shift", TEXT_INPUT), "field"), null);
    assert.equal(actionFor(keydown("Enter", "Enter", "shift", TEXT_INPUT), "note"), "accept");
    assert.equal(actionFor(keydown("?", "Slash", "shift", TEXT_INPUT), "app"), null); // typing "?"
    assert.equal(actionFor(keydown("?", "Slash", "alt+shift", TEXT_INPUT), "app"), "help");
    assert.equal(actionFor(keydown("/", "Slash"), "app"), "search");
    assert.equal(actionFor(keydown("/", "Slash", "", TEXT_INPUT), "app"), null); // typing "/" (a date)
  });

  test("no binding is shadowed by an earlier one of its scope", () => {
    for (const b of BINDINGS) {
      for (const combo of b.combos) {
        const key = Array.isArray(combo.key) ? combo.key[0] : combo.key;
        const code = Array.isArray(combo.code) ? combo.code[0] : combo.code;
        const mods = ["ctrl", "alt", "shift", "meta"].filter((m) => combo[m]).join("+");
        assert.equal(actionFor(keydown(key, code, mods), b.scope), b.action, JSON.stringify(combo));
      }
    }
  });

  test("the help shows every row with its keys and what they do; each bound row binds something", () => {
    assert.ok(SHORTCUTS.length >= 7);
    for (const { title, rows } of SHORTCUTS) {
      assert.ok(title && rows.length, title);
      for (const row of rows) {
        assert.ok(row.keys && row.does, JSON.stringify(row));
        assert.ok(Array.isArray(row.on));
        for (const b of row.on) assert.ok(b.combos.length, `${b.scope}/${b.action}`);
      }
    }
    const help = SHORTCUTS.flatMap((g) => g.rows.map((r) => r.keys));
    for (const keys of ["Ctrl+Enter", "Ctrl+S", "Alt+F", "Alt+H", "Alt+1", "Alt+2", "Alt+R", "Alt+N"]) {
      assert.ok(help.includes(keys), keys);
    }
  });
});

describe("dispatch", () => {
  test("a scope's handlers must match its actions exactly", () => {
    const all = Object.fromEntries(actionsOf("conflict").map((a) => [a, () => {}]));
    assert.deepEqual(Object.keys(all).sort(), ["merge", "theirs"]);
    assert.throws(() => keyHandler("conflict", { theirs: () => {} }), /no handler for \[merge\]/);
    assert.throws(() => keyHandler("conflict", { ...all, undo: () => {} }), /not in the table: \[undo\]/);
    keyHandler("conflict", all);
  });

  test("the handler gets the event and the listener's arguments; the default is prevented unless it declines", () => {
    const seen = [];
    const keys = keyHandler("field", Object.fromEntries(actionsOf("field").map((a) => [a, (ev, code) => {
      seen.push([a, code]);
      return a === "suggestion-up" ? false : undefined;
    }])));
    const tab = keydown("Tab", "Tab", "shift", TEXT_INPUT);
    assert.equal(keys(tab, "nksHoTen"), true);
    assert.equal(tab.defaultPrevented, true);
    const up = keydown("ArrowUp", "ArrowUp", "", TEXT_INPUT);
    assert.equal(keys(up, "nksHoTen"), false); // ↑ with no suggestions open moves the caret
    assert.equal(up.defaultPrevented, false);
    const letter = keydown("x", "KeyX", "", TEXT_INPUT);
    assert.equal(keys(letter, "nksHoTen"), false);
    assert.equal(letter.defaultPrevented, false);
    assert.deepEqual(seen, [["prev-field", "nksHoTen"], ["suggestion-up", "nksHoTen"]]);
  });
});
