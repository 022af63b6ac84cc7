// RecordModel (review_ui/js/record_model.js): the record's edits, saving and conflicts, without a browser.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  RecordModel, diffVersions, editsSince, fieldOrder, isReviewer, mergeEdits, nextInList, unchosen,
} from "../../review_ui/js/record_model.js";

const SPEC = {
  name_vi: "Sổ đăng ký khai sinh",
  fields: [
    { code: "so", required: true, origin: "page" },
    { code: "nksHoTen", required: true, origin: "page", label_vi: "Họ, chữ đệm, tên" },
    { code: "nksDanToc", origin: "page", enum: ["Kinh", "Tày", "Thái", "Mường"] },
    { code: "nksNoiSinh", origin: "page", label_vi: "Nơi sinh" },
    { code: "meHoTen", origin: "page", label_vi: "Họ, chữ đệm, tên" },
    { code: "noiDangKy", origin: "book" },
    { code: "ngayDangKy", required: true, origin: "page", label_vi: "Ngày đăng ký" },
  ],
};

function record(overrides = {}) {
  return {
    id: "r1", version: 3, ledger_id: "L1", page: 2, status: "draft", register: "khai-sinh",
    prev_id: "r0", next_id: null,
    fields: {
      so: { value: "12", raw: "12", band: "sure", bbox: [1, 1, 5, 5], candidates: [] },
      nksHoTen: { value: "Nguyễn Văn An", raw: "Nguyen Van An", band: "unsure", bbox: [1, 10, 50, 20],
        candidates: ["Nguyễn Văn Ân", "Nguyễn Văn An"] },
      nksDanToc: { value: "Kinh", raw: "Kinh", band: "sure", note: "sổ ghi: kinh" },
      nksNoiSinh: { value: "Xã Tân Lập", raw: "Xa Tan Lap", band: "check", page: 3, bbox: [2, 2, 9, 9] },
      ghiChu: { value: null, raw: null, band: null, edited: true, bbox: [3, 3, 4, 4] },
    },
    warnings: [
      { field: "so", rule: "sequence", message: "Số trùng" },
      { field: null, rule: "sequence-gap", message: "Số thứ tự bị nhảy" },
    ],
    ...overrides,
  };
}

/** drafts.js stand-in: what the model keeps on "this machine". */
function fakeDrafts(stored = []) {
  const calls = [];
  return {
    calls,
    stored,
    saveLocal: (id, version, base, edits) => calls.push(["save", id, version, structuredClone(base), structuredClone(edits)]),
    loadLocal: (id) => stored.filter((s) => s.id === id),
    clearLocal: (id) => calls.push(["clear", id]),
  };
}

class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** api.js stand-in: answers each call with the next of `answers` (a value, or an Error to throw). */
function fakeApi(answers = []) {
  const calls = [];
  const answer = async (name, args) => {
    calls.push([name, ...structuredClone(args)]);
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return next;
  };
  return {
    calls,
    patchRecord: (...args) => answer("patchRecord", args),
    confirm: (...args) => answer("confirm", args),
    flag: (...args) => answer("flag", args),
    review: (...args) => answer("review", args),
  };
}

function loaded({ rec = record(), api = fakeApi(), drafts = fakeDrafts(), edits = null } = {}) {
  const model = new RecordModel({ api, drafts });
  model.load(rec, SPEC, { edits });
  return { model, api, drafts };
}

