// The record's history panel (Alt+H): every event, newest first, with old → new values.

import { api } from "./api.js";
import { h, errorText, fmtDateTime, ACTION_VI, reasonLabel } from "./dom.js";

export class HistoryPanel {
  constructor() {
    this.el = h("aside.history", { hidden: true, "aria-label": "Lịch sử sửa đổi" });
    this.open = false;
  }

  /** Show or hide the panel for the model's record. */
  toggle(model) {
    this.open = !this.open;
    this.el.hidden = !this.open;
    if (this.open) this.load(model);
  }

  async load(model) {
    const id = model.rec.id;
    this.el.replaceChildren(h("h3", "Lịch sử sửa đổi"), h("p.muted", "Đang tải…"));
    let data;
    try {
      data = await api.history(id);
    } catch (err) {
      this.el.replaceChildren(h("h3", "Lịch sử sửa đổi"), h("p.error", errorText(err)));
      return;
    }
    if (id !== model.rec.id) return; // another record was opened meanwhile
    const events = [...data.events].reverse();
    this.el.replaceChildren(h("h3", "Lịch sử sửa đổi (Alt+H)"),
      events.length ? h("ol.events", events.map((e) => h("li",
        h("div.ev-head", h("strong", ACTION_VI[e.action] || e.action), " · ", e.user || "?", " · ", fmtDateTime(e.at),
          e.version ? h("span.muted", ` · v${e.version}`) : null),
        e.note ? h("div.ev-note", e.action === "record.flag" ? reasonLabel(e.note) : e.note) : null,
        (e.changes || []).length ? h("ul.changes", e.changes.map((c) => h("li",
          h("span.ch-field", model.label(c.field)), ": ",
          "old_note" in c || "new_note" in c
            ? [h("span.muted", "ghi chú "), h("del", c.old_note ?? "∅"), " → ", h("ins", c.new_note ?? "∅")]
            : [h("del", c.old ?? "∅"), " → ", h("ins", c.new ?? "∅")]))) : null)))
        : h("p.muted", "Chưa có thay đổi nào."));
  }
}
