"""Synthetic books: truth.json is complete and coherent; planted errors are exactly as declared."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.registers import load_spec
from ocr_service.errors import BadInput
from ocr_service.synth import REGISTER_LAYOUTS, generate_book, supported

DATE_RE = re.compile(load_spec()["formats"]["dates"]["validation_regex"])
EVENT = {"khai-sinh": "nksNgaySinh", "khai-tu": "nktNgayChet", "ket-hon": "ngayXacLapQuanHeHonNhan"}


def _date(text: str) -> date:
    d, m, y = (int(p) for p in text.split("."))
    return date(y, m, d)


def _partial_year(text: str) -> int:
    return int(text[-4:])


def _required(slug: str) -> list[str]:
    fields = load_spec()["register_types"][slug]["fields"]
    return [c for c, f in fields.items() if f.get("required")]


def _violations(truth: dict[str, Any]) -> set[tuple[int, str]]:
    """(record, rule) for every numbering / date rule the book breaks."""
    found: set[tuple[int, str]] = set()
    recs = truth["records"]
    slug = truth["register"]
    prev_no: tuple[int, int] | None = None
    prev_reg: date | None = None
    for rec in recs:
        f = rec["fields"]
        no, year = (int(p) for p in f["so"]["value"].split("/"))
        reg = _date(f["ngayDangKy"]["value"])
        assert year == reg.year, "so-year-mismatch"
        if prev_no is not None and prev_no[1] == year:
            if no == prev_no[0]:
                found.add((rec["index"], "duplicate-number"))
            elif no != prev_no[0] + 1:
                found.add((rec["index"], "sequence-gap"))
        elif no != 1:
            found.add((rec["index"], "sequence-gap"))
        if prev_reg is not None and reg < prev_reg:
            found.add((rec["index"], "date-order"))
        event = EVENT.get(slug)
        if event and event in f and len(f[event]["value"]) == 10 and _date(f[event]["value"]) > reg:
            found.add((rec["index"], "registration-before-event"))
        prev_no, prev_reg = (no, year), reg
    return found


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    root = tmp_path_factory.mktemp("synth-truth")
    for slug, layout in supported():
        n = 14 if layout == "table" else 4
        path = generate_book(
            slug, n, root / f"{slug}-{layout}", layout=layout, style="hand", seed=3, degrade="light"
        )
        out[f"{slug}/{layout}"] = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    return out


def test_supported_pairs_cover_the_brief() -> None:
    pairs = set(supported())
    for slug in ("khai-sinh", "khai-tu", "ket-hon", "nhan-cha-me-con", "xac-nhan-hon-nhan"):
        assert (slug, "block") in pairs
    assert {("khai-sinh", "table"), ("khai-tu", "table")} <= pairs
    assert set(REGISTER_LAYOUTS) == {s for s, _ in pairs}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"register": "nhan-cha-me-con", "layout": "table"}, "not supported"),
        ({"register": "khai-sinh", "spreads": True}, "spreads"),
        ({"register": "giay-phep"}, "unknown register"),
        ({"register": "khai-sinh", "style": "print"}, "style"),
        ({"register": "khai-sinh", "degrade": "medium"}, "degrade"),
        ({"register": "khai-sinh", "plant_errors": True, "records": 3}, "at least 8"),
    ],
)
def test_unsupported_combinations_raise_bad_input(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"records": 2, **kwargs}
    register = args.pop("register")
    records = args.pop("records")
    with pytest.raises(BadInput, match=message):
        generate_book(register, records, tmp_path / "x", **args)
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_every_required_field_is_present(books: dict[str, dict[str, Any]]) -> None:
    for key, truth in books.items():
        required = _required(truth["register"])
        for rec in truth["records"]:
            missing = [c for c in required if not rec["fields"].get(c, {}).get("value")]
            assert not missing, f"{key} record {rec['index']} lacks {missing}"


@pytest.mark.slow
def test_values_are_in_export_form(books: dict[str, dict[str, Any]]) -> None:
    spec = load_spec()
    ethnic = {g["name"] for g in spec["ethnic_groups"]}
    for key, truth in books.items():
        fields_spec = spec["register_types"][truth["register"]]["fields"]
        for rec in truth["records"]:
            for code, f in rec["fields"].items():
                kind = fields_spec[code]["type"]
                value = f["value"]
                if kind in ("date", "partial-date"):
                    assert DATE_RE.match(value), (key, code, value)
                    if len(value) == 10:
                        _date(value)  # a real calendar date
                elif kind == "enum":
                    assert value in fields_spec[code]["enum"].values(), (key, code, value)
                elif kind == "list" and code.endswith("DanToc"):
                    assert value in ethnic, (key, code, value)
                elif kind == "list":
                    assert value == "Việt Nam"
                elif kind == "id-number":
                    assert value.isdigit() and len(value) in (9, 12), (key, code, value)
                elif kind == "date-words":
                    assert value == " ".join(w[:1].upper() + w[1:] for w in f["text"].split())
                if code == "so":
                    assert re.fullmatch(r"\d{2,}/\d{4}", value)
                    assert f["text"] in (value, value.split("/")[0], str(int(value.split("/")[0])))
                if f["text"] is not None and kind in ("date", "partial-date"):
                    parts = re.split(r"[./-]", f["text"])
                    assert [int(p) for p in parts] == [int(p) for p in value.split(".")]


@pytest.mark.slow
def test_dates_are_coherent(books: dict[str, dict[str, Any]]) -> None:
    for key, truth in books.items():
        for rec in truth["records"]:
            f = rec["fields"]
            reg = _date(f["ngayDangKy"]["value"])
            assert reg.year >= int(f["quyenSo"]["value"].split("/")[1])
            if truth["register"] == "khai-sinh":
                born = _date(f["nksNgaySinh"]["value"])
                assert born <= reg, key
                for parent in ("me", "cha"):
                    if parent + "NgaySinh" in f:
                        age = born.year - _partial_year(f[parent + "NgaySinh"]["value"])
                        assert 18 <= age <= 46, (key, parent, age)
            if truth["register"] == "khai-tu":
                died = _date(f["nktNgayChet"]["value"])
                assert died <= reg
                assert _partial_year(f["nktNgaySinh"]["value"]) <= died.year


@pytest.mark.slow
def test_clean_books_break_no_rule(books: dict[str, dict[str, Any]]) -> None:
    for key, truth in books.items():
        assert truth["planted_errors"] == []
        assert _violations(truth) == set(), key


@pytest.mark.slow
def test_numbering_restarts_with_the_year(tmp_path: Path) -> None:
    # 200 records at ~2 days apart run past New Year: so restarts at 01, quyenSo stays.
    path = generate_book("khai-tu", 200, tmp_path / "b", layout="table", seed=1, degrade="none")
    truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    years = [r["fields"]["so"]["value"].split("/")[1] for r in truth["records"]]
    assert len(set(years)) >= 2
    first_of_new = years.index(years[-1])
    assert truth["records"][first_of_new]["fields"]["so"]["value"].startswith("01/")
    assert {r["fields"]["quyenSo"]["value"] for r in truth["records"]} == {truth["ledger"]["book"]}
    assert _violations(truth) == set()


@pytest.mark.parametrize(
    ("slug", "layout"),
    [
        ("khai-sinh", "block"),
        ("khai-tu", "table"),
        ("ket-hon", "block"),
        ("xac-nhan-hon-nhan", "block"),
    ],
)
def test_planted_errors_are_exactly_as_declared(tmp_path: Path, slug: str, layout: str) -> None:
    path = generate_book(
        slug, 12, tmp_path / "b", layout=layout, seed=7, plant_errors=True, degrade="none"
    )
    truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    declared = {(e["record"], e["rule"]) for e in truth["planted_errors"]}
    rules = {r for _, r in declared}
    assert {"sequence-gap", "duplicate-number", "date-order"} <= rules
    assert ("registration-before-event" in rules) == (slug in EVENT)
    assert _violations(truth) == declared
