// Review screen: the page image with field boxes beside the record's form, keyboard first.

import { api } from "./api.js";
import { state } from "./app.js";
import { showConflict } from "./conflict.js";
import {
  h, toast, modal, isModalOpen, isTyping, errorText, fmtDateTime,
  STATUS_VI, BAND_VI, REASONS, ACTION_VI, reasonLabel,
} from "./dom.js";
import { saveLocal, loadLocal, clearLocal } from "./drafts.js";
import { groupOf, groupLabel, labelFor } from "./labels.js";
import { registerSpec, suggestKind } from "./registry.js";
import { PageViewer, drawCrop } from "./viewer.js";

const REVIEW_LIST_KEY = "sohoa:review-list";
const ATTENTION_BANDS = new Set(["check", "unsure"]);
const PAGE_ORIGINS = new Set(["page", "page/book", "tick-box"]);
const ledgerCache = new Map();

export async function renderReview(view, [recordId]) {
  const screen = new ReviewScreen(view);
  await screen.open(recordId);
  return () => screen.leave();
}

function ledgerInfo(id) {
  if (!ledgerCache.has(id)) ledgerCache.set(id, api.ledger(id).catch(() => null));
  return ledgerCache.get(id);
}

function fieldState(f) {
  return { value: f ? f.value ?? null : null, note: f ? f.note ?? null : null };
}

function norm(s) {
  return (s || "").normalize("NFC").toLowerCase().trim();
}

class ReviewScreen {
  constructor(view) {
    this.view = view;
    this.rec = null;
    this.base = {};
    this.edits = {};
    this.accepted = new Set();
    this.rows = new Map();
    this.order = [];
    this.extraCodes = new Set();
    this.active = null;
    this.busy = false;
    this.prefetch = null;
    this.historyOpen = false;
    this.viewer = new PageViewer();
    this.viewer.onBoxClick = (code) => this.focusField(code);
    this.crop = h("canvas.crop", { "aria-hidden": "true" });
    this.title = h("div.rec-title");
    this.statusLine = h("div.rec-status");
    this.leftCounter = h("span.left-counter#attention-left");
    this.buttons = h("div.rec-actions");
    this.recordWarnings = h("div.record-warnings");
    this.form = h("form.fields", { autocomplete: "off", onsubmit: (ev) => ev.preventDefault() });
    this.history = h("aside.history", { hidden: true, "aria-label": "Lịch sử sửa đổi" });
    this.formPane = h("section.form-pane", this.recordWarnings, this.form);
    view.append(h("div.review",
      h("div.review-bar", this.title, this.statusLine, this.buttons),
      h("div.review-body", h("section.viewer-pane", this.viewer.el), this.formPane, this.history)));
    this.onKey = (ev) => this.handleKey(ev);
    document.addEventListener("keydown", this.onKey);
  }

  async leave() {
    document.removeEventListener("keydown", this.onKey);
    this.viewer.destroy();
    // Leaving by the menu keeps edits: saved when possible, else still in local storage.
    if (this.dirty()) await this.save({ quiet: true });
  }

  dirty() {
    return Object.keys(this.edits).length > 0;
  }

  // ---- loading ---------------------------------------------------------------------------

  async open(recordId, preloaded) {
    let rec = preloaded;
    if (!rec) {
      try {
        rec = await api.record(recordId);
      } catch (err) {
        this.form.replaceChildren(h("p.error", errorText(err)));
        return;
      }
    }
    // Read local edits before rendering: afterwards the clerk may already be typing new ones.
    const stored = loadLocal(rec.id);
    const same = stored.find((s) => s.version === rec.version);
    const older = stored.find((s) => s.version < rec.version);
    await this.show(rec, { edits: same ? same.edits : null });
    if (same) {
      toast("Đã khôi phục các sửa đổi chưa lưu.");
    } else if (older) {
      // Edits made on a version that has since changed: never apply them silently.
      this.edits = { ...older.edits };
      await this.resolveConflict(rec, older.base, { stored: true });
    }
  }

