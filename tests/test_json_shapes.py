"""registers.json and a synthetic book's truth.json have the shapes their TypedDicts declare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.registers import SPEC_PATH, RegistersSpec, load_spec
from ocr_service.synth.truth import BookTruth
from tests.json_shapes import shape_problems


def test_registers_json_matches_its_declared_types() -> None:
    data = json.loads(SPEC_PATH.read_text("utf-8"))
    assert shape_problems(data, RegistersSpec, "registers") == []
    assert load_spec() == data


def test_the_check_reports_what_does_not_fit() -> None:
    data = json.loads(SPEC_PATH.read_text("utf-8"))
    field = data["register_types"]["khai-sinh"]["fields"]["so"]
    field["required"] = "yes"
    field["new_key"] = 1
    del data["register_types"]["khai-tu"]["code"]
    data["code_lists"]["gioiTinh"]["values"]["1"] = None
    assert sorted(shape_problems(data, RegistersSpec, "r")) == [
        "r.code_lists.gioiTinh.values.1: expected str, got None",
        "r.register_types.khai-sinh.fields.so.new_key: not declared in FieldSpec",
        "r.register_types.khai-sinh.fields.so.required: expected bool, got 'yes'",
        "r.register_types.khai-tu.code: missing",
    ]


@pytest.mark.parametrize(
    ("layout", "spreads"), [("block", False), ("table", True)], ids=["block", "spread"]
)
def test_synth_truth_matches_its_declared_type(tmp_path: Path, layout: str, spreads: bool) -> None:
    from ocr_service.synth import generate_book

    out = generate_book(
        "khai-sinh", 9, tmp_path, layout=layout, spreads=spreads, plant_errors=True, seed=2
    )
    truth = json.loads((out / "truth.json").read_text("utf-8"))
    assert truth["planted_errors"] and truth["records"]
    assert shape_problems(truth, BookTruth, "truth") == []
