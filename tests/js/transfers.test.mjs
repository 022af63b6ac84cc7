// Uploads and exports in words (review_ui/js/transfers.js) and the polling backoff (poll.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { POLL, nextDelay, poll } from "../../review_ui/js/poll.js";
import {
  EXPORT_FORMATS, exportStatusText, fmtSize, formatLabel, uploadErrorText, yearOfBook,
} from "../../review_ui/js/transfers.js";

describe("upload words", () => {
  test("an API error reads in Vietnamese first, the server's detail after", () => {
    assert.equal(uploadErrorText({ status: 413, code: "too_large", message: "file is larger than 1 MiB" }),
      "Tệp quá lớn: file is larger than 1 MiB");
    assert.equal(uploadErrorText({ status: 415, code: "unsupported_type", message: "" }),
      "Sai loại tệp (chỉ nhận PDF, TIFF, JPEG, PNG)");
    assert.equal(uploadErrorText({ status: 500, code: "internal", message: "" }), "Lỗi 500");
  });

  test("the year a quyển số carries prefills the year", () => {
    assert.equal(yearOfBook("01/2019"), 2019);
    assert.equal(yearOfBook(" 3 / 1998 "), 1998);
    assert.equal(yearOfBook("01-TP/HT-2015"), 2015);
    assert.equal(yearOfBook("01"), null);
    assert.equal(yearOfBook(""), null);
    assert.equal(yearOfBook(null), null);
  });

  test("sizes in kB and MB", () => {
    assert.equal(fmtSize(10), "1 kB");
    assert.equal(fmtSize(182 * 1024), "182 kB");
    assert.equal(fmtSize(5.5 * 1024 * 1024), "5.5 MB");
  });
});

describe("export words", () => {
  test("every format of the export code has a label", () => {
    assert.deepEqual(EXPORT_FORMATS.map((f) => f.format), ["xlsx", "zip", "json", "csv", "pagexml", "training"]);
    assert.equal(formatLabel("xlsx"), "Excel Bộ Tư pháp (.xlsx)");
    assert.equal(formatLabel("odt"), "odt");
  });

  test("a job's state in words, its reason when it failed", () => {
    assert.equal(exportStatusText({ status: "queued" }), "Đang chờ");
    assert.equal(exportStatusText({ status: "running", records_done: 120, records_total: 800 }),
      "Đang xuất 120/800 bản ghi");
    assert.equal(exportStatusText({ status: "done", records_done: 3 }), "Xong · 3 bản ghi");
    assert.equal(exportStatusText({ status: "done", format: "pagexml", records_done: 4 }), "Xong · 4 trang");
    assert.equal(exportStatusText({ status: "failed", error: "quyển số None is not '<volume>/<yyyy>'" }),
      "Lỗi: quyển số None is not '<volume>/<yyyy>'");
  });
});

describe("polling", () => {
  test("backs off while nothing changes, back to the first step on a change", () => {
    let d = POLL.first;
    const seen = [];
    for (let i = 0; i < 8; i++) seen.push((d = nextDelay(d, false)));
    assert.deepEqual(seen.slice(0, 3), [1600, 2560, 4096]);
    assert.equal(seen.at(-1), POLL.max);
    assert.equal(nextDelay(POLL.max, true), POLL.first);
  });

  test("stops when told, and when the tick says done", async () => {
    const opts = { first: 5, factor: 1, max: 5 };
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    let n = 0;
    const stop = poll(async () => ({ changed: false, done: ++n === 3 }), opts);
    for (let i = 0; i < 100 && n < 3; i++) await sleep(20);
    await sleep(60);
    assert.equal(n, 3);  // and no fourth tick after "done"
    stop();
    let m = 0;
    const stop2 = poll(async () => { m++; return { changed: true }; }, opts);
    for (let i = 0; i < 100 && m < 2; i++) await sleep(20);
    stop2();
    const after = m;
    assert.ok(after >= 2);
    await sleep(60);
    assert.equal(m, after);
  });
});
