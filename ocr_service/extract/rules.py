"""Data-quality rules (REGISTERS.md §9) on draft records: warnings for the clerk, never edits."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Sequence

from ocr_service.extract.containers import RecordDraft, RecordWarning
from ocr_service.extract.normalise import date_words_agree
from ocr_service.extract.spec import field_specs, register_spec, required_fields

DateKey = tuple[int, int | None, int | None]  # year, month, day (None where the book is partial)

_SO_RE = re.compile(r"^(\d+)/(\d{4})$")
_DATE_RE = re.compile(r"^(?:(\d{2})\.)?(?:(\d{2})\.)?(\d{4})$")

# Rule ids as in registers.json qa_rules (REGISTERS.md §9).
RULES = {
    "required": "error",
    "so-format": "error",
    "so-year-mismatch": "error",
    "book-year-after-registration": "warning",
    "registration-before-event": "error",
    "date-order": "warning",
    "date-format": "error",
    "date-out-of-range": "error",
    "enum-value": "error",
    "list-value": "error",
    "date-words-mismatch": "warning",
    "parent-age": "warning",
    "marriage-age": "warning",
    "duplicate-number": "error",
    "sequence-gap": "warning",
}


def _warn(field: str | None, rule: str, message: str) -> RecordWarning:
    if RULES.get(rule) == "error":
        return RecordWarning(field=field, rule=rule, message=message, severity="error")
    return RecordWarning(field=field, rule=rule, message=message, severity="warning")


def parse_date_value(value: str | None) -> DateKey | None:
    """A normalised value 'dd.mm.yyyy' | 'mm.yyyy' | 'yyyy' as (year, month, day)."""
    if not value:
        return None
    m = _DATE_RE.match(value)
    if not m:
        return None
    a, b, year = m.group(1), m.group(2), int(m.group(3))
    if a and b:
        return (year, int(b), int(a))
    if a:
        return (year, int(a), None)
    return (year, None, None)


def date_before(a: DateKey, b: DateKey) -> bool:
    """True only when a is certainly before b, comparing as far as both are known."""
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            return False
        if x != y:
            return x < y
    return False


def parse_so(value: str | None) -> tuple[int, int] | None:
    """'07/2019' → (7, 2019)."""
    if not value:
        return None
    m = _SO_RE.match(value.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def _label(register: str, code: str) -> str:
    label = field_specs(register).get(code, {}).get("label_vi")
    return f"{label} ({code})" if label else code


def _fmt(d: DateKey) -> str:
    y, m, dd = d
    if dd is not None and m is not None:
        return f"{dd:02d}.{m:02d}.{y}"
    if m is not None:
        return f"{m:02d}.{y}"
    return str(y)


def check_required(register: str, rec: RecordDraft) -> list[RecordWarning]:
    out = []
    for code in required_fields(register):
        f = rec.fields.get(code)
        if f is None or not (f.value or "").strip():
            read = f is not None and f.raw.strip()
            msg = (
                f"Trường bắt buộc {_label(register, code)} đọc được '{f.raw}' nhưng không hợp lệ"
                if read and f is not None
                else f"Thiếu trường bắt buộc {_label(register, code)}"
            )
            out.append(_warn(code, "required", msg))
    return out


def check_formats(register: str, rec: RecordDraft) -> list[RecordWarning]:
    """Values read but not usable: bad dates, out-of-range years, values outside their list."""
    out = []
    specs = field_specs(register)
    for code, f in rec.fields.items():
        spec = specs.get(code, {})
        kind = spec.get("type")
        if "date-out-of-range" in f.issues:
            out.append(
                _warn(
                    code,
                    "date-out-of-range",
                    f"{_label(register, code)}: năm không hợp lệ "
                    f"(trước 1800 hoặc sau ngày hiện tại): '{f.raw}'",
                )
            )
            continue
        if not f.raw.strip() or f.value:
            continue
        if kind in ("date", "partial-date"):
            out.append(
                _warn(
                    code, "date-format", f"{_label(register, code)}: không đọc được ngày '{f.raw}'"
                )
            )
        elif kind == "enum" and f.source == "ocr":
            out.append(
                _warn(
                    code,
                    "enum-value",
                    f"{_label(register, code)}: giá trị '{f.raw}' không có trong danh mục",
                )
            )
        elif kind == "list":
            out.append(
                _warn(
                    code,
                    "list-value",
                    f"{_label(register, code)}: '{f.raw}' không có trong danh sách",
                )
            )
    so = rec.value("so")
    if so and not parse_so(so):
        out.append(
            _warn("so", "so-format", f"Số đăng ký '{so}' không đúng dạng số/năm (vd. 01/2019)")
        )
    return out


def check_dates(register: str, rec: RecordDraft) -> list[RecordWarning]:
    """Registration not before the event; death not before birth; so/quyển year vs date."""
    out: list[RecordWarning] = []
    reg = parse_date_value(rec.value("ngayDangKy"))
    event = {"khai-sinh": "nksNgaySinh", "khai-tu": "nktNgayChet"}.get(register)
    if reg and event:
        ev = parse_date_value(rec.value(event))
        if ev and date_before(reg, ev):
            out.append(
                _warn(
                    event,
                    "registration-before-event",
                    f"Ngày đăng ký {_fmt(reg)} trước {_label(register, event)} {_fmt(ev)}",
                )
            )
    if register == "ket-hon" and reg:
        xl = parse_date_value(rec.value("ngayXacLapQuanHeHonNhan"))
        if xl and date_before(reg, xl):
            out.append(
                _warn(
                    "ngayXacLapQuanHeHonNhan",
                    "registration-before-event",
                    f"Ngày xác lập quan hệ hôn nhân {_fmt(xl)} sau ngày đăng ký {_fmt(reg)}",
                )
            )
    if register == "khai-tu":
        born = parse_date_value(rec.value("nktNgaySinh"))
        died = parse_date_value(rec.value("nktNgayChet"))
        if born and died and date_before(died, born):
            out.append(
                _warn(
                    "nktNgayChet",
                    "date-order",
                    f"Ngày chết {_fmt(died)} trước ngày sinh {_fmt(born)}",
                )
            )
    if reg:
        for code in field_specs(register):
            if code.endswith("NgaySinh") and code != event:
                born = parse_date_value(rec.value(code))
                if born and date_before(reg, born):
                    out.append(
                        _warn(
                            code,
                            "date-order",
                            f"{_label(register, code)} {_fmt(born)} sau ngày đăng ký {_fmt(reg)}",
                        )
                    )
        so = parse_so(rec.value("so"))
        if so and so[1] != reg[0]:
            out.append(
                _warn(
                    "so",
                    "so-year-mismatch",
                    f"Năm của số đăng ký ({so[1]}) khác năm đăng ký ({reg[0]})",
                )
            )
        quyen = parse_so(rec.value("quyenSo"))
        if quyen and quyen[1] > reg[0]:
            out.append(
                _warn(
                    "quyenSo",
                    "book-year-after-registration",
                    f"Năm của quyển số ({quyen[1]}) sau năm đăng ký ({reg[0]})",
                )
            )
    return out


def check_date_words(register: str, rec: RecordDraft) -> list[RecordWarning]:
    pairs = {
        "khai-sinh": ("nksNgaySinh", "nksNgaySinhBangChu"),
        "khai-tu": ("nktNgayChet", "nktNgayChetGhiBangChu"),
    }
    if register not in pairs:
        return []
    num, words = pairs[register]
    value = rec.value(num)
    wf = rec.fields.get(words)
    if not value or wf is None or not wf.raw.strip():
        return []
    if date_words_agree(value, wf.raw):
        return []
    return [
        _warn(
            words,
            "date-words-mismatch",
            f"Ngày ghi bằng chữ '{wf.raw}' không khớp với {_label(register, num)} {value}",
        )
    ]


def check_ages(register: str, rec: RecordDraft) -> list[RecordWarning]:
    out: list[RecordWarning] = []
    if register == "khai-sinh":
        child = parse_date_value(rec.value("nksNgaySinh"))
        for code, lo, hi, who in (("meNgaySinh", 12, 60, "mẹ"), ("chaNgaySinh", 14, 90, "cha")):
            parent = parse_date_value(rec.value(code))
            if child and parent:
                age = child[0] - parent[0]
                if not lo <= age <= hi:
                    out.append(
                        _warn(
                            code,
                            "parent-age",
                            f"Tuổi của {who} khi sinh con là {age}, ngoài khoảng {lo}–{hi}",
                        )
                    )
    if register == "ket-hon":
        reg = parse_date_value(rec.value("ngayDangKy"))
        for code, lo, who in (("chongNgaySinh", 20, "chồng"), ("voNgaySinh", 18, "vợ")):
            born = parse_date_value(rec.value(code))
            if reg and born and reg[0] - born[0] < lo:
                out.append(
                    _warn(
                        code,
                        "marriage-age",
                        f"Tuổi của {who} khi đăng ký kết hôn là {reg[0] - born[0]}, dưới {lo}",
                    )
                )
    return out


RECORD_CHECKS: tuple[Callable[[str, RecordDraft], list[RecordWarning]], ...] = (
    check_required,
    check_formats,
    check_dates,
    check_date_words,
    check_ages,
)


def check_record(register: str, rec: RecordDraft) -> list[RecordWarning]:
    """Every record-level rule for one draft record."""
    register_spec(register)  # unknown register → BadInput
    out: list[RecordWarning] = []
    for check in RECORD_CHECKS:
        out.extend(check(register, rec))
    return out


def check_book(records: Sequence[RecordDraft]) -> dict[int, list[RecordWarning]]:
    """Book-level rules: duplicate numbers, gaps in the numbering and dates going back.

    Numbers are grouped per registration year (the year part of `so`); the first number of a
    year is not required to be 01, because a second book of the same year continues the first.
    """
    out: dict[int, list[RecordWarning]] = defaultdict(list)
    by_key: dict[tuple[str, str, int, int], list[int]] = defaultdict(list)
    by_year: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, rec in enumerate(records):
        so = parse_so(rec.value("so"))
        if so is None:
            continue
        by_key[(rec.value("noiDangKy") or "", rec.value("quyenSo") or "", *so)].append(i)
        by_year[so[1]].append((so[0], i))
    for (_, _, n, year), idxs in by_key.items():
        if len(idxs) > 1:
            for i in idxs:
                others = ", ".join(f"trang {records[j].page}" for j in idxs if j != i)
                out[i].append(
                    _warn(
                        "so", "duplicate-number", f"Số {n:02d}/{year} bị trùng (cũng có ở {others})"
                    )
                )
    for year, items in by_year.items():
        items.sort()
        numbers = sorted({n for n, _ in items})
        first_at: dict[int, int] = {}
        for n, i in items:
            first_at.setdefault(n, i)
        for a, b in itertools.pairwise(numbers):
            if b - a > 1:
                missing = f"{a + 1:02d}" if b - a == 2 else f"{a + 1:02d}–{b - 1:02d}"
                out[first_at[b]].append(
                    _warn(
                        "so",
                        "sequence-gap",
                        f"Thiếu số {missing}/{year} giữa số {a:02d}/{year} và {b:02d}/{year}",
                    )
                )
        # Entries are written in order: a later number never has an earlier registration date.
        latest: tuple[DateKey, int] | None = None
        for n, i in items:
            d = parse_date_value(records[i].value("ngayDangKy"))
            if d is None:
                continue
            if latest is not None and date_before(d, latest[0]):
                out[i].append(
                    _warn(
                        "ngayDangKy",
                        "date-order",
                        f"Ngày đăng ký {_fmt(d)} của số {n:02d}/{year} trước ngày đăng ký "
                        f"{_fmt(latest[0])} của số {latest[1]:02d}/{year}",
                    )
                )
            elif latest is None or not date_before(d, latest[0]):
                latest = (d, n)
    return dict(out)
