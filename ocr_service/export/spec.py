"""What the exporters read from registers.json: columns, field types, code lists, type codes."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from models.registers import FieldSpec, RegistersSpec, RegisterTypeSpec, load_spec
from ocr_service.errors import BadInput

DATE_RE = re.compile(
    r"^(\d{4}|(0[1-9]|1[0-2])\.\d{4}|(0[1-9]|[12][0-9]|3[01])\.(0[1-9]|1[0-2])\.\d{4})$"
)
# Fields filled from book metadata when a record does not carry them.
BOOK_FIELDS = ("noiDangKy", "noiCap", "quyenSo")
OFFICIAL_KS_VARIANT = "official_70"  # the default khai-sinh layout (TeamplateDangKyKhaiSinh.xlsx)


def load_registers() -> RegistersSpec:
    """registers.json, parsed once per process (shared with models.registers)."""
    return load_spec()


def register_spec(register: str) -> RegisterTypeSpec:
    """The register_types entry of a slug; BadInput for an unknown slug."""
    types = load_registers()["register_types"]
    if register not in types:
        raise BadInput(f"unknown register type {register!r}; expected one of {', '.join(types)}")
    return types[register]


def type_code(register: str) -> str:
    """KS, KT, KH, CMC or HN."""
    return str(register_spec(register)["code"])


def excel_columns(register: str, variant: str | None = None) -> list[str]:
    """Header of the Ministry Excel for a type, exactly as registers.json lists it."""
    spec = register_spec(register)
    if variant is None or variant == OFFICIAL_KS_VARIANT:
        return list(spec["excel_columns"])
    variants = spec.get("excel_column_variants") or {}
    if variant not in variants:
        known = ", ".join(variants) or "none"
        raise BadInput(f"register {register!r} has no column variant {variant!r} (known: {known})")
    return list(variants[variant]["columns"])


def is_official_template(register: str, variant: str | None) -> bool:
    """True for the 70-column khai-sinh template that comes with the 'Ghi chu' legend sheet."""
    return register == "khai-sinh" and variant in (None, OFFICIAL_KS_VARIANT)


def column_key(header: str) -> str:
    """Logical column name of a header cell: text before the first space/newline, no 'i=[…]'."""
    return re.split(r"\s", header.strip(), maxsplit=1)[0] if header.strip() else ""


def column_field_map(register: str, columns: list[str], variant: str | None = None) -> list[str]:
    """For each header column, the field code it carries ('' for export-only extras)."""
    spec = register_spec(register)
    by_upper = {code.upper(): code for code in spec["fields"]}
    aliases: dict[str, str] = {}
    if variant:
        found = (spec.get("excel_column_variants") or {}).get(variant)
        aliases = dict(found.get("column_aliases") or {}) if found else {}
    out = []
    for col in columns:
        key = column_key(col)
        if key in spec["fields"]:
            out.append(key)
        elif key.upper() in aliases:
            out.append(aliases[key.upper()])
        else:
            out.append(by_upper.get(key.upper(), ""))
    return out


def field_spec(register: str, code: str) -> FieldSpec:
    """fields[code] of a register type (empty dict for unknown columns)."""
    return register_spec(register)["fields"].get(code, {})


def fold(text: str) -> str:
    """Compare form: no diacritics, đ→d, lower case, 'ý'≈'í' (books write both 'ký' and 'kí')."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    text = re.sub(r"[^0-9a-z]+", " ", text).strip()
    return re.sub(r"\bky\b", "ki", text)


def code_list_values(name: str) -> dict[str, str]:
    """code → label of a code list."""
    return load_registers()["code_lists"][name]["values"]


@lru_cache(maxsize=4096)  # books repeat a handful of labels thousands of times
def enum_code(register: str, code: str, value: str) -> str | None:
    """The code-list code for an enum value given as code or label; None when it cannot be told.

    Accepts the code itself ('1'), the label ('Nam'), or the tick-box wording that the label
    contains as whole words ('Đúng hạn' → 'Đăng kí đúng hạn' → '1'), if exactly one label fits.
    """
    fs = field_spec(register, code)
    enum: dict[str, str] = fs.get("enum") or {}
    if fs.get("code_list"):
        enum = code_list_values(fs["code_list"])
    value = value.strip()
    if value in enum:
        return value
    folded = fold(value)
    if not folded:
        return None
    exact = [k for k, label in enum.items() if label and fold(label) == folded]
    if len(exact) == 1:
        return exact[0]
    pattern = re.compile(rf"(^| ){re.escape(folded)}( |$)")
    partial = [k for k, label in enum.items() if label and pattern.search(fold(label))]
    return partial[0] if len(partial) == 1 else None
