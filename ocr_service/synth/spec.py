"""Look-ups into registers.json that the generator needs (code lists, ethnic names, labels)."""

from __future__ import annotations

from functools import cache, lru_cache

from models.registers import load_spec, register_spec


@cache
def field_enum(code_list: str) -> dict[str, str]:
    """Code -> label of a registers.json code list (e.g. 'gioiTinh')."""
    return dict(load_spec()["code_lists"][code_list]["values"])


@lru_cache(maxsize=1)
def ethnic_names() -> tuple[str, ...]:
    """Ethnic-group names in code order (01 Kinh first)."""
    groups = load_spec()["ethnic_groups"]
    return tuple(g["name"] for g in sorted(groups, key=lambda g: g["code"]))


def required_fields(slug: str) -> list[str]:
    fields = register_spec(slug)["fields"]
    return [code for code, f in fields.items() if f.get("required")]


def type_code(slug: str) -> str:
    return str(register_spec(slug)["code"])


def block_anchors(slug: str) -> list[list[str]]:
    """Printed labels of the block form (registers.json page_layouts), when the spec has them."""
    anchors = load_spec()["page_layouts"]["block_form"]["anchors"]
    return list(anchors.get(type_code(slug), []))


def label(slug: str, code: str) -> str:
    fields = register_spec(slug)["fields"]
    return str(fields[code].get("label_vi") or code)


@cache
def register_fields(slug: str) -> frozenset[str]:
    return frozenset(register_spec(slug)["fields"])
