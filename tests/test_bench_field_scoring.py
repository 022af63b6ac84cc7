"""The field scorer of the whole-book benchmarks (issue #13's honest scoring)."""

from __future__ import annotations

from typing import Any

from ocr_service.bench.fields import (
    expected,
    pair_by_page,
    same,
    score_records,
    with_candidates,
)


def field(value: str, text: str | None) -> dict[str, Any]:
    return {"value": value, "text": text, "bbox": None}


def test_names_compare_in_title_case_and_nothing_looser() -> None:
    assert same("khai-sinh", "nksHoTen", "Nguyễn Thị Thu", "NGUYỄN THỊ THU")
    assert same("khai-sinh", "nksHoTen", "NGUYỄN THỊ THU", "NGUYễN Thị Thu")
    assert not same("khai-sinh", "nksHoTen", "Nguyễn Thị Thu", "Nguyen Thi Thu")
    assert not same("khai-sinh", "nksHoTen", "Nguyễn Thị Thu", "Nguyễn Thị")
    # Title Case is a rule of names only: a place keeps the case of the book.
    assert not same("khai-sinh", "nksNoiSinh", "Trạm y tế xã Mẫu", "Trạm Y tế xã Mẫu")


def test_ethnic_groups_in_any_spelling_of_their_own_group() -> None:
    assert same("khai-sinh", "nksDanToc", "Kinh", "Việt")
    assert same("khai-sinh", "nksDanToc", "HMông", "H'Mông")
    assert not same("khai-sinh", "nksDanToc", "Kinh", "Tày")
    assert not same("khai-sinh", "nksDanToc", "Kinh", "kinh")


def test_unpadded_numbers_equal_only_in_codes() -> None:
    assert same("khai-sinh", "so", "05/2019", "5/2019")
    assert same("khai-sinh", "so", "5/2019", "05/2019")
    assert not same("khai-sinh", "so", "05/2019", "5/2018")
    # Identity numbers keep their leading zeros; dates are compared in their export form.
    assert not same("khai-sinh", "nksSoDinhDanh", "012345678901", "12345678901")
    assert not same("khai-sinh", "nksNgaySinh", "05.03.2019", "5.3.2019")


def test_truth_is_what_the_page_shows() -> None:
    # A written field: the page's text, even where the generator's value were normalised.
    place = field("Trạm Y tế xã Mẫu", "Trạm y tế xã Mẫu")
    assert expected("khai-sinh", "nksNoiSinh", place) == "Trạm y tế xã Mẫu"
    # Formatted types are scored in their export form ('01' of a book whose numbers carry no
    # year is '01/2020' once REGISTERS.md's year is added), unprinted fields by their value.
    assert expected("khai-tu", "so", field("01/2020", "1")) == "01/2020"
    assert expected("khai-sinh", "nksNgaySinh", field("05.03.2019", "5-3-2019")) == "05.03.2019"
    assert expected("khai-sinh", "noiDangKy", field("UBND xã Mẫu", None)) == "UBND xã Mẫu"


def truth_record(page: int, fields: dict[str, Any], half: str | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {"index": 0, "page": page, "row": None, "fields": fields}
    if half is not None:
        rec["half"] = half
    return rec


def export_record(page: int, values: dict[str, Any], side: str | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": f"r{page}{side or ''}",
        "page": page,
        "fields": {k: {"value": v} for k, v in values.items()},
    }
    if side is not None:
        rec["side"] = side
    return rec


def test_value_and_value_or_top_suggestion() -> None:
    truth = truth_record(
        1,
        {
            "nksNoiSinh": field("Trạm y tế xã Mẫu", "Trạm y tế xã Mẫu"),
            "nksQueQuan": field("xã Mẫu, huyện Lâm", "xã Mẫu, huyện Lâm"),
            "chucVuNguoiKy": field("Chủ tịch", "Chủ tịch"),
            "nksHoTen": field("Lê Văn Tư", "LÊ VĂN TƯ"),
        },
    )
    rec = export_record(
        1,
        {
            "nksNoiSinh": "Trạm y tể xã Mẫu",
            "nksQueQuan": "xã Mầu, huyện Lâm",
            "chucVuNguoiKy": "Chủ tich",
            "nksHoTen": "Lê Văn Tư",
        },
    )
    rec["fields"]["nksNoiSinh"]["candidates"] = ["Trạm y tế xã Mẫu"]  # top: one keystroke
    rec["fields"]["nksQueQuan"]["candidates"] = ["xã Mầu, huyện Lam", "xã Mẫu, huyện Lâm"]
    out = score_records("khai-sinh", [(truth, rec)], 1)
    assert (out["fields"], out["exact"], out["value_or_suggestion"]) == (4, 1, 2)
    assert out["per_field"]["nksNoiSinh"] == {"total": 1, "exact": 0, "value_or_suggestion": 1}
    assert out["per_field"]["nksQueQuan"]["value_or_suggestion"] == 0  # not the top one
    miss = next(m for m in out["misses"] if m["field"] == "nksNoiSinh")
    assert miss["suggestion"] == "Trạm y tế xã Mẫu"


def test_a_record_not_found_scores_every_field_wrong() -> None:
    truth = truth_record(2, {"so": field("02/2019", "2/2019")})
    out = score_records("khai-sinh", [(truth, None)], 0)
    assert (out["records_found"], out["exact"], out["fields"]) == (0, 0, 1)


def test_records_paired_by_image_and_side() -> None:
    truth = {
        "records": [
            truth_record(1, {}, "left"),
            truth_record(1, {}, "right"),
            truth_record(2, {}, "left"),
            truth_record(2, {}, "right"),
        ]
    }
    export = {
        "records": [
            export_record(1, {}, "right"),  # only the right page of image 1 was found
            export_record(2, {}),  # image 2 read whole (not split): matched in order
        ]
    }
    pairs = pair_by_page(truth, export)
    assert [rec["id"] if rec else None for _, rec in pairs] == [None, "r1right", "r2", None]


def test_candidates_read_beside_the_export() -> None:
    export = {"records": [export_record(1, {"nksNoiSinh": "x", "so": "1/2019"})]}
    merged = with_candidates(export, {"r1": {"nksNoiSinh": ["y"]}})
    fields = merged["records"][0]["fields"]
    assert fields["nksNoiSinh"] == {"value": "x", "candidates": ["y"]}
    assert fields["so"] == {"value": "1/2019", "candidates": []}
    assert "candidates" not in export["records"][0]["fields"]["so"]  # the export is not changed