  /**
   * Render a record. `edits`: unsaved edits to show on top of it; `sent`: the edits just saved,
   * so anything typed while the save was on its way is kept as a new edit.
   */
  async show(rec, { keepFocus = false, edits = null, sent = null } = {}) {
    const spec = await registerSpec(rec.register);
    const ledger = await ledgerInfo(rec.ledger_id);
    // From here on nothing awaits until the form is rendered, so no keystroke falls in between.
    const activeBefore = this.active;
    const input = document.activeElement;
    const caret = keepFocus && input && input.classList && input.classList.contains("field-input")
      ? [input.selectionStart, input.selectionEnd] : null;
    const typedMeanwhile = sent ? editsSince(this.edits, sent) : null;
    this.rec = rec;
    this.base = {};
    for (const [code, f] of Object.entries(rec.fields)) this.base[code] = fieldState(f);
    this.edits = typedMeanwhile || (edits ? { ...edits } : {});
    if (!keepFocus) this.accepted = new Set();
    this.spec = spec;
    this.specByCode = new Map((spec.fields || []).map((f) => [f.code, f]));
    this.order = this.fieldOrder(rec);
    this.ledger = ledger;
    const hashNow = `#/review/${rec.id}`;
    if (location.hash !== hashNow) history.replaceState(null, "", hashNow);
    this.renderHeader();
    this.renderRows();
    if (Object.keys(this.edits).length) saveLocal(rec.id, rec.version, this.base, this.edits);
    const focus = keepFocus && activeBefore && this.rows.has(activeBefore) ? activeBefore : this.firstAttention();
    // Boxes and image of the new record first (same page number may be another book or row);
    // the clerk can type before the image has arrived.
    const loaded = this.showPage(this.pageOf(focus));
    this.active = null;
    this.focusField(focus);
    if (caret && focus === activeBefore) this.rows.get(focus).input.setSelectionRange(caret[0], caret[1]);
    if (this.historyOpen) this.loadHistory();
    // Prefetch once this page is in, so the two downloads do not compete.
    loaded.then(() => {
      if (this.rec === rec && rec.status === "draft") this.startPrefetch();
    });
  }

  fieldOrder(rec) {
    const present = new Set(Object.keys(rec.fields));
    const order = [];
    const extra = [];
    for (const f of this.spec.fields || []) {
      if (present.has(f.code) || f.required) order.push(f.code);
      // Everything else the page can show gets a row at the end (few Tabs past the read fields),
      // so a field the machine missed can still be typed.
      else if (PAGE_ORIGINS.has(f.origin)) extra.push(f.code);
    }
    for (const code of present) if (!order.includes(code)) order.push(code);
    this.extraCodes = new Set(extra);
    return [...order, ...extra];
  }

  startPrefetch() {
    const rec = this.rec;
    this.prefetch = api.nextRecord(rec.ledger_id, rec.id).then((next) => {
      const img = new Image();
      img.src = api.pageImageUrl(next.ledger_id, next.page);
      return next;
    }).catch(() => null);
  }

  pageOf(code) {
    const f = code && this.rec.fields[code];
    return (f && f.page) || this.rec.page;
  }

  async showPage(page) {
    const rec = this.rec;
    const boxes = [];
    for (const code of this.order) {
      const f = rec.fields[code];
      if (!f || !f.bbox || (f.page || rec.page) !== page) continue;
      boxes.push({ code, bbox: f.bbox, band: f.band, edited: f.edited || code in this.edits, label: this.label(code) });
    }
    this.viewer.setBoxes(boxes);
    this.viewerPage = page;
    await this.viewer.setImage(api.pageImageUrl(rec.ledger_id, page), `Trang ${page}`);
  }

  label(code) {
    const label = labelFor(this.specByCode.get(code), code);
    const g = groupOf(code);
    // Outside their person's group (the extra rows) labels like "Dân tộc" need the person.
    return this.extraCodes && this.extraCodes.has(code) && g ? `${groupLabel(g)}: ${label}` : label;
  }

  // ---- rendering ---------------------------------------------------------------------------

