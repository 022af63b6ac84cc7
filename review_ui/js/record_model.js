// The record's edit model: the server's record, the clerk's edits on top, saving, version conflicts.
// No DOM here: the review screen (review.js) is a view over it; tests/js/record_model.test.mjs.

import { groupOf, groupLabel, labelFor } from "./labels.js";

/** Bands the machine marks for a look; required fields left empty need one too. */
const ATTENTION_BANDS = new Set(["check", "unsure"]);
/** Fields the page itself can carry: they get a row even when the machine read nothing there. */
const PAGE_ORIGINS = new Set(["page", "page/book", "tick-box"]);
/** The two things a clerk can change in a field: its value and the "ghi theo sổ gốc" note. */
export const ASPECTS = ["value", "note"];
/** At most this many suggestions under a field. */
const MAX_SUGGESTIONS = 8;

const EMPTY_FIELD = Object.freeze({ value: null, raw: null, band: null, issues: [], candidates: [], note: null });

/**
 * One record under review. `api`: {patchRecord, confirm, flag, review} (api.js, or a fake in
 * tests); `drafts`: {saveLocal, loadLocal, clearLocal} (drafts.js: unsaved edits in local storage).
 *
 * base: code -> {value, note} as the server had it when the record was shown;
 * edits: code -> {value?, note?}, only the aspects that differ from base (an empty string is null).
 */
export class RecordModel {
  constructor({ api, drafts }) {
    this.api = api;
    this.drafts = drafts;
    this.rec = null;
    this.spec = { fields: [] };
    this.specByCode = new Map();
    this.base = {};
    this.edits = {};
    this.accepted = new Set();
    this.order = [];
    this.extraCodes = new Set();
    // One decision (save, confirm, flag, review, going to another record) at a time.
    this.busy = false;
  }

  /**
   * Take a record from the server. `edits`: unsaved edits to put on top of it; `sent`: the edits
   * just saved, so anything typed while the save was on its way stays as a new edit;
   * `keepAccepted`: the same record again (after a save), so the fields accepted stay accepted.
   */
  load(rec, spec, { edits = null, sent = null, keepAccepted = false } = {}) {
    const typedMeanwhile = sent ? editsSince(this.edits, sent) : null;
    this.rec = rec;
    this.base = baseOf(rec);
    this.edits = typedMeanwhile || (edits ? { ...edits } : {});
    if (!keepAccepted) this.accepted = new Set();
    this.spec = spec;
    this.specByCode = new Map((spec.fields || []).map((f) => [f.code, f]));
    const { order, extra } = fieldOrder(rec, spec);
    this.order = order;
    this.extraCodes = new Set(extra);
    if (this.dirty()) this.drafts.saveLocal(rec.id, rec.version, this.base, this.edits);
  }

  dirty() {
    return Object.keys(this.edits).length > 0;
  }

  /** Unsaved edits kept on this machine for the record: `same` version, or an `older` one. */
  storedEdits(rec) {
    const stored = this.drafts.loadLocal(rec.id);
    return {
      same: stored.find((s) => s.version === rec.version) || null,
      older: stored.find((s) => s.version < rec.version) || null,
    };
  }

  /**
   * Put edits stored for an older version on the form's model, without storing them again under
   * this version: they must go through the conflict view before they can be saved.
   */
  adoptStored(entry) {
    this.edits = { ...entry.edits };
  }

  // ---- fields ------------------------------------------------------------------------------

  field(code) {
    return this.rec.fields[code] || EMPTY_FIELD;
  }

  /** What the form shows for a field's value or note: the clerk's edit, else the record's. */
  shown(code, aspect) {
    const edit = this.edits[code] || {};
    return aspect in edit ? edit[aspect] : this.field(code)[aspect];
  }

  /** The value or note the record had when it was shown (what Esc goes back to). */
  original(code, aspect) {
    return this.base[code] ? this.base[code][aspect] : null;
  }

  isEdited(code, aspect = null) {
    const e = this.edits[code];
    return Boolean(e) && (aspect === null || aspect in e);
  }

  /** The clerk typed `text` into a field's value or note; true when the field now differs from base. */
  edit(code, aspect, text) {
    const baseV = this.original(code, aspect);
    const v = text === "" ? null : text;
    const e = { ...(this.edits[code] || {}) };
    if ((v ?? null) === (baseV ?? null)) delete e[aspect];
    else e[aspect] = v;
    if (Object.keys(e).length) this.edits[code] = e;
    else delete this.edits[code];
    this.drafts.saveLocal(this.rec.id, this.rec.version, this.base, this.edits);
    return code in this.edits;
  }

  label(code) {
    const label = labelFor(this.specByCode.get(code), code);
    const g = groupOf(code);
    // Outside their person's group (the extra rows) labels like "Dân tộc" need the person.
    return this.extraCodes.has(code) && g ? `${groupLabel(g)}: ${label}` : label;
  }

  required(code) {
    const spec = this.specByCode.get(code);
    return Boolean(spec && spec.required);
  }