describe("form rows", () => {
  test("register order, required fields even when absent, other read fields, then the page's extras", () => {
    const { order, extra } = fieldOrder(record(), SPEC);
    assert.deepEqual(order, ["so", "nksHoTen", "nksDanToc", "nksNoiSinh", "ngayDangKy", "ghiChu", "meHoTen"]);
    assert.deepEqual(extra, ["meHoTen"]); // noiDangKy comes from the book's cover: no row
  });

  test("an extra row's label names its person", () => {
    const { model } = loaded();
    assert.equal(model.label("meHoTen"), "Mẹ: Họ, chữ đệm, tên");
    assert.equal(model.label("nksHoTen"), "Họ, chữ đệm, tên");
    assert.equal(model.label("ghiChu"), "ghiChu");
  });

  test("bands: the machine's, else unsure for an empty read or a required absent field", () => {
    const { model } = loaded();
    assert.equal(model.band("so"), "sure");
    assert.equal(model.band("ghiChu"), "unsure");
    assert.equal(model.band("ngayDangKy"), "unsure");
    assert.equal(model.band("meHoTen"), null);
  });

  test("the raw reading shows when it differs or the field needs a look", () => {
    const { model } = loaded();
    assert.equal(model.rawShown("nksHoTen"), "Nguyen Van An");
    assert.equal(model.rawShown("nksDanToc"), null);
    assert.equal(model.rawShown("so"), "12"); // same as the value, but a rule warns about it
  });

  test("warnings at their field, and the record's own above the form", () => {
    const { model } = loaded();
    assert.deepEqual(model.fieldWarnings("so").map((w) => w.rule), ["sequence"]);
    assert.deepEqual(model.recordWarnings().map((w) => w.rule), ["sequence-gap"]);
  });

  test("boxes per page, in form order, marked edited once the clerk edits", () => {
    const { model } = loaded();
    assert.deepEqual(model.boxesOn(2).map((b) => b.code), ["so", "nksHoTen", "ghiChu"]);
    assert.deepEqual(model.boxesOn(3).map((b) => b.code), ["nksNoiSinh"]);
    assert.equal(model.boxesOn(2)[1].edited, false);
    assert.equal(model.boxesOn(2)[2].edited, true); // edited earlier by someone
    model.edit("nksHoTen", "value", "Nguyễn Văn Ân");
    assert.equal(model.boxesOn(2)[1].edited, true);
    assert.equal(model.pageOf("nksNoiSinh"), 3);
    assert.equal(model.pageOf("so"), 2);
    assert.equal(model.pageOf(null), 2);
  });
});

describe("edits", () => {
  test("an edit is kept only while it differs from the record; every change is stored locally", () => {
    const { model, drafts } = loaded();
    assert.equal(model.dirty(), false);
    assert.equal(model.edit("nksHoTen", "value", "Nguyễn Văn Ân"), true);
    assert.deepEqual(model.edits, { nksHoTen: { value: "Nguyễn Văn Ân" } });
    assert.equal(model.shown("nksHoTen", "value"), "Nguyễn Văn Ân");
    assert.equal(model.original("nksHoTen", "value"), "Nguyễn Văn An");
    assert.equal(model.edit("nksHoTen", "value", "Nguyễn Văn An"), false); // typed back: no edit
    assert.equal(model.dirty(), false);
    assert.deepEqual(drafts.calls.map((c) => c[4]), [{ nksHoTen: { value: "Nguyễn Văn Ân" } }, {}]);
    assert.deepEqual(drafts.calls[0].slice(1, 3), ["r1", 3]);
    assert.deepEqual(drafts.calls[0][3].nksHoTen, { value: "Nguyễn Văn An", note: null });
  });

  test("an emptied field is null; an absent field is edited against null", () => {
    const { model } = loaded();
    model.edit("so", "value", "");
    assert.deepEqual(model.edits.so, { value: null });
    assert.equal(model.edit("meHoTen", "value", ""), false);
    model.edit("meHoTen", "value", "Lê Thị Hoa");
    assert.equal(model.shown("meHoTen", "value"), "Lê Thị Hoa");
    assert.equal(model.original("meHoTen", "value"), null);
  });

  test("value and note are separate aspects; the payload sends a plain value unless the note changed", () => {
    const { model } = loaded();
    model.edit("nksHoTen", "value", "Nguyễn Văn Ân");
    model.edit("nksDanToc", "note", "ghi tắt");
    model.edit("so", "value", "13");
    model.edit("so", "note", "số viết đè");
    assert.equal(model.isEdited("nksDanToc"), true);
    assert.equal(model.isEdited("nksDanToc", "value"), false);
    assert.equal(model.shown("nksDanToc", "value"), "Kinh");
    assert.deepEqual(model.payload(), {
      nksHoTen: "Nguyễn Văn Ân",
      nksDanToc: { note: "ghi tắt" },
      so: { value: "13", note: "số viết đè" },
    });
    model.edit("nksDanToc", "note", "sổ ghi: kinh"); // back to the record's note
    assert.equal(model.isEdited("nksDanToc"), false);
  });

  test("unsaved edits shown on load are stored at once; a clean load stores nothing", () => {
    const drafts = fakeDrafts();
    const { model } = loaded({ drafts, edits: { so: { value: "14" } } });
    assert.equal(model.shown("so", "value"), "14");
    assert.deepEqual(drafts.calls, [["save", "r1", 3, model.base, { so: { value: "14" } }]]);
    const clean = fakeDrafts();
    loaded({ drafts: clean });
    assert.deepEqual(clean.calls, []);
  });

  test("stored edits: the same version is restored, an older one is only offered", () => {
    const older = { id: "r1", version: 2, base: {}, edits: { so: { value: "9" } } };
    const same = { id: "r1", version: 3, base: {}, edits: { so: { value: "10" } } };
    const { model } = loaded({ drafts: fakeDrafts([same, older]) });
    assert.deepEqual(model.storedEdits(record()), { same, older });
    const { model: m2 } = loaded({ drafts: fakeDrafts([older]) });
    assert.deepEqual(m2.storedEdits(record()), { same: null, older });
    m2.adoptStored(older);
    assert.deepEqual(m2.edits, { so: { value: "9" } });
    m2.edit("so", "value", "10"); // editing on does not touch the stored entry
    assert.equal(older.edits.so.value, "9");
  });

  test("edits typed while a save was on its way survive the reload of the saved record", () => {
    const { model } = loaded();
    const sent = { so: { value: "13" }, nksHoTen: { value: "A" } };
    model.edits = { so: { value: "13" }, nksHoTen: { value: "AB" }, nksDanToc: { note: "n" } };
    model.load(record({ version: 4 }), SPEC, { sent });
    assert.deepEqual(model.edits, { nksHoTen: { value: "AB" }, nksDanToc: { note: "n" } });
    assert.deepEqual(editsSince({ a: { value: 1, note: 2 } }, { a: { value: 1 } }), { a: { note: 2 } });
  });
});