  renderHeader() {
    const rec = this.rec;
    const l = this.ledger;
    const so = rec.fields.so && rec.fields.so.value;
    this.title.replaceChildren(...[
      h("strong", `${this.spec.name_vi || rec.register}`),
      h("span", ` · Sổ ${(l && l.book) || "?"}${l && l.commune ? " · " + l.commune : ""}`),
      h("span", ` · Trang ${rec.pages && rec.pages.length > 1 ? rec.pages.join("–") : rec.page}`),
      rec.row !== null && rec.row !== undefined ? h("span", ` · Dòng ${rec.row + 1}`) : null,
      h("span", ` · Số ${so || "?"}`)].filter(Boolean));
    const chips = [h(`span.chip.${rec.status}#rec-status`, STATUS_VI[rec.status] || rec.status),
      h("span.muted", ` phiên bản ${rec.version}`)];
    if (rec.status === "flagged") chips.push(h("span.flag-reason", ` — ${reasonLabel(rec.flag_reason)}`));
    if (rec.confirmed_by) chips.push(h("span.muted", ` · xác nhận: ${rec.confirmed_by} ${fmtDateTime(rec.confirmed_at)}`));
    if (rec.reviewed_by) chips.push(h("span.muted", ` · đã kiểm tra: ${rec.reviewed_by}`));
    chips.push(this.leftCounter);
    this.statusLine.replaceChildren(...chips);
    this.updateLeft();
    const reviewer = state.user && (state.user.role === "reviewer" || state.user.role === "admin");
    const b = (label, title, fn, cls = "") => h(`button${cls}`, { type: "button", title, onclick: fn }, label);
    this.buttons.replaceChildren(...[
      b("◀", "Bản ghi trước (PageUp)", () => this.goSibling(-1)),
      b("▶", "Bản ghi sau (PageDown)", () => this.goSibling(1)),
      b("Lịch sử", "Lịch sử (Alt+H)", () => this.toggleHistory()),
      b("Đánh dấu", "Đánh dấu (Alt+F)", () => this.flagDialog(), ".warn#btn-flag"),
      b("Lưu", "Lưu (Ctrl+S)", () => this.save(), "#btn-save"),
      reviewer && rec.status === "confirmed" ? b("Duyệt", "Duyệt (Alt+A)", () => this.reviewDecision("approve"), ".ok#btn-approve") : null,
      reviewer && rec.status === "confirmed" ? b("Trả lại", "Trả lại (Alt+J)", () => this.reviewDecision("reject"), ".warn#btn-reject") : null,
      b("Xác nhận", "Xác nhận (Ctrl+Enter)", () => this.confirm(), ".primary#btn-confirm")].filter(Boolean));
    const general = (rec.warnings || []).filter((w) => !w.field || !this.order.includes(w.field));
    this.recordWarnings.replaceChildren(...[
      rec.status === "confirmed" ? h("p.notice", "Bản ghi đã xác nhận: nếu sửa, cần xác nhận lại.") : null,
      ...general.map((w) => h("p.warning", "⚠ ", w.message || w.rule))].filter(Boolean));
  }

  renderRows() {
    this.rows.clear();
    const parts = [];
    let group = null;
    for (const code of this.order) {
      const g = this.extraCodes.has(code) ? "extra" : groupOf(code);
      if (g !== group) {
        group = g;
        parts.push(h("h3.group", g === "extra" ? "Các trường khác — chỉ nhập khi sổ có ghi" : groupLabel(g)));
      }
      parts.push(this.renderRow(code));
    }
    this.form.replaceChildren(...parts);
    if (this.active && this.rows.has(this.active)) this.markActive(this.active);
  }

