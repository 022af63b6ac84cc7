// Review screen: the page image with field boxes beside the record's form, keyboard first.
// A view over RecordModel (record_model.js: the record, the clerk's edits, saving, conflicts);
// its keys come from the keymap (shortcuts.js).

import { api } from "./api.js";
import { state } from "./app.js";
import { showConflict } from "./conflict.js";
import { askFlagReason, askRejectNote } from "./decisions.js";
import { h, toast, isModalOpen, errorText, fmtDateTime, STATUS_VI, BAND_VI, reasonLabel } from "./dom.js";
import * as drafts from "./drafts.js";
import { HistoryPanel } from "./history.js";
import { groupOf, groupLabel, issueLabel } from "./labels.js";
import { RecordModel, nextInList } from "./record_model.js";
import { registerSpec, suggestKind } from "./registry.js";
import { keyHandler } from "./shortcuts.js";
import { SuggestionBox } from "./suggest.js";
import { PageViewer, drawCrop } from "./viewer.js";

const REVIEW_LIST_KEY = "sohoa:review-list";
// The page of a two-page spread a block-form record was read off (its row: 1 left, 2 right).
const SPREAD_SIDE_VI = { 1: "Trang trái", 2: "Trang phải" };
const ledgerCache = new Map();

// An issue under a field, in the clerk's words; the code stays on it for support and tests.
function issueTag(code) {
  return h("span.issue", { title: code, dataset: { issue: code } }, issueLabel(code));
}

export async function renderReview(view, [recordId]) {
  const screen = new ReviewScreen(view);
  await screen.open(recordId);
  return () => screen.leave();
}

function ledgerInfo(id) {
  if (!ledgerCache.has(id)) ledgerCache.set(id, api.ledger(id).catch(() => null));
  return ledgerCache.get(id);
}

class ReviewScreen {
  constructor(view) {
    this.view = view;
    this.model = new RecordModel({ api, drafts });
    this.rows = new Map(); // code -> the field's row, inputs and suggestion state
    this.active = null;
    this.prefetch = null;
    this.viewer = new PageViewer();
    this.viewer.onBoxClick = (code) => this.focusField(code);
    this.history = new HistoryPanel();
    this.crop = h("canvas.crop", { "aria-hidden": "true" });
    this.title = h("div.rec-title");
    this.statusLine = h("div.rec-status");
    this.leftCounter = h("span.left-counter#attention-left");
    this.buttons = h("div.rec-actions");
    this.recordWarnings = h("div.record-warnings");
    this.form = h("form.fields", { autocomplete: "off", onsubmit: (ev) => ev.preventDefault() });
    this.formPane = h("section.form-pane", this.recordWarnings, this.form);
    view.append(h("div.review",
      h("div.review-bar", this.title, this.statusLine, this.buttons),
      h("div.review-body", h("section.viewer-pane", this.viewer.el), this.formPane, this.history.el)));
    this.bindKeys();
    this.onKey = (ev) => {
      if (!isModalOpen()) this.recordKeys(ev);
    };
    document.addEventListener("keydown", this.onKey);
  }

