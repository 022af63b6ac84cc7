"""The decoding lexicon of a ledger (extract/vocabulary.py, learning/vocabulary.py): the
register's words, dates in words, administrative units, and the confirmed names and places of
its commune, rebuilt when a record is confirmed; and the page pipeline hands it to the engine
when SOHOA_VI_DECODE=beam-vocab."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from models.entities import DraftRecord, FieldValue, Ledger, Page
from ocr_service.config import OcrSettings, Settings, ViSettings
from ocr_service.db import session_scope
from ocr_service.extract.normalise.date_words import parse_date_words
from ocr_service.extract.vocabulary import (
    CLOSED_NATS,
    PLACE_REPAIR,
    book_lexicon,
    label_lexicons,
    label_repairs,
    name_place_codes,
)
from ocr_service.jobs.tasks import _page_input
from ocr_service.learning.vocabulary import ledger_lexicon
from ocr_service.ocr.ctc_beam import syllables
from tests.factories import add_book

# Syllables of no register word, date word or unit name (checked below, not assumed).
RARE_NAME = "Khổng Thị Ngoãn"
RARE_PLACE = "Xóm Quềnh, xã Hòa Bình"


def test_the_book_lexicon_holds_register_words_dates_in_words_and_units() -> None:
    lexicon = book_lexicon("khai-sinh")
    for word in ("khai", "sinh", "đăng", "ký", "kinh"):  # register names, labels, ethnic group
        assert word in lexicon, word
    written = "ngày mồng năm tháng giêng năm một nghìn chín trăm tám mươi bảy"
    assert parse_date_words(written).value == "05.01.1987"
    assert all(w in lexicon for w in syllables(written))
    for word in ("phường", "huyện", "thọ", "trạm", "tế"):  # units, 'Phú Thọ', 'Trạm y tế'
        assert word in lexicon, word
    assert {"nksHoTen", "meNoiCuTru", "nksNoiSinh"} <= name_place_codes("khai-sinh")
    assert "nksGioiTinh" not in name_place_codes()


def test_list_and_date_word_values_are_read_with_the_closed_lexicon_of_their_label() -> None:
    closed = dict(label_lexicons("khai-sinh"))
    # Page fields of a closed set, by their label; 'Giấy tờ tùy thân' also labels a free
    # text (the document as written), so it stays open.
    assert set(closed) == {
        "gioi tinh",
        "dan toc",
        "quoc tich",
        "ghi bang chu",
        "quan he voi nguoi duoc khai sinh",
    }
    assert {"nam", "nữ"} <= closed["gioi tinh"].words
    assert {"kinh", "tày", "việt", "mường"} <= closed["dan toc"].words
    assert "kinh" not in closed["gioi tinh"]  # each its own list
    assert {"việt", "nam", "nhật", "bản", "lào"} <= closed["quoc tich"].words
    assert {"mồng", "tháng", "mươi", "nghìn"} <= closed["ghi bang chu"].words
    assert "xã" not in closed["ghi bang chu"]  # no place word in a date
    # The register's label words too: a label read into the value's part stays a label.
    assert {"quốc", "tịch", "dân", "tộc"} <= closed["gioi tinh"].words
    assert {lex.closed for lex in closed.values()} == {CLOSED_NATS}
    # A list value spells one of the list's entries; a date, any run of a date's words.
    assert closed["dan toc"].spells("Kinh") and closed["dan toc"].spells("K'Ho")
    assert not closed["dan toc"].spells("K")  # a syllable of 'K'Ho' is no ethnic group
    assert closed["quoc tich"].spells("Việt Nam") and closed["quoc tich"].spells("Ca-na-đa")
    assert not closed["quoc tich"].spells("Việt an") and not closed["quoc tich"].spells("Na")
    assert closed["gioi tinh"].spells("Nữ") and not closed["gioi tinh"].spells("Dân tộc")
    assert closed["ghi bang chu"].spells("ngày hai mươi mốt tháng giêng")
    assert not closed["ghi bang chu"].spells("ngày hai mươi mốt tháng giêng xã")
    # A label's words are searched (a label read into the value stays a label) but spell no
    # value: 'tịch' of 'Quốc tịch' is no word of a date.
    assert "tịch" in closed["ghi bang chu"].words
    assert not closed["ghi bang chu"].spells("ngày hai mươi tịch")
    # A relationship is written with a kinship's words, combined freely.
    kin = closed["quan he voi nguoi duoc khai sinh"]
    for written in ("Con trai", "Bố đẻ", "mẹ", "Cháu nội", "Người được ủy quyền"):
        assert kin.spells(written), written
    assert not kin.spells("Trưởng thôn")  # outside the words: read as written
    assert not kin.spells("hệ") and "hệ" in kin.words  # the label's word
    assert dict(label_lexicons("khai-tu"))["quan he voi nguoi chet"].spells("Vợ")
    # The book's lexicon carries them for the engine (ocr/vi.py reads values apart).
    book = book_lexicon("khai-tu")
    found = book.after_label("Nam Dân tộc:")
    assert found is not None and "kinh" in found and found.closed == CLOSED_NATS
    assert book.after_label("Nơi cư trú:") is None
    assert book.after_label("Giấy tờ tùy thân:") is None


def test_place_values_are_read_again_toward_their_repaired_wording() -> None:
    """The labels of place fields carry the places' repair (label_repairs), the book's
    lexicon carries it for the engine, and a lexicon's label changes with it (the provenance
    says what read the page)."""
    assert dict(label_repairs("khai-sinh")) == {
        "noi cap": PLACE_REPAIR,
        "noi cu tru": PLACE_REPAIR,
        "noi sinh": PLACE_REPAIR,
        "que quan": PLACE_REPAIR,
    }
    assert {key for key, _ in label_repairs("khai-tu")} >= {"noi chet", "noi cu tru cuoi cung"}
    book = book_lexicon("khai-tu")
    assert book.repair_after("Nơi cư trú cuối cùng:") is PLACE_REPAIR
    assert book.repair_after("Dân tộc:") is None
    assert book.label != book.with_repairs(()).label
    toward = PLACE_REPAIR.toward("xã Long Sơ, hyện Đắk Mil, tỉnh Đắk Nông")
    assert toward is not None and toward.closed == CLOSED_NATS
    assert toward.spells("xã Long Sơn, huyện Đắk Mil, tỉnh Đắk Nông")
    assert PLACE_REPAIR.toward("xã Long Sơn, huyện Đắk Mil, tỉnh Đắk Nông") is None
    assert PLACE_REPAIR.toward("Tại nhà") is None


def _set(settings: Settings, record_id: str, values: dict[str, str], status: str) -> None:
    with session_scope(settings) as session:
        record = session.get(DraftRecord, record_id)
        assert record is not None
        for code, value in values.items():
            field = next((f for f in record.fields if f.code == code), None)
            if field is None:
                record.fields.append(FieldValue(code=code, value=value, raw=value))
            else:
                field.value = value
        record.status = status


def _lexicon(settings: Settings, ledger_id: str) -> set[str]:
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        return set(ledger_lexicon(session, ledger).words)


def test_a_ledger_gets_its_communes_confirmed_names_and_places(settings: Settings) -> None:
    rare = set(syllables(RARE_NAME + " " + RARE_PLACE)) - set(book_lexicon("khai-sinh").words)
    assert {"ngoãn", "quềnh"} <= rare  # the test would prove nothing otherwise
    here = add_book(settings, records=3, commune="Xã Hòa Bình", year=2001)
    sibling = add_book(settings, records=2, commune="Xã Hòa Bình", year=2002)
    elsewhere = add_book(settings, records=2, commune="Xã Phú Mỹ", year=2003)
    assert not {"ngoãn", "quềnh"} & _lexicon(settings, here.ledger_id)

    # A draft is not a confirmed value; another commune's confirmed values are not ours.
    _set(settings, here.record_ids[0], {"nksHoTen": RARE_NAME}, "draft")
    _set(settings, elsewhere.record_ids[0], {"meNoiCuTru": RARE_PLACE}, "confirmed")
    assert not {"ngoãn", "quềnh"} & _lexicon(settings, here.ledger_id)

    # Confirmed in a sibling book of the commune: the lexicon is built again and has them.
    _set(settings, sibling.record_ids[1], {"nksHoTen": RARE_NAME}, "confirmed")
    words = _lexicon(settings, here.ledger_id)
    assert "ngoãn" in words and "quềnh" not in words
    _set(settings, here.record_ids[2], {"meNoiCuTru": RARE_PLACE}, "confirmed")
    assert "quềnh" in _lexicon(settings, here.ledger_id)
    # A confirmed non-name field adds nothing ('Ngoãn' as a sex is nobody's name).
    _set(settings, elsewhere.record_ids[1], {"nksGioiTinh": "Quẹo"}, "confirmed")
    assert "quẹo" not in _lexicon(settings, elsewhere.ledger_id)
    assert "quềnh" in _lexicon(settings, elsewhere.ledger_id)


def test_a_ledger_without_a_commune_uses_its_own_confirmed_records(settings: Settings) -> None:
    alone = add_book(settings, records=2, commune=None, year=2004)
    other = add_book(settings, records=1, commune=None, year=2005)
    _set(settings, alone.record_ids[0], {"chaHoTen": RARE_NAME}, "confirmed")
    assert "ngoãn" in _lexicon(settings, alone.ledger_id)
    assert "ngoãn" not in _lexicon(settings, other.ledger_id)


def _first_page(settings: Settings, ledger_id: str) -> int:
    with session_scope(settings) as session:
        page_id = session.scalar(select(Page.id).where(Page.ledger_id == ledger_id))
        assert page_id is not None
        return page_id


def test_a_page_read_with_beam_vocab_carries_its_ledgers_lexicon(
    settings: Settings, tmp_path: Path
) -> None:
    book = add_book(settings, records=2, commune="Xã Hòa Bình", year=2006)
    _set(settings, book.record_ids[0], {"nksHoTen": RARE_NAME}, "confirmed")
    page_id = _first_page(settings, book.ledger_id)
    vocab = settings.model_copy(
        update={"ocr_engine": "vi", "ocr": OcrSettings(vi=ViSettings(decode="beam-vocab"))}
    )
    greedy = settings.model_copy(
        update={"ocr_engine": "vi", "ocr": OcrSettings(vi=ViSettings(decode="greedy"))}
    )
    with session_scope(settings) as session:
        with_words = _page_input(session, page_id, vocab)
        without = _page_input(session, page_id, greedy)
    assert with_words is not None and with_words.lexicon is not None
    assert "ngoãn" in with_words.lexicon and "tháng" in with_words.lexicon
    assert without is not None and without.lexicon is None