  renderRow(code) {
    const rec = this.rec;
    const f = rec.fields[code] || { value: null, raw: null, band: null, issues: [], candidates: [], note: null };
    const spec = this.specByCode.get(code);
    const edit = this.edits[code] || {};
    const value = "value" in edit ? edit.value : f.value;
    const note = "note" in edit ? edit.note : f.note;
    const id = `f-${code}`;
    const input = h("input.field-input", {
      id, type: "text", value: value ?? "", spellcheck: false, autocomplete: "off",
      dataset: { code }, "aria-label": this.label(code),
    });
    const sugg = h("ul.suggest", { hidden: true, role: "listbox" });
    const noteInput = h("input.note-input", {
      type: "text", value: note ?? "", placeholder: "Ghi chú: ghi đúng như sổ gốc…", dataset: { code },
      "aria-label": `Ghi chú cho ${this.label(code)}`,
    });
    const noteWrap = h("div.note-wrap", { hidden: !note }, h("span.note-label", "Ghi theo sổ gốc:"), noteInput);
    const warnings = (rec.warnings || []).filter((w) => w.field === code);
    const present = Boolean(rec.fields[code]);
    const band = f.band || ((present ? !f.value : spec && spec.required) ? "unsure" : null);
    const badge = band === "sure"
      ? h("span.badge.sure", { title: BAND_VI.sure }, "✓")
      : band ? h(`span.badge.${band}`, { title: BAND_VI[band] }, band === "unsure" ? "!" : "?") : h("span.badge.none", "·");
    const raw = f.raw && (f.raw !== f.value || this.needsAttention(code)) ? h("div.raw", h("span.muted", "Bản đọc: "), h("span.raw-text", f.raw)) : null;
    const row = h("div.field-row", { dataset: { code } },
      h("div.field-head",
        h("label", { for: id }, this.label(code), spec && spec.required ? h("span.req", " *") : null),
        badge,
        h("span.edited-mark", { title: "Đã sửa" }, "✎"),
        h("span.accepted-mark", { title: "Đã kiểm tra" }, "✔"),
        h("span.code", code)),
      h("div.crop-holder"),
      h("div.input-wrap", input, sugg),
      raw,
      noteWrap,
      warnings.length ? h("ul.field-warnings", warnings.map((w) => h("li", "⚠ ", w.message || w.rule))) : null,
      f.issues && f.issues.length ? h("div.issues", f.issues.map((i) => h("span.issue", i))) : null);
    row.classList.add(`band-${band || "empty"}`);
    if (warnings.length) row.classList.add("has-warning");
    if (this.needsAttention(code)) row.classList.add("attention");
    if (f.edited) row.classList.add("was-edited");
    if (!present) row.classList.add("absent");
    if (code in this.edits) row.classList.add("edited");
    if (this.accepted.has(code)) row.classList.add("accepted");
    const entry = { row, input, sugg, noteInput, noteWrap, suggestions: [], highlighted: -1, timer: null };
    this.rows.set(code, entry);
    input.addEventListener("focus", () => this.setActive(code));
    input.addEventListener("input", () => this.onEdit(code, "value", input.value));
    input.addEventListener("keydown", (ev) => this.fieldKey(ev, code));
    input.addEventListener("blur", () => setTimeout(() => this.closeSuggestions(code), 150));
    noteInput.addEventListener("focus", () => this.setActive(code));
    noteInput.addEventListener("input", () => this.onEdit(code, "note", noteInput.value));
    noteInput.addEventListener("keydown", (ev) => this.noteKey(ev, code));
    return row;
  }

  needsAttention(code) {
    const f = this.rec.fields[code];
    const spec = this.specByCode.get(code);
    if (!f) return Boolean(spec && spec.required);
    if (ATTENTION_BANDS.has(f.band)) return true;
    if ((this.rec.warnings || []).some((w) => w.field === code)) return true;
    return Boolean(spec && spec.required && !f.value);
  }

  firstAttention() {
    return this.order.find((c) => this.needsAttention(c) && !this.accepted.has(c)) || this.order[0];
  }

  // ---- field focus and editing ------------------------------------------------------------

  focusField(code) {
    const entry = code && this.rows.get(code);
    if (!entry) return;
    entry.input.focus();
    entry.input.select();
    if (this.active !== code) this.setActive(code); // no focus event when the window is in the background
  }

  setActive(code) {
    if (this.active === code && this.rows.get(code).row.classList.contains("active")) return;
    this.active = code;
    this.markActive(code);
    const page = this.pageOf(code);
    const afterImage = page !== this.viewerPage ? this.showPage(page) : this.viewer.loaded;
    this.viewer.setActive(code);
    afterImage.then(() => {
      if (this.active !== code) return;
      this.viewer.setActive(code);
      this.drawActiveCrop();
    });
    this.showSuggestions(code, false);
  }

  markActive(code) {
    for (const [c, e] of this.rows) e.row.classList.toggle("active", c === code);
    const entry = this.rows.get(code);
    if (!entry) return;
    entry.row.querySelector(".crop-holder").append(this.crop);
    this.drawActiveCrop();
    entry.row.scrollIntoView({ block: "nearest" });
  }

  drawActiveCrop() {
    const f = this.active && this.rec.fields[this.active];
    const holder = this.crop.parentElement;
    const width = holder ? Math.max(200, holder.clientWidth - 4) : 480;
    const ok = f && f.bbox && drawCrop(this.crop, this.viewer.img, f.bbox, { maxWidth: width, maxHeight: 96 });
    this.crop.hidden = !ok;
  }

  onEdit(code, aspect, text) {
    const baseV = this.base[code] ? this.base[code][aspect] : null;
    const v = text === "" ? null : text;
    const e = { ...(this.edits[code] || {}) };
    if ((v ?? null) === (baseV ?? null)) delete e[aspect];
    else e[aspect] = v;
    if (Object.keys(e).length) this.edits[code] = e;
    else delete this.edits[code];
    const entry = this.rows.get(code);
    entry.row.classList.toggle("edited", code in this.edits);
    saveLocal(this.rec.id, this.rec.version, this.base, this.edits);
    if (aspect === "value") this.scheduleSuggestions(code);
  }

