"""Split one printed value that fills several fields (identity document, time of death …)."""

from __future__ import annotations

import re

from ocr_service.extract.layouts.labels import find_labels, fold_keep_length

_SEP_KHAC = re.compile(r"\s*(?:;|,|\bvà\b|\bva\b)\s*", re.IGNORECASE)


def _cut(raw: str, pattern: str) -> list[tuple[str, int, int]]:
    """Keyword matches (name, start, end) found on the folded text, offsets valid in raw."""
    folded = fold_keep_length(raw)
    return [(m.lastgroup or "", m.start(), m.end()) for m in re.finditer(pattern, folded)]


def _slices(raw: str, marks: list[tuple[str, int, int]], head: str) -> dict[str, str]:
    """Text between consecutive keywords, keyed by the keyword before it (`head` before all)."""
    out: dict[str, str] = {}
    bounds = [(head, 0, 0), *marks]
    for i, (name, _s, e) in enumerate(bounds):
        end = bounds[i + 1][1] if i + 1 < len(bounds) else len(raw)
        piece = raw[e:end].strip(" ,;:.")
        if piece and name not in out:
            out[name] = piece
    return out


def _fuzzy_marks(raw: str, words: dict[str, tuple[str, ...]]) -> list[tuple[str, int, int]]:
    """Keyword matches that survive OCR noise ('cấp nqày', 'noi cap'), as (name, start, end)."""
    out = []
    for name, variants in words.items():
        for hit in find_labels(raw, variants):
            end = hit.end + (1 if raw[hit.end : hit.end + 1] == ":" else 0)
            out.append((name, hit.start, end))
    return out


def _merge_marks(
    exact: list[tuple[str, int, int]], fuzzy: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """Exact keyword matches plus fuzzy ones that do not overlap them, in text order."""
    marks = list(exact)
    for m in fuzzy:
        if all(m[2] <= e[1] or m[1] >= e[2] for e in marks):
            marks.append(m)
    return sorted(marks, key=lambda m: m[1])


def split_identity(prefix_codes: tuple[str, ...], raw: str) -> dict[str, str]:
    """'CMND số 0123, cấp ngày 01/02/2010, nơi cấp Công an …' → Loai/So/NgayCap/NoiCap raws."""
    exact = _cut(
        raw,
        r"(?P<so>\bso\b:?)|(?P<ngay>\b(?:cap ngay|ngay cap)\b:?)|(?P<noi>\b(?:noi cap|do)\b:?)",
    )
    marks = _merge_marks(
        exact, _fuzzy_marks(raw, {"ngay": ("cấp ngày", "ngày cấp"), "noi": ("nơi cấp",)})
    )
    # 'nơi cấp: Độ Công an': a keyword right after the same keyword ('Bộ' misread as 'Độ',
    # folded 'do') is the start of the value, not a second keyword.
    marks = [
        m
        for i, m in enumerate(marks)
        if not (
            i > 0 and marks[i - 1][0] == m[0] and not raw[marks[i - 1][2] : m[1]].strip(" ,;:.")
        )
    ]
    parts = _slices(raw, marks, "loai")
    by_suffix = {
        "LoaiGiayToTuyThan": parts.get("loai", ""),
        "SoGiayToTuyThan": parts.get("so", ""),
        "NgayCapGiayToTuyThan": parts.get("ngay", ""),
        "NoiCapGiayToTuyThan": re.sub(r"\s*cấp$", "", parts.get("noi", "")),
    }
    out: dict[str, str] = {}
    for code in prefix_codes:
        for suffix, value in by_suffix.items():
            if code.endswith(suffix):
                out[code] = value
    if not marks and raw:
        # No keyword at all: a bare number is the document number, words are the type.
        loai = next((c for c in prefix_codes if c.endswith("LoaiGiayToTuyThan")), None)
        so = next((c for c in prefix_codes if c.endswith("SoGiayToTuyThan")), None)
        digits = re.sub(r"[\s.]", "", raw)
        if so and re.fullmatch(r"[A-Z]?\d{6,}", digits):
            out[so] = raw
            if loai:
                out[loai] = ""
    return out


def split_death_time(codes: tuple[str, ...], raw: str) -> dict[str, str]:
    """'10 giờ 30 phút, ngày 05 tháng 3 năm 2019' → time raw + date raw."""
    folded = fold_keep_length(raw)
    # A leader dot left between the hour and the minutes ('11 giờ.41 phút') is no separator.
    m = re.search(r"\d{1,2}\s*(?:gio|h|:)\s*\.?\s*\d{0,2}\s*(?:phut|p)?", folded)
    time_raw = raw[m.start() : m.end()].strip(" ,") if m else ""
    rest = (raw[: m.start()] + raw[m.end() :]) if m else raw
    out = {}
    for code in codes:
        out[code] = time_raw if code.endswith("GioPhutChet") else rest.strip(" ,;:")
    return out


_NUMBER_FIRST = re.compile(r"\d")


def split_death_notice(codes: tuple[str, ...], raw: str, label: str) -> dict[str, str]:
    """'số 12/GBT ngày 03/03/2019 của Bệnh viện X' after 'Giấy báo tử' → gbt* raws."""
    # 'ngày' with one letter misread ('ngàn: 02/2/2016', 'ngàv: 6-3-2016') still opens the
    # date when a date follows it.
    marks = _cut(
        raw,
        r"(?P<so>\bso\b:?)|(?P<ngay>\bngay\b:?|\bnga[a-z]\b:?(?=\s*\d))|(?P<cua>\b(?:cua|do)\b:?)",
    )
    parts = _slices(raw, marks, "head")
    loai = label
    if parts.get("head") and "so" in parts:
        loai = f"{label} {parts['head']}".strip()
    elif "so" not in parts and _NUMBER_FIRST.match(parts.get("head", "")):
        # 'số' misread or taken into the label's match ('Giấn báo tử số: 167/GBT …' matches
        # the label with its 'số'): a value that opens with a number is the notice's number.
        parts["so"] = parts.pop("head")
    values = {
        "gbtLoai": loai,
        "gbtSo": parts.get("so", ""),
        "gbtNgay": parts.get("ngay", ""),
        "gbtCoQuanCap": re.sub(r"\s*cấp$", "", parts.get("cua", "")),
    }
    return {c: values.get(c, "") for c in codes}


def split_nationality(codes: tuple[str, ...], raw: str) -> dict[str, str]:
    """'Việt Nam; Nhật Bản' → QuocTich and QuocTichKhac (a country name holds no comma)."""
    parts = [p for p in _SEP_KHAC.split(raw) if p]
    out = {codes[0]: parts[0] if parts else ""}
    if len(codes) > 1:
        out[codes[1]] = ", ".join(parts[1:])
    return out


def split_composite(codes: tuple[str, ...], raw: str, label: str = "") -> dict[str, str]:
    """Raw text per field code for a label whose value fills `codes`."""
    if not codes:
        return {}
    if len(codes) == 1:
        return {codes[0]: raw}
    if any(c.endswith("LoaiGiayToTuyThan") for c in codes):
        return split_identity(codes, raw)
    if any(c.endswith("GioPhutChet") for c in codes):
        return split_death_time(codes, raw)
    if codes[0] == "gbtLoai":
        return split_death_notice(codes, raw, label)
    if codes[0].endswith("QuocTich"):
        return split_nationality(codes, raw)
    out = {codes[0]: raw}
    out.update({c: "" for c in codes[1:]})
    return out
