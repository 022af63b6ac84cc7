"""registers.json has the shape its TypedDicts declare (models.registers)."""

from __future__ import annotations

import json

from models.registers import SPEC_PATH, RegistersSpec, load_spec
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