  setValue(code, value) {
    const entry = this.rows.get(code);
    entry.input.value = value ?? "";
    this.onEdit(code, "value", entry.input.value);
  }

  accept(code) {
    this.accepted.add(code);
    const entry = this.rows.get(code);
    if (entry) entry.row.classList.add("accepted");
    this.updateLeft();
  }

  updateLeft() {
    const left = this.order.filter((c) => this.needsAttention(c) && !this.accepted.has(c)).length;
    this.leftCounter.textContent = left
      ? ` · còn ${left} ô cần kiểm tra (Enter: chấp nhận)`
      : " · đã kiểm tra hết — Ctrl+Enter: xác nhận";
    this.leftCounter.classList.toggle("done", left === 0);
  }

  moveBy(code, delta) {
    const i = this.order.indexOf(code);
    const next = this.order[i + delta];
    if (next) this.focusField(next);
  }

  moveToNextAttention(code) {
    const i = this.order.indexOf(code);
    const rest = [...this.order.slice(i + 1), ...this.order.slice(0, i)];
    const next = rest.find((c) => this.needsAttention(c) && !this.accepted.has(c));
    if (next) this.focusField(next);
    else toast("Đã kiểm tra hết các ô cần xem — Ctrl+Enter để xác nhận.");
  }

  fieldKey(ev, code) {
    const entry = this.rows.get(code);
    const open = !entry.sugg.hidden && entry.suggestions.length > 0;
    if (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey) {
      ev.preventDefault();
      this.closeSuggestions(code);
      this.moveBy(code, ev.shiftKey ? -1 : 1);
    } else if (ev.key === "Enter" && !ev.ctrlKey && !ev.altKey && !ev.shiftKey && !ev.metaKey) {
      ev.preventDefault();
      if (open && entry.highlighted >= 0) this.setValue(code, entry.suggestions[entry.highlighted]);
      this.closeSuggestions(code);
      this.accept(code);
      this.moveToNextAttention(code);
    } else if ((ev.key === "ArrowDown" || ev.key === "ArrowUp") && !ev.ctrlKey) {
      if (!open) {
        if (ev.key === "ArrowDown") {
          ev.preventDefault();
          this.showSuggestions(code, true);
        }
        return;
      }
      ev.preventDefault();
      const n = entry.suggestions.length;
      entry.highlighted = ev.key === "ArrowDown" ? (entry.highlighted + 1) % n : (entry.highlighted - 1 + n) % n;
      this.paintSuggestions(code);
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      if (open) this.closeSuggestions(code);
      else if (code in this.edits && "value" in this.edits[code]) {
        this.setValue(code, this.base[code] ? this.base[code].value : null);
        entry.input.select();
      }
    } else if (ev.altKey && ev.code === "KeyR") {
      ev.preventDefault();
      const f = this.rec.fields[code];
      if (f && f.raw) this.setValue(code, f.raw);
    } else if (ev.altKey && ev.code === "KeyN") {
      ev.preventDefault();
      entry.noteWrap.hidden = false;
      entry.noteInput.focus();
    }
  }

  noteKey(ev, code) {
    const entry = this.rows.get(code);
    if (ev.key === "Enter" && !ev.ctrlKey && !ev.altKey) {
      ev.preventDefault();
      this.accept(code);
      this.moveToNextAttention(code);
    } else if (ev.key === "Escape" || (ev.altKey && ev.code === "KeyN")) {
      ev.preventDefault();
      if (!entry.noteInput.value) entry.noteWrap.hidden = true;
      this.focusField(code);
    } else if (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey) {
      ev.preventDefault();
      if (ev.shiftKey) this.focusField(code);
      else this.moveBy(code, 1);
    }
  }

  // ---- suggestions ------------------------------------------------------------------------

