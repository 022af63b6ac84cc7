"""Identity numbers (CMND, CCCD, số định danh, hộ chiếu) kept as digit text (REGISTERS.md §6.7)."""

from __future__ import annotations

import re
from typing import Literal

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fix_digit_lookalikes,
    is_blank,
)

IdKind = Literal["cmnd", "cccd", "dinh-danh", "ho-chieu"]

# Province codes (GSO numbering, 63 provinces) that open a 12-digit CCCD / số định danh.
_PROVINCE_NUMBERS = (
    *(1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33),
    *(34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66),
    *(67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96),
)
_PROVINCE_CODES = frozenset(f"{n:02d}" for n in _PROVINCE_NUMBERS)
_LENGTHS: dict[str, tuple[int, ...]] = {"cmnd": (9, 12), "cccd": (12,), "dinh-danh": (12,)}
_LABEL = re.compile(
    r"^\s*(?:(?:s[oố]\s*)?(?:cmnd|cccd|cmt|h[oộ]\s*chi[eế]u|đ[dđ]?cn|định danh(?: cá nhân)?)"
    r"\s*(?:s[oố])?|s[oố])\s*[:.\-]?\s*",
    re.IGNORECASE,
)
_PASSPORT = re.compile(r"^[A-Z]\d{7}$")


def _derived(digits: str) -> dict[str, str]:
    """Sex and birth year encoded in a 12-digit number (digit 4: sex+century, 5–6: year)."""
    code = int(digits[3])
    century = 1900 + 100 * (code // 2)
    return {
        "province_code": digits[1:3],
        "gioiTinh": "Nam" if code % 2 == 0 else "Nữ",
        "namSinh": str(century + int(digits[4:6])),
    }


def normalise_id_number(raw: str, kind: str | None = None) -> Normalised:
    """'025 123 456' → '025123456': spaces/dots/dashes removed, leading zeros kept, O→0 fixed.

    kind: 'cmnd' (9 or 12 digits), 'cccd' / 'dinh-danh' (12), 'ho-chieu' (letter + 7 digits),
    None (judged from the shape). extra: kind, and for 12 digits the province code, sex and
    birth year the number encodes (for cross-checks).
    """
    if is_blank(raw):
        return empty_result(raw)
    text = _LABEL.sub("", clean_text(raw))
    compact = re.sub(r"[\s.\-_,]", "", text)
    extra: dict[str, str] = {}
    if kind in (None, "ho-chieu") and _PASSPORT.match(compact.upper()):
        extra["kind"] = "ho-chieu"
        return Normalised(raw, compact.upper(), True, 1.0, (), (), extra)
    fixed, changed = fix_digit_lookalikes(compact, separators=" ")
    issues = ["ocr-digit-fixed"] if changed else []
    score = 0.8 if changed else 1.0
    if kind == "ho-chieu":
        return Normalised(raw, fixed, False, 0.3, (*issues, "id-chars"), (), {"kind": kind})
    if not fixed.isdigit():
        return Normalised(raw, fixed, False, 0.2, (*issues, "id-chars"))
    lengths = _LENGTHS.get(kind or "", (9, 12))
    if kind:
        extra["kind"] = kind
    elif len(fixed) in (9, 12):
        extra["kind"] = "cmnd" if len(fixed) == 9 else "cccd"
    if len(fixed) not in lengths:
        return Normalised(raw, fixed, False, 0.3, (*issues, "id-length"), (), extra)
    if len(fixed) == 12:
        if fixed[0] != "0" or fixed[1:3] not in _PROVINCE_CODES:
            issues.append("id-province-code")
            score = min(score, 0.6)
        else:
            extra.update(_derived(fixed))
    return Normalised(raw, fixed, True, score, tuple(issues), (), extra)