  /** The screen's three key scopes: the record (whole screen), a field's input, its note. */
  bindKeys() {
    this.recordKeys = keyHandler("review", {
      confirm: () => void this.confirm(),
      save: () => void this.save(),
      flag: () => void this.flagDialog(),
      "next-record": () => void this.goSibling(1),
      "prev-record": () => void this.goSibling(-1),
      history: () => this.history.toggle(this.model),
      approve: () => void this.reviewDecision("approve"),
      reject: () => void this.reviewDecision("reject"),
      "zoom-in": () => this.viewer.zoomBy(1.25),
      "zoom-out": () => this.viewer.zoomBy(0.8),
      fit: () => this.viewer.fit(),
    });
    this.fieldKeys = keyHandler("field", {
      "next-field": (ev, code) => {
        this.closeSuggestions(code);
        this.moveBy(code, 1);
      },
      "prev-field": (ev, code) => {
        this.closeSuggestions(code);
        this.moveBy(code, -1);
      },
      accept: (ev, code) => {
        const chosen = this.rows.get(code).suggest.chosen;
        if (chosen) this.setValue(code, chosen);
        this.closeSuggestions(code);
        this.acceptAndGoOn(code);
      },
      "suggestion-down": (ev, code) => this.rows.get(code).suggest.step(1),
      "suggestion-up": (ev, code) => this.rows.get(code).suggest.step(-1),
      escape: (ev, code) => {
        const entry = this.rows.get(code);
        if (entry.suggest.open) entry.suggest.close();
        else if (this.model.isEdited(code, "value")) {
          this.setValue(code, this.model.original(code, "value"));
          entry.input.select();
        }
      },
      raw: (ev, code) => {
        const raw = this.model.field(code).raw;
        if (raw) this.setValue(code, raw);
      },
      note: (ev, code) => {
        const entry = this.rows.get(code);
        entry.noteWrap.hidden = false;
        entry.noteInput.focus();
      },
    });
    this.noteKeys = keyHandler("note", {
      accept: (ev, code) => this.acceptAndGoOn(code),
      "close-note": (ev, code) => {
        const entry = this.rows.get(code);
        if (!entry.noteInput.value) entry.noteWrap.hidden = true;
        this.focusField(code);
      },
      "next-field": (ev, code) => this.moveBy(code, 1),
      "to-field": (ev, code) => this.focusField(code),
    });
  }