describe("attention", () => {
  test("unsure, check, warned and required-empty fields need a look, in form order", () => {
    const { model } = loaded();
    const need = model.order.filter((c) => model.needsAttention(c));
    assert.deepEqual(need, ["so", "nksHoTen", "nksNoiSinh", "ngayDangKy"]);
    assert.equal(model.firstAttention(), "so");
    assert.equal(model.attentionLeft(), 4);
  });

  test("accepting moves on to the next field to check, wrapping round, until none is left", () => {
    const { model } = loaded();
    model.accept("so");
    assert.equal(model.nextAttention("so"), "nksHoTen");
    assert.equal(model.firstAttention(), "nksHoTen");
    model.accept("nksHoTen");
    model.accept("ngayDangKy");
    assert.equal(model.nextAttention("ngayDangKy"), "nksNoiSinh"); // wraps to the top
    model.accept("nksNoiSinh");
    assert.equal(model.nextAttention("nksNoiSinh"), null);
    assert.equal(model.attentionLeft(), 0);
    assert.equal(model.firstAttention(), "so"); // nothing left: the first row
  });

  test("accepted fields stay accepted across a save of the same record, not on another record", () => {
    const { model } = loaded();
    model.accept("so");
    model.load(record({ version: 4 }), SPEC, { keepAccepted: true });
    assert.equal(model.accepted.has("so"), true);
    model.load(record({ id: "r2" }), SPEC);
    assert.equal(model.accepted.size, 0);
  });

  test("Tab neighbours stop at either end", () => {
    const { model } = loaded();
    assert.equal(model.neighbour("so", 1), "nksHoTen");
    assert.equal(model.neighbour("so", -1), null);
    assert.equal(model.neighbour("meHoTen", 1), null);
  });
});