  /** The band to show: the machine's, else "unsure" for an empty read or required field. */
  band(code) {
    const f = this.rec.fields[code];
    if (f && f.band) return f.band;
    return (f ? !f.value : this.required(code)) ? "unsure" : null;
  }

  /** The raw reading when the clerk should see it (it differs, or the field needs a look). */
  rawShown(code) {
    const f = this.field(code);
    return f.raw && (f.raw !== f.value || this.needsAttention(code)) ? f.raw : null;
  }

  fieldWarnings(code) {
    return (this.rec.warnings || []).filter((w) => w.field === code);
  }

  /** Warnings about the record as a whole, or about a field the form has no row for. */
  recordWarnings() {
    return (this.rec.warnings || []).filter((w) => !w.field || !this.order.includes(w.field));
  }

  pageOf(code) {
    const f = code && this.rec.fields[code];
    return (f && f.page) || this.rec.page;
  }

  /** The field boxes drawn on one page image, in form order. */
  boxesOn(page) {
    const boxes = [];
    for (const code of this.order) {
      const f = this.rec.fields[code];
      if (!f || !f.bbox || (f.page || this.rec.page) !== page) continue;
      boxes.push({ code, bbox: f.bbox, band: f.band, edited: f.edited || code in this.edits, label: this.label(code) });
    }
    return boxes;
  }

  // ---- attention: which fields the clerk must look at ----------------------------------------

  needsAttention(code) {
    const f = this.rec.fields[code];
    if (!f) return this.required(code);
    if (ATTENTION_BANDS.has(f.band)) return true;
    if (this.fieldWarnings(code).length) return true;
    return this.required(code) && !f.value;
  }

  accept(code) {
    this.accepted.add(code);
  }

  /** Fields still to look at (needing attention, not accepted). */
  attentionLeft() {
    return this.order.filter((c) => this.needsAttention(c) && !this.accepted.has(c)).length;
  }

  /** Where the focus opens: the first field to look at, else the first field. */
  firstAttention() {
    return this.order.find((c) => this.needsAttention(c) && !this.accepted.has(c)) || this.order[0];
  }

  /** The next field to look at after `code`, wrapping round; null when none is left. */
  nextAttention(code) {
    const i = this.order.indexOf(code);
    const rest = [...this.order.slice(i + 1), ...this.order.slice(0, i)];
    return rest.find((c) => this.needsAttention(c) && !this.accepted.has(c)) || null;
  }

  /** The field `delta` rows away in form order (Tab, Shift+Tab); null past either end. */
  neighbour(code, delta) {
    return this.order[this.order.indexOf(code) + delta] || null;
  }

  /** Suggestions for a field: its candidates, then (as typed) enum labels and `remote` ones. */
  suggestions(code, query, typed, remote = []) {
    const items = [];
    // Candidates differing from the value are offers; a typed prefix may also match exactly.
    const add = (v) => {
      if (v && !items.includes(v) && (typed || v !== query)) items.push(v);
    };
    for (const c of this.field(code).candidates || []) add(c);
    if (typed) {
      const spec = this.specByCode.get(code);
      if (spec && spec.enum) {
        const nq = norm(query);
        for (const v of spec.enum) if (!nq || norm(v).includes(nq)) add(v);
      }
      for (const v of remote) add(v);
    }
    return items.slice(0, MAX_SUGGESTIONS);
  }

  // ---- saving and decisions ------------------------------------------------------------------

  /** The PATCH body's fields: a plain value, or {value?, note?} when the note changed. */
  payload() {
    const fields = {};
    for (const [code, e] of Object.entries(this.edits)) {
      fields[code] = "note" in e ? { ...e } : e.value;
    }
    return fields;
  }

  /**
   * PATCH the edits on the version they were made on. Outcomes: {kind: "clean"} (nothing to
   * save), {kind: "saved", record, sent} (show `record` with `sent` so later typing stays),
   * {kind: "conflict", theirs} (someone saved first), {kind: "failed", error}.
   */
  async save() {
    if (!this.dirty()) return { kind: "clean" };
    const rec = this.rec;
    const sent = structuredClone(this.edits);
    try {
      const record = await this.api.patchRecord(rec.id, rec.version, this.payload());
      this.drafts.clearLocal(rec.id);
      return { kind: "saved", record, sent };
    } catch (error) {
      return failure(error);
    }
  }

  /** Confirm the record as it is on the server; {kind: "done", record} or as save(). */
  async confirm() {
    const rec = this.rec;
    const outcome = await decide(() => this.api.confirm(rec.id, rec.version));
    if (outcome.kind === "done") this.drafts.clearLocal(rec.id);
    return outcome;
  }

  async flag(reason) {
    return decide(() => this.api.flag(this.rec.id, this.rec.version, reason));
  }

  /** A reviewer's decision ("approve" or "reject", with an optional note). */
  async review(decision, note) {
    return decide(() => this.api.review(this.rec.id, this.rec.version, decision, note));
  }

