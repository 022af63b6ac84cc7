// Vietnamese labels (review_ui/js/labels.js): issue codes are shown in the clerk's words.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { issueLabel } from "../../review_ui/js/labels.js";

describe("issueLabel", () => {
  test("a known code reads as Vietnamese, not as the code", () => {
    assert.equal(issueLabel("date-partial"), "Ngày chưa đủ (chỉ có tháng/năm)");
    assert.equal(issueLabel("enum-fuzzy"), "Khớp gần đúng với danh mục");
    assert.equal(issueLabel("date-extra-text"), "Đã bỏ chữ thừa trước ngày");
    assert.equal(issueLabel("book-vote-outlier"), "Khác quyển số của sổ: đã lấy theo sổ");
  });

  test("an unknown code falls back to the code itself", () => {
    assert.equal(issueLabel("some-future-code"), "some-future-code");
    // Not a property of every object: the map is looked up as data only.
    assert.equal(issueLabel("toString"), "toString");
    assert.equal(issueLabel("__proto__"), "__proto__");
  });
});