  async leave() {
    document.removeEventListener("keydown", this.onKey);
    this.viewer.destroy();
    // Leaving by the menu keeps edits: saved when possible, else still in local storage.
    if (this.model.dirty()) await this.save({ quiet: true });
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
    const { same, older } = this.model.storedEdits(rec);
    await this.show(rec, { edits: same ? same.edits : null });
    if (same) {
      toast("Đã khôi phục các sửa đổi chưa lưu.");
    } else if (older) {
      // Edits made on a version that has since changed: never apply them silently.
      this.model.adoptStored(older);
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
    this.model.load(rec, spec, { edits, sent, keepAccepted: keepFocus });
    this.ledger = ledger;
    const hashNow = `#/review/${rec.id}`;
    if (location.hash !== hashNow) history.replaceState(null, "", hashNow);
    this.renderHeader();
    this.renderRows();
    const focus = keepFocus && activeBefore && this.rows.has(activeBefore) ? activeBefore : this.model.firstAttention();
    // Boxes and image of the new record first (same page number may be another book or row);
    // the clerk can type before the image has arrived.
    const loaded = this.showPage(this.model.pageOf(focus));
    this.active = null;
    this.focusField(focus);
    if (caret && focus === activeBefore) this.rows.get(focus).input.setSelectionRange(caret[0], caret[1]);
    if (this.history.open) this.history.load(this.model);
    // Prefetch once this page is in, so the two downloads do not compete.
    loaded.then(() => {
      if (this.model.rec === rec && rec.status === "draft") this.startPrefetch();
    });
  }

  startPrefetch() {
    const rec = this.model.rec;
    this.prefetch = api.nextRecord(rec.ledger_id, rec.id).then((next) => {
      const img = new Image();
      img.src = api.pageImageUrl(next.ledger_id, next.page);
      return next;
    }).catch(() => null);
  }

  async showPage(page) {
    const rec = this.model.rec;
    this.viewer.setBoxes(this.model.boxesOn(page));
    this.viewerPage = page;
    await this.viewer.setImage(api.pageImageUrl(rec.ledger_id, page), `Trang ${page}`);
  }

  // ---- rendering ---------------------------------------------------------------------------

  renderHeader() {
    const { rec, spec } = this.model;
    const l = this.ledger;
    const so = rec.fields.so && rec.fields.so.value;
    this.title.replaceChildren(...[
      h("strong", `${spec.name_vi || rec.register}`),
      h("span", ` · Sổ ${(l && l.book) || "?"}${l && l.commune ? " · " + l.commune : ""}`),
      h("span", ` · Trang ${rec.pages && rec.pages.length > 1 ? rec.pages.join("–") : rec.page}`),
      rec.row === null || rec.row === undefined ? null
        // A block-form book photographed as spreads: row 1 / 2 is the left / right page.
        : l && l.layout === "block" ? h("span", ` · ${SPREAD_SIDE_VI[rec.row] || "Dòng " + rec.row}`)
        : h("span", ` · Dòng ${rec.row + 1}`),
      h("span", ` · Số ${so || "?"}`)].filter(Boolean));
    const chips = [h(`span.chip.${rec.status}#rec-status`, STATUS_VI[rec.status] || rec.status),
      h("span.muted", ` phiên bản ${rec.version}`)];
    if (rec.status === "flagged") chips.push(h("span.flag-reason", ` — ${reasonLabel(rec.flag_reason)}`));
    if (rec.confirmed_by) chips.push(h("span.muted", ` · xác nhận: ${rec.confirmed_by} ${fmtDateTime(rec.confirmed_at)}`));
    if (rec.reviewed_by) chips.push(h("span.muted", ` · đã kiểm tra: ${rec.reviewed_by}`));
    chips.push(this.leftCounter);
    this.statusLine.replaceChildren(...chips);
    this.updateLeft();
    const reviewing = this.model.canReview(state.user);
    const b = (label, title, fn, cls = "") => h(`button${cls}`, { type: "button", title, onclick: fn }, label);
    this.buttons.replaceChildren(...[
      b("◀", "Bản ghi trước (PageUp)", () => this.goSibling(-1)),
      b("▶", "Bản ghi sau (PageDown)", () => this.goSibling(1)),
      b("Lịch sử", "Lịch sử (Alt+H)", () => this.history.toggle(this.model)),
      b("Đánh dấu", "Đánh dấu (Alt+F)", () => this.flagDialog(), ".warn#btn-flag"),
      b("Lưu", "Lưu (Ctrl+S)", () => this.save(), "#btn-save"),
      reviewing ? b("Duyệt", "Duyệt (Alt+A)", () => this.reviewDecision("approve"), ".ok#btn-approve") : null,
      reviewing ? b("Trả lại", "Trả lại (Alt+J)", () => this.reviewDecision("reject"), ".warn#btn-reject") : null,
      b("Xác nhận", "Xác nhận (Ctrl+Enter)", () => this.confirm(), ".primary#btn-confirm")].filter(Boolean));
    this.recordWarnings.replaceChildren(...[
      rec.status === "confirmed" ? h("p.notice", "Bản ghi đã xác nhận: nếu sửa, cần xác nhận lại.") : null,
      ...this.model.recordWarnings().map((w) => h("p.warning", "⚠ ", w.message || w.rule))].filter(Boolean));
  }

  renderRows() {
    this.rows.clear();
    const parts = [];
    let group = null;
    for (const code of this.model.order) {
      const g = this.model.extraCodes.has(code) ? "extra" : groupOf(code);
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
    const m = this.model;
    const f = m.field(code);
    const label = m.label(code);
    const value = m.shown(code, "value");
    const note = m.shown(code, "note");
    const id = `f-${code}`;
    const input = h("input.field-input", {
      id, type: "text", value: value ?? "", spellcheck: false, autocomplete: "off",
      dataset: { code }, "aria-label": label,
    });
    const suggest = new SuggestionBox(input, {
      items: (q, typed, remote) => m.suggestions(code, q, typed, remote),
      kind: suggestKind(m.specByCode.get(code), code),
      pick: (v) => this.setValue(code, v),
    });
    const noteInput = h("input.note-input", {
      type: "text", value: note ?? "", placeholder: "Ghi chú: ghi đúng như sổ gốc…", dataset: { code },
      "aria-label": `Ghi chú cho ${label}`,
    });
    const noteWrap = h("div.note-wrap", { hidden: !note }, h("span.note-label", "Ghi theo sổ gốc:"), noteInput);
    const warnings = m.fieldWarnings(code);
    const band = m.band(code);
    const badge = band === "sure"
      ? h("span.badge.sure", { title: BAND_VI.sure }, "✓")
      : band ? h(`span.badge.${band}`, { title: BAND_VI[band] }, band === "unsure" ? "!" : "?") : h("span.badge.none", "·");
    const rawText = m.rawShown(code);
    const raw = rawText ? h("div.raw", h("span.muted", "Bản đọc: "), h("span.raw-text", rawText)) : null;
    const row = h("div.field-row", { dataset: { code } },
      h("div.field-head",
        h("label", { for: id }, label, m.required(code) ? h("span.req", " *") : null),
        badge,
        h("span.edited-mark", { title: "Đã sửa" }, "✎"),
        h("span.accepted-mark", { title: "Đã kiểm tra" }, "✔"),
        h("span.code", code)),
      h("div.crop-holder"),
      h("div.input-wrap", input, suggest.el),
      raw,
      noteWrap,
      warnings.length ? h("ul.field-warnings", warnings.map((w) => h("li", "⚠ ", w.message || w.rule))) : null,
      f.issues && f.issues.length ? h("div.issues", f.issues.map(issueTag)) : null);
    row.classList.add(`band-${band || "empty"}`);
    if (warnings.length) row.classList.add("has-warning");
    if (m.needsAttention(code)) row.classList.add("attention");
    if (f.edited) row.classList.add("was-edited");
    if (!m.rec.fields[code]) row.classList.add("absent");
    if (m.isEdited(code)) row.classList.add("edited");
    if (m.accepted.has(code)) row.classList.add("accepted");
    const entry = { row, input, suggest, noteInput, noteWrap };
    this.rows.set(code, entry);
    input.addEventListener("focus", () => this.setActive(code));
    input.addEventListener("input", () => this.onEdit(code, "value", input.value));
    input.addEventListener("keydown", (ev) => this.fieldKeys(ev, code));
    input.addEventListener("blur", () => setTimeout(() => this.closeSuggestions(code), 150));
    noteInput.addEventListener("focus", () => this.setActive(code));
    noteInput.addEventListener("input", () => this.onEdit(code, "note", noteInput.value));
    noteInput.addEventListener("keydown", (ev) => this.noteKeys(ev, code));
    return row;
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
    const page = this.model.pageOf(code);
    const afterImage = page !== this.viewerPage ? this.showPage(page) : this.viewer.loaded;
    this.viewer.setActive(code);
    afterImage.then(() => {
      if (this.active !== code) return;
      this.viewer.setActive(code);
      this.drawActiveCrop();
    });
    this.rows.get(code).suggest.show(false);
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
    const f = this.active && this.model.rec.fields[this.active];
    const holder = this.crop.parentElement;
    const width = holder ? Math.max(200, holder.clientWidth - 4) : 480;
    const ok = f && f.bbox && drawCrop(this.crop, this.viewer.img, f.bbox, { maxWidth: width, maxHeight: 96 });
    this.crop.hidden = !ok;
  }

  onEdit(code, aspect, text) {
    const edited = this.model.edit(code, aspect, text);
    this.rows.get(code).row.classList.toggle("edited", edited);
    if (aspect === "value") this.rows.get(code).suggest.schedule();
  }

  setValue(code, value) {
    const entry = this.rows.get(code);
    entry.input.value = value ?? "";
    this.onEdit(code, "value", entry.input.value);
  }

  /** Enter: the field is right as it stands; on to the next field to check. */
  acceptAndGoOn(code) {
    this.model.accept(code);
    const entry = this.rows.get(code);
    if (entry) entry.row.classList.add("accepted");
    this.updateLeft();
    const next = this.model.nextAttention(code);
    if (next) this.focusField(next);
    else toast("Đã kiểm tra hết các ô cần xem — Ctrl+Enter để xác nhận.");
  }

  updateLeft() {
    const left = this.model.attentionLeft();
    this.leftCounter.textContent = left
      ? ` · còn ${left} ô cần kiểm tra (Enter: chấp nhận)`
      : " · đã kiểm tra hết — Ctrl+Enter: xác nhận";
    this.leftCounter.classList.toggle("done", left === 0);
  }

  moveBy(code, delta) {
    const next = this.model.neighbour(code, delta);
    if (next) this.focusField(next);
  }

  /** Close the suggestions of the field's row as the form is now (a blur closes them late). */
  closeSuggestions(code) {
    const entry = this.rows.get(code);
    if (entry) entry.suggest.close();
  }

  // ---- saving and decisions -----------------------------------------------------------------

  /** Save the edits; true when nothing is left unsaved. `quiet`: leaving, no toasts, no redraw. */
  async save({ quiet = false } = {}) {
    const outcome = await this.model.save();
    if (outcome.kind === "clean") {
      if (!quiet) toast("Không có gì để lưu.");
      return true;
    }
    if (outcome.kind === "saved") {
      if (quiet) return true;
      await this.show(outcome.record, { keepFocus: true, sent: outcome.sent });
      toast("Đã lưu.");
      return true;
    }
    if (quiet) return false;
    if (outcome.kind === "conflict") return this.resolveConflict(outcome.theirs, this.model.base);
    toast(errorText(outcome.error), "error");
    return false;
  }

  /** A decision the server refused: the conflict view for a newer version, else the error. */
  async refused(outcome) {
    if (outcome.kind === "conflict") await this.resolveConflict(outcome.theirs, this.model.base);
    else toast(errorText(outcome.error), "error");
  }

  /**
   * Theirs (the server's record) against my edits; true when it ended saved. `stored`: my edits
   * come from local storage of an older version (see RecordModel.afterConflict).
   */
  async resolveConflict(theirs, base, { stored = false } = {}) {
    const result = await showConflict({ base, theirs, mine: this.model.edits, label: (c) => this.model.label(c) });
    const next = this.model.afterConflict(theirs, result, { stored });
    if (!next) {
      this.renderRows();
      this.focusField(this.active || this.model.firstAttention());
      toast("Sửa đổi của bạn vẫn được giữ trên máy này, chưa lưu.", "error");
      return false;
    }
    await this.show(theirs, { keepFocus: true, edits: next.edits });
    if (result.action === "theirs") {
      toast("Đã lấy bản của người khác.");
      return false;
    }
    if (!this.model.dirty()) return true;
    return this.save();
  }

  async confirm() {
    if (this.model.busy) return;
    await this.model.exclusively(async () => {
      if (this.model.dirty() && !(await this.save({ quiet: false }))) return;
      const outcome = await this.model.confirm();
      if (outcome.kind !== "done") return this.refused(outcome);
      const done = outcome.record;
      toast(`Đã xác nhận bản ghi số ${(done.fields.so && done.fields.so.value) || done.seq}.`, "ok");
      await this.goAfterDecision(done);
    });
  }

  async flagDialog() {
    if (this.model.busy) return;
    const reason = await askFlagReason();
    if (!reason) return;
    await this.model.exclusively(async () => {
      if (this.model.dirty() && !(await this.save())) return;
      const outcome = await this.model.flag(reason);
      if (outcome.kind !== "done") return this.refused(outcome);
      toast(`Đã đánh dấu: ${reasonLabel(reason)}.`, "ok");
      await this.goAfterDecision(outcome.record);
    });
  }

  async reviewDecision(decision) {
    if (this.model.busy || !this.model.canReview(state.user)) return;
    let note = null;
    if (decision === "reject") {
      note = await askRejectNote();
      if (note === null) return;
    }
    if (this.model.dirty()) {
      toast("Có sửa đổi chưa lưu: lưu (Ctrl+S) rồi xác nhận lại, hoặc Esc để bỏ.", "error");
      return;
    }
    await this.model.exclusively(async () => {
      const outcome = await this.model.review(decision, note);
      if (outcome.kind !== "done") return this.refused(outcome);
      toast(decision === "approve" ? "Đã duyệt." : "Đã trả lại cho người nhập.", "ok");
      await this.goAfterDecision(outcome.record);
    });
  }

  // ---- going to another record --------------------------------------------------------------

  async goAfterDecision(done) {
    const inList = nextInList(reviewList(), done.id);
    if (inList) {
      if (inList.next) return this.openOther(inList.next);
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
    if (this.model.busy) return;
    const id = this.model.siblingId(delta);
    if (!id) {
      toast(delta > 0 ? "Đây là bản ghi cuối sổ." : "Đây là bản ghi đầu sổ.");
      return;
    }
    await this.model.exclusively(async () => {
      if (this.model.dirty() && !(await this.save())) return;
      await this.openOther(id);
    });
  }
}

function reviewList() {
  try {
    return JSON.parse(sessionStorage.getItem(REVIEW_LIST_KEY) || "null");
  } catch {
    return null;
  }
}

export { REVIEW_LIST_KEY };
