"""Day, month and year as read → the export's date text, if they make a real date in range."""

from __future__ import annotations

import datetime as dt

MIN_YEAR = 1800


def today() -> dt.date:
    return dt.date.today()


def format_dmy(day: int, month: int, year: int) -> str:
    return f"{day:02d}.{month:02d}.{year:04d}"


def check_full_date(day: int, month: int, year: int) -> tuple[str | None, tuple[str, ...]]:
    """(dd.mm.yyyy, ()) for a real date in range, else (None, issues)."""
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None, ("date-invalid",)
    if year < MIN_YEAR or date > today():
        return None, ("date-out-of-range",)
    return format_dmy(day, month, year), ()


def check_partial(month: int | None, year: int) -> tuple[str | None, tuple[str, ...]]:
    """mm.yyyy / yyyy for a partial date in range, else (None, issues)."""
    if month is not None and not 1 <= month <= 12:
        return None, ("date-invalid",)
    now = today()
    if (
        year < MIN_YEAR
        or year > now.year
        or (month is not None and year == now.year and month > now.month)
    ):
        return None, ("date-out-of-range",)
    return (f"{month:02d}.{year:04d}" if month is not None else f"{year:04d}"), ()
