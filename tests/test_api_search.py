"""Person search across books: accents, case and đ ignored, birth filter, commune scoping,
pagination, 422s, an index kept in step with edits and back-filled by its migration."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from models.entities import DraftRecord, FieldValue, RecordNameKey
from ocr_service.config import Settings
from ocr_service.db import alembic_config, dispose_engines, session_scope
from ocr_service.records.search_keys import fold_name, name_keys, parse_birth
from tests.conftest import auth, make_settings
from tests.factories import add_book, add_user

SEARCH = "/api/v1/records/search"


def set_fields(settings: Settings, record_id: str, values: dict[str, str | None]) -> None:
    """Write fields straight through the ORM, as extraction and book passes do."""
    with session_scope(settings) as session:
        record = session.get(DraftRecord, record_id)
        assert record is not None
        by_code = {f.code: f for f in record.fields}
        for code, value in values.items():
            if code in by_code:
                by_code[code].value = value
            else:
                record.fields.append(FieldValue(code=code, value=value, issues=[], candidates=[]))


def found(client: TestClient, token: str, **params: Any) -> list[str]:
    r = client.get(SEARCH, headers=auth(token), params=params)
    assert r.status_code == 200, r.text
    return [hit["record_id"] for hit in r.json()["items"]]


def test_names_are_found_whatever_their_accents_case_and_d(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    book = add_book(settings, records=4)
    r0, r1, r2, r3 = book.record_ids
    set_fields(
        settings,
        r0,
        {"nksHoTen": "Nguyễn Văn An", "nksNgaySinh": "05.03.1990", "meHoTen": "Đặng Thị Đào"},
    )
    set_fields(settings, r1, {"nksHoTen": "Nguyễn Văn Anh", "nksNgaySinh": "12.07.1991"})
    set_fields(settings, r2, {"nksHoTen": "TRẦN VĂN AN", "nksNgaySinh": "1990"})
    set_fields(settings, r3, {"nksHoTen": "Lê Thị Hoa"})

    # Any accents, any case; a name is also found from a later word on, and as a prefix.
    assert found(client, admin_token, q="nguyen van an") == [r0, r1]
    assert found(client, admin_token, q="NGUYỄN văn AN") == [r0, r1]
    assert found(client, admin_token, q="van an") == [r0, r1, r2]
    assert found(client, admin_token, q="hoa") == [r3]
    assert found(client, admin_token, q="pham") == []
    # đ and d are the same letter for search, both ways.
    assert found(client, admin_token, q="dang thi dao") == [r0]
    assert found(client, admin_token, q="Đặng") == found(client, admin_token, q="đang") == [r0]

    # Birth year or date, typed after the name or sent apart.
    assert found(client, admin_token, q="nguyen van an 05/03/1990") == [r0]
    assert found(client, admin_token, q="van an 1990") == [r0, r2]
    assert found(client, admin_token, q="van an", birth="1991") == [r1]
    assert found(client, admin_token, q="van an", birth="05.03.1990") == [r0]
    assert found(client, admin_token, q="van an", birth="06/03/1990") == []
    # A birth date belongs to its person: the mother's name with the child's year finds nothing.
    assert found(client, admin_token, q="dang thi dao 1990") == []

    # A hit says where the record is and which of its names matched.
    hit = client.get(SEARCH, headers=auth(admin_token), params={"q": "dao"}).json()["items"][0]
    assert hit["ledger_id"] == book.ledger_id and hit["register"] == "khai-sinh"
    assert hit["page"] == 1 and hit["book"] == "01/2019" and hit["commune"] == "Xã An Nhơn"
    assert hit["so"] == "01/2019" and hit["status"] == "draft"
    assert hit["matches"] == [
        {"code": "meHoTen", "value": "Đặng Thị Đào", "birth_code": "meNgaySinh", "birth": None}
    ]


def test_the_index_follows_edits_and_deleted_records(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    book = add_book(settings, records=2)
    _, clerk = add_user(settings, "lan", "clerk", commune="Xã An Nhơn")
    r0, r1 = book.record_ids
    set_fields(settings, r0, {"nksHoTen": "Trần Văn An", "nksNgaySinh": "1990"})
    assert found(client, clerk, q="tran van an") == [r0]

    record = client.get(f"/api/v1/records/{r0}", headers=auth(clerk)).json()
    r = client.patch(
        f"/api/v1/records/{r0}",
        headers=auth(clerk),
        json={"version": record["version"], "fields": {"nksHoTen": "Lê Thị Hoa"}},
    )
    assert r.status_code == 200, r.text
    assert found(client, clerk, q="tran van an") == []
    assert found(client, clerk, q="le thi hoa 1990") == [r0]
    # A changed birth date moves with it.
    r = client.patch(
        f"/api/v1/records/{r0}",
        headers=auth(clerk),
        json={"version": r.json()["version"], "fields": {"nksNgaySinh": "02.02.1992"}},
    )
    assert r.status_code == 200, r.text
    assert found(client, clerk, q="le thi hoa 1990") == []
    assert found(client, clerk, q="le thi hoa 02/02/1992") == [r0]
    r = client.post(
        f"/api/v1/records/{r0}/confirm", headers=auth(clerk), json={"version": r.json()["version"]}
    )
    assert r.status_code == 200
    assert found(client, clerk, q="le thi hoa") == [r0]

    with session_scope(settings) as session:
        doomed = session.get(DraftRecord, r0)
        session.delete(doomed)
    assert found(client, clerk, q="le thi hoa") == []
    with session_scope(settings) as session:
        left = session.scalar(
            select(func.count()).select_from(RecordNameKey).where(RecordNameKey.record_id == r0)
        )
    assert left == 0
    assert r1 in found(client, clerk, q="nguyen van thu")


def test_extraction_writes_and_replaces_the_keys(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    from models.book import BookMeta
    from ocr_service.extract.containers import FieldDraft, RecordDraft
    from ocr_service.pipeline.page import PageInput
    from ocr_service.records.store import replace_page_records

    book = add_book(settings, records=1)
    page = PageInput(
        page_id=1, ledger_id=book.ledger_id, index=7, image_key="x", meta=BookMeta("khai-sinh")
    )

    def read(child: str) -> list[RecordDraft]:
        fields = {
            "nksHoTen": FieldDraft(code="nksHoTen", raw=child, value=child),
            "nksNgaySinh": FieldDraft(code="nksNgaySinh", raw="1.2.2001", value="01.02.2001"),
        }
        return [RecordDraft(page=7, fields=fields)]

    with session_scope(settings) as session:
        replace_page_records(session, page, read("Đinh Công Tráng"))
    (first,) = found(client, admin_token, q="dinh cong trang 01/02/2001")
    # A re-run of the page replaces the unreviewed draft: the old name is gone from the index.
    with session_scope(settings) as session:
        replace_page_records(session, page, read("Đinh Công Trứ"))
    assert found(client, admin_token, q="dinh cong trang") == []
    (second,) = found(client, admin_token, q="dinh cong tru 2001")
    assert second != first


def test_a_clerk_finds_only_their_communes_books(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    here = add_book(settings, records=1, commune="Xã An Nhơn")
    there = add_book(settings, records=1, commune="Xã Bình Minh", year=2020)
    set_fields(settings, here.record_ids[0], {"nksHoTen": "Phạm Minh Đức"})
    set_fields(settings, there.record_ids[0], {"nksHoTen": "Phạm Minh Đức"})
    _, an_nhon = add_user(settings, "an", "clerk", commune="Xã An Nhơn")
    _, elsewhere = add_user(settings, "khac", "clerk", commune="Xã Khác")
    _, reviewer = add_user(settings, "kt", "reviewer")

    both = [here.record_ids[0], there.record_ids[0]]
    assert found(client, admin_token, q="pham minh duc") == both
    assert found(client, reviewer, q="pham minh duc") == both
    assert found(client, an_nhon, q="pham minh duc") == [here.record_ids[0]]
    assert found(client, elsewhere, q="pham minh duc") == []
    # The commune filter narrows; it never widens a clerk's view.
    assert found(client, admin_token, q="duc", commune="Xã Bình Minh") == [there.record_ids[0]]
    assert found(client, an_nhon, q="duc", commune="Xã Bình Minh") == []
    assert client.get(SEARCH, params={"q": "duc"}).status_code == 401


def test_results_are_paginated_in_book_order(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    book = add_book(settings, records=5)
    for rid in book.record_ids:
        set_fields(settings, rid, {"nksHoTen": "Vũ Thị Mai"})
    pages = []
    for page in (1, 2, 3, 4):
        r = client.get(
            SEARCH,
            headers=auth(admin_token),
            params={"q": "vu thi mai", "per_page": 2, "page": page},
        )
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == 5 and body["page"] == page and body["per_page"] == 2
        pages.append([hit["record_id"] for hit in body["items"]])
    assert pages == [book.record_ids[0:2], book.record_ids[2:4], book.record_ids[4:], []]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "a"},
        {"q": "1990"},
        {"q": "x" * 101},
        {"q": "x" * 201},
        {"q": "an", "birth": "ngay xua"},
        {"q": "an", "birth": "31/13/1990"},
        {"q": "an 1990", "birth": "1991"},
        {"q": "an", "per_page": 0},
        {"q": "an", "per_page": 101},
        {"q": "an", "page": 0},
    ],
)
def test_bad_searches_are_422(
    settings: Settings, client: TestClient, admin_token: str, params: dict[str, Any]
) -> None:
    r = client.get(SEARCH, headers=auth(admin_token), params=params)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"]


def test_the_searched_name_reaches_no_log(
    settings: Settings,
    client: TestClient,
    admin_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = add_book(settings, records=1)
    set_fields(settings, book.record_ids[0], {"nksHoTen": "Hoàng Thị Xuân"})
    with caplog.at_level(logging.DEBUG):
        assert found(client, admin_token, q="hoang thi xuan") == book.record_ids
        assert client.get(SEARCH, headers=auth(admin_token), params={"q": "x"}).status_code == 422
    # The test client's own logger (httpx) prints the URL it sends: that is the caller, not sohoa.
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("httpx")
    ).lower()
    assert "xuan" not in logged and "xuân" not in logged

    # The line uvicorn's access log prints for that request keeps the path, not the name.
    from ocr_service.api.privacy import NoQueryStrings

    line = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"{SEARCH}?q=hoang+thi+xuan&birth=1990", "1.1", 200),
        None,
    )
    assert NoQueryStrings().filter(line)
    assert line.getMessage() == f'127.0.0.1:5000 - "GET {SEARCH}?… HTTP/1.1" 200'


def test_the_migration_back_fills_records_read_before_it(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        # Wherever the database stands, go back to just before this migration.
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "0004")
    book_sql = [
        "INSERT INTO originals (sha256, size, media_type, storage_key, created_at) "
        "VALUES ('ab', 1, 'application/pdf', 'x', CURRENT_TIMESTAMP)",
        "INSERT INTO ledgers (id, original_sha256, register, commune, layout, status, "
        "pages_total, created_at, updated_at) VALUES ('l1', 'ab', 'khai-sinh', 'Xã A', "
        "'block', 'done', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO records (id, ledger_id, source_key, page, pages, seq, status, version, "
        "warnings, created_at, updated_at) VALUES ('r1', 'l1', 'p1', 1, '[1]', 1000, 'draft', 1, "
        "'[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    ]
    fields = {"nksHoTen": "Đỗ Văn Bình", "nksNgaySinh": "09.09.1989", "chaHoTen": "Đỗ Văn Đạt"}
    with engine.begin() as conn:
        for sql in book_sql:
            conn.execute(text(sql))
        for code, value in fields.items():
            conn.execute(
                text(
                    "INSERT INTO record_fields (record_id, code, value, source, issues, "
                    "candidates, edited) VALUES ('r1', :c, :v, 'ocr', '[]', '[]', false)"
                ),
                {"c": code, "v": value},
            )
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()
    dispose_engines()
    # Going back to 0004 dropped the installation table and coming back made a new id: the
    # id this process remembered is stale (jobs queued by later tests would be refused).
    from ocr_service.jobs import installation

    installation._ids.clear()
    with session_scope(settings) as session:
        keys = {
            (k.code, k.key, k.birth_year, k.birth_date)
            for k in session.scalars(select(RecordNameKey).where(RecordNameKey.record_id == "r1"))
        }
    assert keys == {
        ("nksHoTen", "do van binh", 1989, "1989-09-09"),
        ("nksHoTen", "van binh", 1989, "1989-09-09"),
        ("nksHoTen", "binh", 1989, "1989-09-09"),
        ("chaHoTen", "do van dat", None, None),
        ("chaHoTen", "van dat", None, None),
        ("chaHoTen", "dat", None, None),
    }


def test_keys_fold_names_and_read_birth_dates() -> None:
    assert fold_name("  Nguyễn   Văn ĐỨC ") == "nguyen van duc"
    assert fold_name("Hoà (tức Hòa)") == "hoa tuc hoa"
    assert parse_birth("05.03.1990") == parse_birth("5/3/1990") == parse_birth("05-03-1990")
    birth = parse_birth("5/3/1990")
    assert birth is not None and birth.iso == "1990-03-05" and birth.year == 1990
    month = parse_birth("03.1990")
    assert month is not None and month.year == 1990 and month.iso is None
    assert parse_birth("32.01.1990") is None and parse_birth("abc") is None
    keys = name_keys({"voHoTen": "Lý Thị Lan", "voNgaySinh": "1970", "nguoiKy": "Ông X"})
    assert [(k.code, k.key, k.birth_year) for k in keys] == [
        ("voHoTen", "ly thi lan", 1970),
        ("voHoTen", "thi lan", 1970),
        ("voHoTen", "lan", 1970),
    ]