describe("suggestions", () => {
  test("on focus: the candidates that differ from the value", () => {
    const { model } = loaded();
    assert.deepEqual(model.suggestions("nksHoTen", "Nguyễn Văn An", false), ["Nguyễn Văn Ân"]);
  });

  test("typed: candidates, enum labels matching without case or accents form, then the server's, eight at most", () => {
    const { model } = loaded();
    assert.deepEqual(model.suggestions("nksDanToc", "TÀ", true), ["Tày"]);
    assert.deepEqual(model.suggestions("nksDanToc", "", true), ["Kinh", "Tày", "Thái", "Mường"]);
    const remote = ["Tày", "Tà Ôi", "a", "b", "c", "d", "e", "f", "g"];
    const items = model.suggestions("nksDanToc", "tà", true, remote);
    assert.deepEqual(items, ["Tày", "Tà Ôi", "a", "b", "c", "d", "e", "f"]);
    assert.deepEqual(model.suggestions("nksDanToc", "tà", false, remote), []);
  });
});

describe("saving", () => {
  test("nothing to save calls nothing", async () => {
    const { model, api } = loaded();
    assert.deepEqual(await model.save(), { kind: "clean" });
    assert.deepEqual(api.calls, []);
  });

  test("a save PATCHes the version the edits were made on, then forgets the stored copy", async () => {
    const saved = record({ version: 4 });
    const api = fakeApi([saved]);
    const { model, drafts } = loaded({ api });
    model.edit("so", "value", "13");
    model.edit("nksDanToc", "note", "ghi tắt");
    const outcome = await model.save();
    assert.deepEqual(api.calls, [["patchRecord", "r1", 3, { so: "13", nksDanToc: { note: "ghi tắt" } }]]);
    assert.equal(outcome.kind, "saved");
    assert.equal(outcome.record, saved);
    assert.deepEqual(outcome.sent, { so: { value: "13" }, nksDanToc: { note: "ghi tắt" } });
    assert.deepEqual(drafts.calls.at(-1), ["clear", "r1"]);
    model.edit("so", "value", "134"); // typed after the PATCH left: not part of what was sent
    assert.deepEqual(outcome.sent.so, { value: "13" });
  });

  test("a 409 with the server's record is a conflict; the edits stay, stored", async () => {
    const theirs = record({ version: 4 });
    const api = fakeApi([new HttpError(409, { current: theirs })]);
    const { model, drafts } = loaded({ api });
    model.edit("so", "value", "13");
    assert.deepEqual(await model.save(), { kind: "conflict", theirs });
    assert.equal(model.dirty(), true);
    assert.equal(drafts.calls.some((c) => c[0] === "clear"), false);
  });

  test("any other failure is reported as such", async () => {
    const error = new HttpError(500, { detail: "boom" });
    const { model } = loaded({ api: fakeApi([error, new HttpError(409, {})]) });
    model.edit("so", "value", "13");
    assert.deepEqual(await model.save(), { kind: "failed", error });
    assert.equal((await model.save()).kind, "failed"); // a 409 without the record cannot be merged
  });
});

describe("decisions", () => {
  test("confirm, flag and review send the record's version; a confirmed record's stored edits go", async () => {
    const done = record({ status: "confirmed", version: 4 });
    const api = fakeApi([done, done, done]);
    const { model, drafts } = loaded({ api });
    assert.deepEqual(await model.confirm(), { kind: "done", record: done });
    assert.deepEqual(drafts.calls, [["clear", "r1"]]);
    await model.flag("damaged");
    await model.review("reject", "sai tên");
    assert.deepEqual(api.calls, [
      ["confirm", "r1", 3], ["flag", "r1", 3, "damaged"], ["review", "r1", 3, "reject", "sai tên"],
    ]);
  });

  test("a decision on an older version is a conflict, and nothing is cleared", async () => {
    const theirs = record({ version: 5 });
    const { model, drafts } = loaded({ api: fakeApi([new HttpError(409, { current: theirs })]) });
    assert.deepEqual(await model.confirm(), { kind: "conflict", theirs });
    assert.deepEqual(drafts.calls, []);
  });

  test("one decision at a time: busy while it runs, free again even when it throws", async () => {
    const { model } = loaded();
    let seen = null;
    await model.exclusively(async () => {
      seen = model.busy;
    });
    assert.equal(seen, true);
    assert.equal(model.busy, false);
    await assert.rejects(model.exclusively(async () => {
      throw new Error("x");
    }));
    assert.equal(model.busy, false);
  });

  test("only reviewers and admins review, and only confirmed records", () => {
    const { model } = loaded({ rec: record({ status: "confirmed" }) });
    assert.equal(model.canReview({ role: "reviewer" }), true);
    assert.equal(model.canReview({ role: "admin" }), true);
    assert.equal(model.canReview({ role: "clerk" }), false);
    assert.equal(model.canReview(null), false);
    assert.equal(isReviewer(undefined), false);
    const { model: draft } = loaded();
    assert.equal(draft.canReview({ role: "reviewer" }), false);
  });

  test("the book's neighbours and the reviewer's list", () => {
    const { model } = loaded();
    assert.equal(model.siblingId(-1), "r0");
    assert.equal(model.siblingId(1), null);
    assert.deepEqual(nextInList(["a", "b"], "a"), { next: "b" });
    assert.deepEqual(nextInList(["a", "b"], "b"), { next: null });
    assert.equal(nextInList(["a", "b"], "c"), null);
    assert.equal(nextInList(null, "a"), null);
  });
});

