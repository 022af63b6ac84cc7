// Conflict view: someone saved the record first; show theirs and mine per field, the clerk chooses.

import { h, modal, fmtDateTime, STATUS_VI } from "./dom.js";
import { diffVersions, mergeEdits, unchosen } from "./record_model.js";
import { keyHandler } from "./shortcuts.js";

function show(v) {
  return v === null || v === undefined || v === "" ? h("span.empty", "(trống)") : String(v);
}

/**
 * Show the conflict view. Resolves with {action: "theirs"} (drop my edits),
 * {action: "merge", edits} (theirs + my chosen edits, to save on top of theirs) or
 * {action: "later"} (keep my edits unsaved, in local storage).
 */
export function showConflict({ base, theirs, mine, label }) {
  const rows = diffVersions(base, theirs, mine);
  return new Promise((resolve) => {
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      dialog.close();
      resolve(result);
    };
    const choices = new Map();
    const table = h("table.conflict-table",
      h("thead", h("tr", h("th", "Trường"), h("th", "Bản lúc mở"), h("th", "Của người khác (đã lưu)"),
        h("th", "Của tôi (chưa lưu)"), h("th", "Giữ"))),
      h("tbody", rows.map((r, i) => {
        const name = `${label(r.code)}${r.aspect === "note" ? " — ghi chú" : ""}`;
        let pick;
        if (r.clash) {
          const group = `clash-${i}`;
          const set = (v) => {
            choices.set(i, v);
            update();
          };
          pick = h("div.pick",
            h("label", h("input", { type: "radio", name: group, value: "theirs", onchange: () => set("theirs") }), " của họ"),
            h("label", h("input", { type: "radio", name: group, value: "mine", onchange: () => set("mine") }), " của tôi"));
        } else {
          pick = h("span.muted", r.mineChanged ? "của tôi" : "của họ");
        }
        return h(`tr${r.clash ? ".clash" : ""}`, { dataset: { code: r.code, aspect: r.aspect } },
          h("th", { scope: "row" }, name),
          h("td.base", show(r.base)),
          h(`td.theirs${r.theirsChanged ? ".changed" : ""}`, show(r.theirs)),
          h(`td.mine${r.mineChanged ? ".changed" : ""}`, show(r.mine)),
          h("td", pick));
      })));
    const clashes = rows.filter((r) => r.clash).length;
    const hint = h("p.hint");
    const mergeBtn = h("button.primary#conflict-merge", { type: "button", onclick: merge },
      "Áp dụng: của họ + của tôi (Alt+2)");
    const theirsBtn = h("button#conflict-theirs", { type: "button", onclick: () => finish({ action: "theirs" }) },
      "Lấy bản của họ, bỏ sửa của tôi (Alt+1)");
    const laterBtn = h("button.link", { type: "button", onclick: () => finish({ action: "later" }) },
      "Để sau (giữ sửa của tôi trên máy này)");
    const who = theirs.confirmed_by && theirs.status === "confirmed"
      ? ` — đã xác nhận bởi ${theirs.confirmed_by} lúc ${fmtDateTime(theirs.confirmed_at)}` : "";
    const content = h("div.conflict",
      h("p", `Bản ghi đã được lưu bởi người khác trong khi bạn đang sửa (nay là phiên bản ${theirs.version}, `,
        `trạng thái: ${STATUS_VI[theirs.status] || theirs.status}${who}). Không có gì bị ghi đè: hãy chọn.`),
      rows.length ? table : h("p.muted", "Không có trường nào khác nhau; chỉ phiên bản đã thay đổi."),
      hint,
      h("div.actions", mergeBtn, theirsBtn, laterBtn));
    const dialog = modal(content, { title: "Xung đột phiên bản", wide: true, onClose: () => finish({ action: "later" }) });
    dialog.el.classList.add("conflict-view");
    dialog.el.addEventListener("keydown", keyHandler("conflict", {
      theirs: () => theirsBtn.click(),
      merge: () => mergeBtn.click(),
    }));
    update();

    function update() {
      const missing = unchosen(rows, choices);
      mergeBtn.disabled = missing > 0;
      hint.textContent = missing > 0
        ? `Còn ${missing} trường hai bên sửa khác nhau: chọn giữ bản nào cho từng trường.`
        : clashes ? "Đã chọn xong; bấm Áp dụng để lưu." : "";
    }

    function merge() {
      const edits = mergeEdits(rows, choices);
      if (edits) finish({ action: "merge", edits });
    }
  });
}