  scheduleSuggestions(code) {
    const entry = this.rows.get(code);
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.showSuggestions(code, true), 120);
  }

  async showSuggestions(code, typed) {
    const entry = this.rows.get(code);
    if (!entry) return;
    const f = this.rec.fields[code];
    const spec = this.specByCode.get(code);
    const q = entry.input.value;
    const items = [];
    // Candidates differing from the value are offers; a typed prefix may also match exactly.
    const add = (v) => {
      if (v && !items.includes(v) && (typed || v !== q)) items.push(v);
    };
    for (const c of (f && f.candidates) || []) add(c);
    if (typed) {
      if (spec && spec.enum) {
        const nq = norm(q);
        for (const v of spec.enum) if (!nq || norm(v).includes(nq)) add(v);
      }
      const kind = suggestKind(spec, code);
      if (kind && q.trim()) {
        try {
          const data = await api.suggest(kind, q, 8);
          if (entry.input.value !== q || document.activeElement !== entry.input) return;
          for (const v of data.items) add(v);
        } catch {
          // Suggestions are a help, not a requirement.
        }
      }
    }
    entry.suggestions = items.slice(0, 8);
    entry.highlighted = -1;
    this.paintSuggestions(code);
  }

  paintSuggestions(code) {
    const entry = this.rows.get(code);
    entry.sugg.replaceChildren(...entry.suggestions.map((v, i) => h(`li${i === entry.highlighted ? ".hl" : ""}`, {
      role: "option",
      "aria-selected": i === entry.highlighted ? "true" : "false",
      onmousedown: (ev) => {
        ev.preventDefault();
        this.setValue(code, v);
        this.closeSuggestions(code);
      },
    }, v)));
    entry.sugg.hidden = entry.suggestions.length === 0 || document.activeElement !== entry.input;
  }

  closeSuggestions(code) {
    const entry = this.rows.get(code);
    if (!entry) return;
    entry.sugg.hidden = true;
    entry.highlighted = -1;
  }

  // ---- global keys ------------------------------------------------------------------------

  handleKey(ev) {
    if (isModalOpen()) return;
    const typing = isTyping(ev);
    const k = ev.code;
    if (ev.ctrlKey && ev.key === "Enter") {
      ev.preventDefault();
      this.confirm();
    } else if (ev.ctrlKey && k === "KeyS") {
      ev.preventDefault();
      this.save();
    } else if (ev.altKey && k === "KeyF") {
      ev.preventDefault();
      this.flagDialog();
    } else if (ev.key === "PageDown" || (ev.altKey && ev.key === "ArrowRight")) {
      ev.preventDefault();
      this.goSibling(1);
    } else if (ev.key === "PageUp" || (ev.altKey && ev.key === "ArrowLeft")) {
      ev.preventDefault();
      this.goSibling(-1);
    } else if (ev.altKey && k === "KeyH") {
      ev.preventDefault();
      this.toggleHistory();
    } else if (ev.altKey && k === "KeyA") {
      ev.preventDefault();
      this.reviewDecision("approve");
    } else if (ev.altKey && k === "KeyJ") {
      ev.preventDefault();
      this.reviewDecision("reject");
    } else if ((ev.altKey || !typing) && !ev.ctrlKey && (ev.key === "+" || ev.key === "=" || k === "NumpadAdd")) {
      ev.preventDefault();
      this.viewer.zoomBy(1.25);
    } else if ((ev.altKey || !typing) && !ev.ctrlKey && (ev.key === "-" || k === "NumpadSubtract")) {
      ev.preventDefault();
      this.viewer.zoomBy(0.8);
    } else if ((ev.altKey || !typing) && !ev.ctrlKey && (ev.key === "0" || k === "Digit0")) {
      ev.preventDefault();
      this.viewer.fit();
    }
  }

  // ---- saving -----------------------------------------------------------------------------

  payload() {
    const fields = {};
    for (const [code, e] of Object.entries(this.edits)) {
      fields[code] = "note" in e ? { ...e } : e.value;
    }
    return fields;
  }

  /** PATCH the edits; true when nothing is left unsaved. */
  async save({ quiet = false } = {}) {
    if (!this.dirty()) {
      if (!quiet) toast("Không có gì để lưu.");
      return true;
    }
    const rec = this.rec;
    const sent = structuredClone(this.edits);
    try {
      const updated = await api.patchRecord(rec.id, rec.version, this.payload());
      clearLocal(rec.id);
      if (quiet) return true;
      await this.show(updated, { keepFocus: true, sent });
      toast("Đã lưu.");
      return true;
    } catch (err) {
      if (err.status === 409 && err.body && err.body.current) {
        if (quiet) return false;
        return this.resolveConflict(err.body.current, this.base);
      }
      if (!quiet) toast(errorText(err), "error");
      return false;
    }
  }

  /**
   * Theirs (the server's record) against my edits; true when it ended saved. `stored`: my edits
   * come from local storage of an older version; "later" then leaves them there, off the form,
   * so they can never be saved over the newer version without this choice.
   */
  async resolveConflict(theirs, base, { stored = false } = {}) {
    const mine = this.edits;
    const result = await showConflict({ base, theirs, mine, label: (c) => this.label(c) });
    if (result.action === "later") {
      if (stored) this.edits = {};
      this.renderRows();
      this.focusField(this.active || this.firstAttention());
      toast("Sửa đổi của bạn vẫn được giữ trên máy này, chưa lưu.", "error");
      return false;
    }
    clearLocal(theirs.id);
    await this.show(theirs, { keepFocus: true, edits: result.action === "merge" ? result.edits : null });
    if (result.action === "theirs") {
      toast("Đã lấy bản của người khác.");
      return false;
    }
    if (!this.dirty()) return true;
    return this.save();
  }

  async confirm() {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.dirty() && !(await this.save({ quiet: false }))) return;
      const rec = this.rec;
      let done;
      try {
        done = await api.confirm(rec.id, rec.version);
      } catch (err) {
        if (err.status === 409 && err.body && err.body.current) await this.resolveConflict(err.body.current, this.base);
        else toast(errorText(err), "error");
        return;
      }
      clearLocal(rec.id);
      toast(`Đã xác nhận bản ghi số ${(done.fields.so && done.fields.so.value) || done.seq}.`, "ok");
      await this.goAfterDecision(done);
    } finally {
      this.busy = false;
    }
  }

  async goAfterDecision(done) {
    const list = reviewList();
    if (list && list.includes(done.id)) {
      const next = list[list.indexOf(done.id) + 1];
      if (next) return this.openOther(next);
      sessionStorage.removeItem(REVIEW_LIST_KEY);
      location.hash = "#/reviewer";
      return;
    }
    let next = this.prefetch ? await this.prefetch : null;
    this.prefetch = null;
    if (!next || next.id === done.id) {
      next = await api.nextRecord(done.ledger_id, done.id).catch(() => null);
    }
    if (!next) next = await api.nextRecord(done.ledger_id).catch(() => null);
    if (!next) {
      toast("Sổ này không còn bản nháp nào. Cảm ơn!", "ok");
      location.hash = "#/queue";
      return;
    }
    // The prefetched copy may be a few seconds old; the version check protects any save.
    await this.show(next);
  }

  async openOther(id) {
    try {
      const rec = await api.record(id);
      await this.open(rec.id, rec);
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  async goSibling(delta) {
    if (this.busy) return;
    const id = delta > 0 ? this.rec.next_id : this.rec.prev_id;
    if (!id) {
      toast(delta > 0 ? "Đây là bản ghi cuối sổ." : "Đây là bản ghi đầu sổ.");
      return;
    }
    this.busy = true;
    try {
      if (this.dirty() && !(await this.save())) return;
      await this.openOther(id);
    } finally {
      this.busy = false;
    }
  }

  // ---- flag and review ----------------------------------------------------------------------

  flagDialog() {
    if (this.busy) return;
    const other = h("input#flag-other", { type: "text", placeholder: "Lý do khác…", "aria-label": "Lý do khác" });
    const radios = [...REASONS, { key: "3", value: "other", label: "Khác" }].map((r, i) => h("label.reason",
      h("input", { type: "radio", name: "flag-reason", value: r.value, checked: i === 0 }),
      h("kbd", r.key), " ", r.label));
    const error = h("p.error");
    const submit = h("button.primary.warn", { type: "submit" }, "Đánh dấu (Enter)");
    const form = h("form.flag-form", radios, other, error, h("div.actions", submit,
      h("button", { type: "button", onclick: () => dialog.close() }, "Huỷ (Esc)")));
    const dialog = modal(form, { title: "Đánh dấu bản ghi" });
    form.querySelector("input[type=radio]:checked").focus();
    form.addEventListener("keydown", (ev) => {
      if (ev.target === other) return;
      const i = ["1", "2", "3"].indexOf(ev.key);
      if (i >= 0) {
        ev.preventDefault();
        const radio = form.querySelectorAll("input[type=radio]")[i];
        radio.checked = true;
        if (i === 2) other.focus();
        else radio.focus();
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    other.addEventListener("input", () => {
      form.querySelectorAll("input[type=radio]")[2].checked = true;
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const choice = form.querySelector("input[type=radio]:checked").value;
      const reason = choice === "other" ? other.value.trim() : choice;
      if (!reason) {
        error.textContent = "Hãy ghi lý do.";
        other.focus();
        return;
      }
      dialog.close();
      await this.flag(reason);
    });
  }

  async flag(reason) {
    this.busy = true;
    try {
      if (this.dirty() && !(await this.save())) return;
      let done;
      try {
        done = await api.flag(this.rec.id, this.rec.version, reason);
      } catch (err) {
        if (err.status === 409 && err.body && err.body.current) await this.resolveConflict(err.body.current, this.base);
        else toast(errorText(err), "error");
        return;
      }
      toast(`Đã đánh dấu: ${reasonLabel(reason)}.`, "ok");
      await this.goAfterDecision(done);
    } finally {
      this.busy = false;
    }
  }

  async reviewDecision(decision) {
    const u = state.user;
    if (this.busy || !u || !(u.role === "reviewer" || u.role === "admin") || this.rec.status !== "confirmed") return;
    let note = null;
    if (decision === "reject") {
      note = await askNote();
      if (note === null) return;
    }
    if (this.dirty()) {
      toast("Có sửa đổi chưa lưu: lưu (Ctrl+S) rồi xác nhận lại, hoặc Esc để bỏ.", "error");
      return;
    }
    this.busy = true;
    try {
      const done = await api.review(this.rec.id, this.rec.version, decision, note);
      toast(decision === "approve" ? "Đã duyệt." : "Đã trả lại cho người nhập.", "ok");
      await this.goAfterDecision(done);
    } catch (err) {
      if (err.status === 409 && err.body && err.body.current) await this.resolveConflict(err.body.current, this.base);
      else toast(errorText(err), "error");
    } finally {
      this.busy = false;
    }
  }

  // ---- history ----------------------------------------------------------------------------

  toggleHistory() {
    this.historyOpen = !this.historyOpen;
    this.history.hidden = !this.historyOpen;
    if (this.historyOpen) this.loadHistory();
  }

  async loadHistory() {
    const id = this.rec.id;
    this.history.replaceChildren(h("h3", "Lịch sử sửa đổi"), h("p.muted", "Đang tải…"));
    let data;
    try {
      data = await api.history(id);
    } catch (err) {
      this.history.replaceChildren(h("h3", "Lịch sử sửa đổi"), h("p.error", errorText(err)));
      return;
    }
    if (id !== this.rec.id) return;
    const events = [...data.events].reverse();
    this.history.replaceChildren(h("h3", "Lịch sử sửa đổi (Alt+H)"),
      events.length ? h("ol.events", events.map((e) => h("li",
        h("div.ev-head", h("strong", ACTION_VI[e.action] || e.action), " · ", e.user || "?", " · ", fmtDateTime(e.at),
          e.version ? h("span.muted", ` · v${e.version}`) : null),
        e.note ? h("div.ev-note", e.action === "record.flag" ? reasonLabel(e.note) : e.note) : null,
        (e.changes || []).length ? h("ul.changes", e.changes.map((c) => h("li",
          h("span.ch-field", this.label(c.field)), ": ",
          "old_note" in c || "new_note" in c
            ? [h("span.muted", "ghi chú "), h("del", c.old_note ?? "∅"), " → ", h("ins", c.new_note ?? "∅")]
            : [h("del", c.old ?? "∅"), " → ", h("ins", c.new ?? "∅")]))) : null)))
        : h("p.muted", "Chưa có thay đổi nào."));
  }
}

/** Edits in `current` that are not exactly what was `sent` (typed while a save was running). */
function editsSince(current, sent) {
  const out = {};
  for (const [code, e] of Object.entries(current)) {
    const s = sent[code] || {};
    for (const [aspect, v] of Object.entries(e)) {
      if (!(aspect in s) || s[aspect] !== v) (out[code] ||= {})[aspect] = v;
    }
  }
  return out;
}

function reviewList() {
  try {
    return JSON.parse(sessionStorage.getItem(REVIEW_LIST_KEY) || "null");
  } catch {
    return null;
  }
}

function askNote() {
  return new Promise((resolve) => {
    let result = null;
    const input = h("textarea#reject-note", { rows: 3, placeholder: "Lý do trả lại (không bắt buộc)" });
    const form = h("form", input, h("div.actions",
      h("button.primary.warn", { type: "submit" }, "Trả lại (Ctrl+Enter)"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Huỷ (Esc)")));
    const dialog = modal(form, { title: "Trả lại bản ghi", onClose: () => resolve(result) });
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && ev.ctrlKey) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      result = input.value.trim();
      dialog.close();
    });
  });
}

export { REVIEW_LIST_KEY };
