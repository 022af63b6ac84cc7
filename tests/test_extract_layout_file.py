"""Table-ledger layout files: TOML/JSON, validation errors that name the key path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocr_service.errors import BadInput
from ocr_service.extract.layouts.layout_file import load_layout_file, parse_layout

RESOURCES = Path(__file__).parent / "resources" / "extract"


def test_documented_example_loads() -> None:
    layout = load_layout_file(RESOURCES / "ledger_khai_sinh.toml")
    assert layout.register == "khai-sinh"
    assert layout.spread == "image"
    assert layout.gutter_x == 0.5
    assert layout.key_field() == "so"
    assert [c.field for c in layout.columns if c.side == "left"][:3] == [
        "so",
        "ngayDangKy",
        "nksHoTen",
    ]
    assert sum(c.header == "Năm sinh" for c in layout.columns) == 2


def test_json_layout_with_x_ranges(tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    path.write_text(
        json.dumps(
            {
                "register": "khai-tu",
                "header_rows": 2,
                "columns": [
                    {"field": "so", "x": [0.0, 0.08]},
                    {"field": "nktHoTen", "x": [0.08, 0.4]},
                ],
            }
        ),
        encoding="utf-8",
    )
    layout = load_layout_file(path)
    assert layout.spread == "none"
    assert layout.header_rows == 2
    assert layout.columns[1].x == (0.08, 0.4)
    assert layout.columns[1].side == "page"


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"register": "khai-sinh"}, "columns"),
        ({"register": "birth", "columns": [{"field": "so", "x": [0, 0.1]}]}, "register"),
        (
            {"register": "khai-sinh", "columns": [{"field": "nktHoTen", "x": [0, 0.1]}]},
            "columns[0].field",
        ),
        ({"register": "khai-sinh", "columns": [{"field": "so", "x": [0.3, 0.1]}]}, "columns[0].x"),
        ({"register": "khai-sinh", "columns": [{"field": "so", "x": [0, 1.5]}]}, "columns[0].x[1]"),
        ({"register": "khai-sinh", "columns": [{"field": "so"}]}, "columns[0]"),
        (
            {
                "register": "khai-sinh",
                "spread": "image",
                "columns": [{"field": "so", "side": "up", "x": [0, 0.1]}],
            },
            "columns[0].side",
        ),
        (
            {
                "register": "khai-sinh",
                "spread": "image",
                "gutter_x": 0.95,
                "columns": [{"field": "so", "x": [0, 0.1]}],
            },
            "gutter_x",
        ),
        ({"register": "khai-sinh", "colums": []}, "colums"),
        (
            {"register": "khai-sinh", "header_rows": -1, "columns": [{"field": "so", "x": [0, 1]}]},
            "header_rows",
        ),
        (
            {
                "register": "khai-sinh",
                "row_key": "nksHoTen",
                "columns": [{"field": "so", "x": [0, 1]}],
            },
            "row_key",
        ),
    ],
)
def test_errors_name_the_key_path(data: dict[str, object], path: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_layout(data)
    assert err.value.message.startswith(f"layout file: {path}: ")
    assert err.value.code == "bad_layout"


def test_broken_toml_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('register = "khai-sinh"\n[[columns]\nfield = "so"\n', encoding="utf-8")
    with pytest.raises(BadInput, match=r"broken\.toml is not valid TOML"):
        load_layout_file(path)


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read"):
        load_layout_file(tmp_path / "nowhere.toml")
