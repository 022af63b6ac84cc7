"""Ditto marks in table ledgers: the value of the row above, word for word, flagged."""

from __future__ import annotations

from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.ditto import resolve_dittos


def _rows(*values: dict[str, str]) -> list[RecordDraft]:
    return [
        RecordDraft(page=1, row=i + 1, fields={c: FieldDraft(c, raw) for c, raw in v.items()})
        for i, v in enumerate(values)
    ]


def test_a_whole_cell_ditto_takes_the_value_above_even_down_a_chain() -> None:
    recs = _rows({"danToc": "Kinh"}, {"danToc": '"'}, {"danToc": "〃"}, {"danToc": "Tày"})
    resolve_dittos(recs)
    assert [r.fields["danToc"].raw for r in recs] == ["Kinh", "Kinh", "Kinh", "Tày"]
    assert [("ditto" in r.fields["danToc"].issues) for r in recs] == [False, True, True, False]


def test_a_ditto_for_part_of_a_value_takes_the_matching_word() -> None:
    recs = _rows({"ngay": "14 Mai 1903"}, {"ngay": '22 Juin "'}, {"ngay": '" " 1904'})
    resolve_dittos(recs)
    assert [r.fields["ngay"].raw for r in recs] == ["14 Mai 1903", "22 Juin 1903", "22 Juin 1904"]


def test_a_ditto_with_nothing_above_or_not_lining_up_is_left_and_flagged() -> None:
    recs = _rows({"ngay": '"'}, {"ngay": "14 Mai 1903"}, {"ngay": '22 "'})
    resolve_dittos(recs)
    assert recs[0].fields["ngay"].raw == '"'
    assert recs[0].fields["ngay"].issues == ["ditto-unresolved"]
    assert recs[2].fields["ngay"].raw == '22 "'
    assert "ditto-unresolved" in recs[2].fields["ngay"].issues


def test_a_blank_row_stops_the_value_being_carried_further() -> None:
    recs = _rows({"noi": "Paris"}, {"so": "2"}, {"noi": '"'})
    resolve_dittos(recs)
    assert recs[2].fields["noi"].raw == '"'
    assert "ditto-unresolved" in recs[2].fields["noi"].issues