describe("version conflicts", () => {
  const base = { so: { value: "12", note: null }, ten: { value: "An", note: null }, noi: { value: "X", note: null } };
  const theirs = {
    version: 4,
    fields: { so: { value: "12" }, ten: { value: "Ân" }, noi: { value: "Y" }, cha: { value: "Bình" } },
  };

  test("rows for what either side changed; a clash only where both changed differently", () => {
    const mine = { ten: { value: "Anh" }, noi: { value: "Y" }, so: { note: "viết đè" } };
    const rows = diffVersions(base, theirs, mine);
    const key = (r) => `${r.code}.${r.aspect}`;
    assert.deepEqual(rows.map(key).sort(), ["cha.value", "noi.value", "so.note", "ten.value"]);
    const byKey = Object.fromEntries(rows.map((r) => [key(r), r]));
    assert.equal(byKey["ten.value"].clash, true);
    assert.equal(byKey["noi.value"].clash, false); // both wrote the same
    assert.equal(byKey["cha.value"].mineChanged, false);
    assert.equal(byKey["so.note"].theirsChanged, false);
    assert.equal(byKey["so.note"].mine, "viết đè");
  });

  test("a merge waits for every clash to be chosen, then keeps mine where chosen or only mine changed", () => {
    const mine = { ten: { value: "Anh" }, noi: { value: "Y" }, so: { note: "viết đè" } };
    const rows = diffVersions(base, theirs, mine);
    const clash = rows.findIndex((r) => r.clash);
    const choices = new Map();
    assert.equal(unchosen(rows, choices), 1);
    assert.equal(mergeEdits(rows, choices), null);
    choices.set(clash, "theirs");
    assert.deepEqual(mergeEdits(rows, choices), { so: { note: "viết đè" } });
    choices.set(clash, "mine");
    assert.deepEqual(mergeEdits(rows, choices), { so: { note: "viết đè" }, ten: { value: "Anh" } });
  });

  test("later: edits from storage leave the form, edits typed here stay; nothing is cleared", () => {
    const drafts = fakeDrafts();
    const { model } = loaded({ drafts });
    model.adoptStored({ edits: { so: { value: "9" } } });
    assert.equal(model.afterConflict(theirs, { action: "later" }, { stored: true }), null);
    assert.deepEqual(model.edits, {});
    model.edit("so", "value", "13");
    assert.equal(model.afterConflict(theirs, { action: "later" }), null);
    assert.deepEqual(model.edits, { so: { value: "13" } });
    assert.equal(drafts.calls.some((c) => c[0] === "clear"), false);
  });

  test("theirs drops my edits, merge keeps the merged ones; the stored copy goes either way", () => {
    const drafts = fakeDrafts();
    const { model } = loaded({ drafts });
    const them = { ...record({ version: 4 }) };
    assert.deepEqual(model.afterConflict(them, { action: "theirs" }), { edits: null });
    const merged = { so: { value: "13" } };
    assert.deepEqual(model.afterConflict(them, { action: "merge", edits: merged }), { edits: merged });
    assert.deepEqual(drafts.calls, [["clear", "r1"], ["clear", "r1"]]);
  });
});