  /** Run `fn` as the one decision under way (see `busy`). */
  async exclusively(fn) {
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  /**
   * The clerk chose in the conflict view (`result` of showConflict) against `theirs`. "later":
   * returns null, and edits adopted from storage leave the form (they stay stored, so they are
   * never saved over the newer version without this choice). "theirs" / "merge": returns
   * {edits} to show theirs with (null, or my edits merged), and the stored edits are done with.
   */
  afterConflict(theirs, result, { stored = false } = {}) {
    if (result.action === "later") {
      if (stored) this.edits = {};
      return null;
    }
    this.drafts.clearLocal(theirs.id);
    return { edits: result.action === "merge" ? result.edits : null };
  }

  // ---- navigation ----------------------------------------------------------------------------

  /** The record before (delta < 0) or after this one in the book, or null at either end. */
  siblingId(delta) {
    return (delta > 0 ? this.rec.next_id : this.rec.prev_id) || null;
  }

  canReview(user) {
    return isReviewer(user) && this.rec.status === "confirmed";
  }
}

export function isReviewer(user) {
  return Boolean(user) && (user.role === "reviewer" || user.role === "admin");
}

/** code -> {value, note} of every field the record has. */
export function baseOf(rec) {
  const base = {};
  for (const [code, f] of Object.entries(rec.fields)) {
    base[code] = { value: f ? f.value ?? null : null, note: f ? f.note ?? null : null };
  }
  return base;
}

/**
 * The form's rows: the register's fields the record has (or requires) in the register's order,
 * then any other field it has; `extra`: the page fields it lacks, at the end.
 */
export function fieldOrder(rec, spec) {
  const present = new Set(Object.keys(rec.fields));
  const order = [];
  const extra = [];
  for (const f of spec.fields || []) {
    if (present.has(f.code) || f.required) order.push(f.code);
    // Everything else the page can show gets a row at the end (few Tabs past the read fields),
    // so a field the machine missed can still be typed.
    else if (PAGE_ORIGINS.has(f.origin)) extra.push(f.code);
  }
  for (const code of present) if (!order.includes(code)) order.push(code);
  return { order: [...order, ...extra], extra };
}

/** Edits in `current` that are not exactly what was `sent` (typed while a save was running). */
export function editsSince(current, sent) {
  const out = {};
  for (const [code, e] of Object.entries(current)) {
    const s = sent[code] || {};
    for (const [aspect, v] of Object.entries(e)) {
      if (!(aspect in s) || s[aspect] !== v) (out[code] ||= {})[aspect] = v;
    }
  }
  return out;
}

/**
 * Compare base (what I started from), theirs (the server's current record) and mine (my edits).
 * Returns one row per field and aspect that either side changed.
 */
export function diffVersions(base, theirsRecord, mine) {
  const rows = [];
  const codes = new Set([...Object.keys(mine)]);
  for (const [code, f] of Object.entries(theirsRecord.fields)) {
    const b = base[code] || { value: null, note: null };
    if ((f.value ?? null) !== (b.value ?? null) || (f.note ?? null) !== (b.note ?? null)) codes.add(code);
  }
  for (const code of codes) {
    const b = base[code] || { value: null, note: null };
    const t = theirsRecord.fields[code] || { value: null, note: null };
    const m = mine[code] || {};
    for (const aspect of ASPECTS) {
      const baseV = b[aspect] ?? null;
      const theirV = t[aspect] ?? null;
      const mineChanged = aspect in m;
      const mineV = mineChanged ? m[aspect] ?? null : baseV;
      const theirsChanged = theirV !== baseV;
      if (!mineChanged && !theirsChanged) continue;
      rows.push({
        code, aspect, base: baseV, theirs: theirV, mine: mineV, mineChanged, theirsChanged,
        clash: mineChanged && theirsChanged && mineV !== theirV,
      });
    }
  }
  return rows;
}

/** Clashing rows (both sides changed, differently) the clerk has not chosen for yet. */
export function unchosen(rows, choices) {
  return rows.filter((r, i) => r.clash && !choices.has(i)).length;
}

/**
 * My edits to save on top of theirs: what only I changed, and each clash where `choices` (row
 * index -> "theirs" | "mine") says mine; null while a clash is left undecided.
 */
export function mergeEdits(rows, choices) {
  if (unchosen(rows, choices) > 0) return null;
  const edits = {};
  rows.forEach((r, i) => {
    if (!r.mineChanged) return;
    if (r.clash && choices.get(i) !== "mine") return;
    if (r.mine === r.theirs) return;
    (edits[r.code] ||= {})[r.aspect] = r.mine;
  });
  return edits;
}

/** Where to go after a decision on a record of the reviewer's list: {next} (null: list done). */
export function nextInList(list, id) {
  if (!Array.isArray(list) || !list.includes(id)) return null;
  return { next: list[list.indexOf(id) + 1] || null };
}

async function decide(call) {
  try {
    return { kind: "done", record: await call() };
  } catch (error) {
    return failure(error);
  }
}

/** A version conflict (409 with the server's current record) or another failure. */
function failure(error) {
  if (error && error.status === 409 && error.body && error.body.current) {
    return { kind: "conflict", theirs: error.body.current };
  }
  return { kind: "failed", error };
}

function norm(s) {
  return (s || "").normalize("NFC").toLowerCase().trim();
}
