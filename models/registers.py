"""Register-type specifications, read from registers.json (the machine twin of REGISTERS.md)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).parent / "data" / "registers.json"
REGISTER_SLUGS = ("khai-sinh", "khai-tu", "ket-hon", "nhan-cha-me-con", "xac-nhan-hon-nhan")
LAYOUTS = ("block", "table")


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    return spec


def register_spec(slug: str) -> dict[str, Any]:
    spec: dict[str, Any] = load_spec()["register_types"][slug]
    return spec


def type_code(slug: str) -> str:
    return str(register_spec(slug)["code"])


def excel_columns(slug: str) -> list[str]:
    return list(register_spec(slug)["excel_columns"])


def field_spec(slug: str, code: str) -> dict[str, Any]:
    fields: dict[str, Any] = register_spec(slug)["fields"]
    return dict(fields[code])
