"""Draft containers survive a JSON round trip (the API and the job queue carry them as JSON)."""

from __future__ import annotations

import json

from ocr_service.extract.containers import FieldDraft, RecordDraft, RecordWarning


def test_record_round_trip() -> None:
    rec = RecordDraft(
        page=3,
        row=2,
        pages=[3, 4],
        fields={
            "so": FieldDraft(
                "so",
                "7",
                "07/2019",
                0.81,
                (10, 20, 30, 40),
                3,
                "ocr",
                ["so-year-derived"],
                [],
                "check",
            ),
            "nksDanToc": FieldDraft("nksDanToc", "", "Kinh", 0.5, None, 3, "prefill"),
        },
        warnings=[RecordWarning("so", "sequence-gap", "Thiếu số 06/2019", "warning")],
    )
    text = json.dumps(rec.to_json(), ensure_ascii=False)
    back = RecordDraft.from_json(json.loads(text))
    assert back == rec
    assert back.fields["so"].bbox == (10, 20, 30, 40)
    assert back.value("nksDanToc") == "Kinh"
    assert back.value("missing") is None
