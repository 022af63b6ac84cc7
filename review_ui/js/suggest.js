// The suggestion list under a field's input: ↓ opens it, ↓ / ↑ move round it, Enter takes one.

import { api } from "./api.js";
import { h } from "./dom.js";

const MAX_REMOTE = 8;
/** Wait for a pause in typing before asking the server. */
const TYPING_PAUSE_MS = 120;

export class SuggestionBox {
  /**
   * `items(query, typed, remote)`: what to offer for the input's text (RecordModel.suggestions);
   * `kind`: the /suggest list for the field, or null; `pick(value)`: the clerk clicked one.
   */
  constructor(input, { items, kind, pick }) {
    this.input = input;
    this.items = items;
    this.kind = kind;
    this.pick = pick;
    this.el = h("ul.suggest", { hidden: true, role: "listbox" });
    this.shown = [];
    this.highlighted = -1;
    this.timer = null;
  }

  get open() {
    return !this.el.hidden && this.shown.length > 0;
  }

  /** The highlighted suggestion of the open list, or null. */
  get chosen() {
    return this.open && this.highlighted >= 0 ? this.shown[this.highlighted] : null;
  }

  /** The clerk typed: offer what matches once typing pauses. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.show(true), TYPING_PAUSE_MS);
  }

  /** Fill and show the list; `typed`: match the text typed, else only the field's candidates. */
  async show(typed) {
    const q = this.input.value;
    let remote = [];
    if (typed && this.kind && q.trim()) {
      try {
        const data = await api.suggest(this.kind, q, MAX_REMOTE);
        if (this.input.value !== q || document.activeElement !== this.input) return;
        remote = data.items;
      } catch {
        // Suggestions are a help, not a requirement.
      }
    }
    this.shown = this.items(q, typed, remote);
    this.highlighted = -1;
    this.paint();
  }

  /** ↓ / ↑: open the list (↓ only; false: ↑ keeps its meaning in the input), or move round it. */
  step(delta) {
    if (!this.open) {
      if (delta < 0) return false;
      this.show(true);
      return true;
    }
    const n = this.shown.length;
    this.highlighted = (this.highlighted + delta + n) % n;
    this.paint();
    return true;
  }

  paint() {
    this.el.replaceChildren(...this.shown.map((v, i) => h(`li${i === this.highlighted ? ".hl" : ""}`, {
      role: "option",
      "aria-selected": i === this.highlighted ? "true" : "false",
      onmousedown: (ev) => {
        ev.preventDefault();
        this.pick(v);
        this.close();
      },
    }, v)));
    this.el.hidden = this.shown.length === 0 || document.activeElement !== this.input;
  }

  close() {
    this.el.hidden = true;
    this.highlighted = -1;
  }
}
