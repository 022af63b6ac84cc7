"""Register-type specifications, read from registers.json (the machine twin of REGISTERS.md)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import NotRequired, TypedDict, cast

SPEC_PATH = Path(__file__).parent / "data" / "registers.json"
REGISTER_SLUGS = ("khai-sinh", "khai-tu", "ket-hon", "nhan-cha-me-con", "xac-nhan-hon-nhan")
LAYOUTS = ("block", "table")


class FieldSpec(TypedDict, total=False):
    """`register_types[slug].fields[code]`: one Excel column of a register type.

    Every published field has label_vi, meaning, type, required and origin; the keys are
    optional here because callers look up unknown codes as `fields.get(code, {})`."""

    label_vi: str | None
    label_status: str | None
    meaning: str
    type: str  # text, name, date, partial-date, date-words, enum, list, id-number, …
    enum: dict[str, str] | None  # code → label, when the type is enum
    code_list: str  # name in `code_lists`, when the labels come from there
    list: str  # `ethnic_groups` or `countries`, when the type is list
    required: bool
    origin: str  # page, page/book, book, derived, …
    format: str
    notes: str


class ColumnVariant(TypedDict):
    """Another published Excel layout of a register type (khai-sinh: 60 or 61 columns)."""

    columns: list[str]
    source: str
    differs_from_70: NotRequired[str]
    notes: NotRequired[str]
    column_aliases: NotRequired[dict[str, str]]  # upper-case header → field code
    extra_columns: NotRequired[list[str]]


class RegisterTypeSpec(TypedDict):
    """`register_types[slug]`: one register type (khai-sinh, khai-tu, …)."""

    code: str  # KS, KT, KH, CMC, HN
    name_vi: str
    name_en: str
    book_vi: str
    excel_columns: list[str]
    excel_columns_source: str
    excel_column_variants: NotRequired[dict[str, ColumnVariant]]
    fields: dict[str, FieldSpec]
    notes: NotRequired[list[str]]


class CodeList(TypedDict):
    """`code_lists[name]`: a Ministry code list."""

    values: dict[str, str]  # code → label
    status: str
    used_by: list[str]
    sources: list[str]
    notes: NotRequired[str]


class EthnicGroup(TypedDict):
    code: str
    name: str
    variants: NotRequired[list[str]]


class EthnicGroupRules(TypedDict):
    validation: str
    export_value: str
    ambiguous_aliases: dict[str, str]
    special_values: list[str]
    code_sources: str


class Countries(TypedDict):
    rule: str
    examples: list[str]


class BlockFormLayout(TypedDict):
    applies: str
    structure: list[str]
    confidence: str
    # Type code → printed labels in reading order: [zone, label, field text, confidence].
    anchors: dict[str, list[list[str]]]


class TableLedgerLayout(TypedDict):
    applies: str
    structure: list[str]
    confidence: str
    processing_notes: list[str]


class PageLayouts(TypedDict):
    block_form: BlockFormLayout
    table_ledger: TableLedgerLayout


class RegistersSpec(TypedDict):
    """The whole registers.json. The prose sections (formats, file naming, QA rules, sources …)
    are read by people and by the tests, not by the service: typed as plain JSON."""

    spec: dict[str, object]
    register_types: dict[str, RegisterTypeSpec]
    code_lists: dict[str, CodeList]
    ethnic_groups: list[EthnicGroup]
    ethnic_group_rules: EthnicGroupRules
    countries: Countries
    formats: dict[str, object]
    file_naming: dict[str, object]
    qa_rules: list[object]
    page_layouts: PageLayouts
    sources: list[object]
    contradictions: list[object]
    unknowns: list[object]


@lru_cache(maxsize=1)
def load_spec() -> RegistersSpec:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return cast(RegistersSpec, json.load(fh))


def register_spec(slug: str) -> RegisterTypeSpec:
    return load_spec()["register_types"][slug]


def type_code(slug: str) -> str:
    return str(register_spec(slug)["code"])


def excel_columns(slug: str) -> list[str]:
    return list(register_spec(slug)["excel_columns"])


def field_spec(slug: str, code: str) -> FieldSpec:
    return register_spec(slug)["fields"][code].copy()
