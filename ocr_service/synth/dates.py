"""Date helpers: export form, realistic printed variants, and dates written in Vietnamese words."""

from __future__ import annotations

import random
from datetime import date

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def export_date(d: date) -> str:
    """Normal export form dd.mm.yyyy."""
    return f"{d.day:02d}.{d.month:02d}.{d.year}"


def printed_date(rng: random.Random, d: date) -> str:
    """A date as clerks write it: 05/3/1987, 5-3-1987, 05.03.1987, 05/03/1987."""
    style = rng.randrange(5)
    if style == 0:
        return f"{d.day:02d}/{d.month}/{d.year}"
    if style == 1:
        return f"{d.day}-{d.month}-{d.year}"
    if style == 2:
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if style == 3:
        return f"{d.day}/{d.month}/{d.year}"
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _below_hundred(n: int, *, after_tens_word: bool = True) -> str:
    """Cardinal 0..99 with the mốt / tư / lăm rules of §6.3."""
    if n < 10:
        return DIGITS[n]
    tens, unit = divmod(n, 10)
    head = "mười" if tens == 1 else f"{DIGITS[tens]} mươi"
    if unit == 0:
        return head
    if unit == 5:
        tail = "lăm"
    elif unit == 1 and tens > 1:
        tail = "mốt"
    elif unit == 4 and tens > 1 and after_tens_word:
        tail = "tư"
    else:
        tail = DIGITS[unit]
    return f"{head} {tail}"


def year_words(year: int, rng: random.Random) -> str:
    """1987 -> 'một nghìn chín trăm tám mươi bảy'; 2008 -> '… không trăm linh tám' (variants)."""
    thousand_word = "nghìn" if rng.random() < 0.85 else "ngàn"
    th, rest = divmod(year, 1000)
    hundreds, below = divmod(rest, 100)
    parts = [DIGITS[th], thousand_word]
    if hundreds == 0 and below == 0:
        return " ".join(parts)
    if hundreds == 0:
        style = rng.randrange(3)
        if style == 0 or below >= 10:
            parts += ["không", "trăm"]
        if below < 10:
            parts.append("lẻ" if style == 2 else "linh")
        parts.append(_below_hundred(below))
        return " ".join(parts)
    parts += [DIGITS[hundreds], "trăm"]
    if below:
        if below < 10:
            parts.append("linh")
        parts.append(_below_hundred(below))
    return " ".join(parts)


def date_words(d: date, rng: random.Random) -> str:
    """'Ngày hai mươi bảy tháng tám năm hai nghìn không trăm linh tám' (sentence case)."""
    if d.day <= 10 and rng.random() < 0.35:
        day = f"mồng {DIGITS[d.day] if d.day < 10 else 'mười'}"
    else:
        day = _below_hundred(d.day)
    month = "tư" if d.month == 4 else _below_hundred(d.month, after_tens_word=False)
    text = f"ngày {day} tháng {month} năm {year_words(d.year, rng)}"
    return text[0].upper() + text[1:]


def title_case(text: str) -> str:
    """Export form of a date in words: every word capitalised."""
    return " ".join(w[:1].upper() + w[1:] for w in text.split())
