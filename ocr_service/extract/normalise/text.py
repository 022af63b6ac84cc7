"""Free text and clock times: verbatim text (NFC, single spaces); 'HH:mm' times of death."""

from __future__ import annotations

import re

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fix_digit_lookalikes,
    fold,
    is_blank,
)

_TIME = re.compile(
    r"^(?:luc\s*)?(\d{1,2})\s*(?:gio|g|h|:|\.)\s*\.?\s*(?:(\d{1,2})\s*(?:phut|p|')?)?\s*"
    r"(sang|trua|chieu|toi|dem)?$"
)


def normalise_text(raw: str) -> Normalised:
    """Free text verbatim: NFC, whitespace collapsed; placeholders ('-', 'null') are empty."""
    if is_blank(raw):
        return empty_result(raw)
    return Normalised(raw, clean_text(raw), True, 1.0)


def normalise_time(raw: str) -> Normalised:
    """'6 giờ 38 phút' / '06h38' / '6:38' / '3 giờ chiều' → '06:38' / '15:00' (24 h)."""
    if is_blank(raw):
        return empty_result(raw)
    text = clean_text(raw)
    issues: list[str] = []
    m = _TIME.match(fold(text).strip(" ,."))
    if not m:
        # Only now try digit look-alikes: 'g'/'h' are legitimate hour markers ('22g15').
        fixed, changed = fix_digit_lookalikes(text, separators=" :.hg")
        issues = ["ocr-digit-fixed"] if changed else []
        m = _TIME.match(fold(fixed).strip(" ,."))
    if not m:
        return Normalised(raw, None, False, 0.0, (*issues, "time-invalid"))
    hour, minute, period = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    afternoon = (period in ("chieu", "toi") and hour < 12) or (period == "trua" and hour < 11)
    if afternoon or (period == "dem" and 7 <= hour <= 11):
        hour += 12
        issues.append("time-12h")
    if hour > 23 or minute > 59:
        return Normalised(raw, None, False, 0.0, (*issues, "time-invalid"))
    return Normalised(raw, f"{hour:02d}:{minute:02d}", True, 0.8 if issues else 1.0, tuple(issues))
