"""Search keys for people's names in records: folded text, word suffixes and birth dates.

Pure functions (no database), shared by the index kept on every flush, the search query and the
migration that back-fills the index, so that a query is folded exactly like what it looks for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

NAME_SUFFIX = "HoTen"  # nksHoTen, meHoTen, chongHoTen…: a person's full name
BIRTH_SUFFIX = "NgaySinh"  # the same person's birth date: nksNgaySinh, meNgaySinh…
MAX_KEY_LEN = 120  # the stored column's width; longer names are cut (their prefix still matches)
_WORD = re.compile(r"[a-z0-9]+")
# Birth dates as stored (dd.mm.yyyy, mm.yyyy, yyyy) or as typed (/ and - too).
_FULL_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[./-](\d{4})$")
_YEAR = re.compile(r"^\d{4}$")


def fold_name(text: str) -> str:
    """'  Nguyễn Văn ĐỨC ' → 'nguyen van duc': no marks, lower case, đ → d, words of a-z0-9."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("Ð", "D").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(_WORD.findall(plain))[:MAX_KEY_LEN].strip()


def word_suffixes(key: str) -> list[str]:
    """Every tail of the name from a word on: 'nguyen van an' → itself, 'van an', 'an'."""
    words = key.split()
    return list(dict.fromkeys(" ".join(words[i:]) for i in range(len(words))))


@dataclass(frozen=True)
class BirthDate:
    year: int
    iso: str | None  # 'yyyy-mm-dd' when day and month are known


def parse_birth(text: str | None) -> BirthDate | None:
    """A birth date as stored or typed ('05.03.1990', '5/3/1990', '03.1990', '1990'), or None."""
    if not text:
        return None
    text = text.strip()
    m = _FULL_DATE.match(text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= day <= 31 and 1 <= month <= 12:
            return BirthDate(year, f"{year:04d}-{month:02d}-{day:02d}")
        return None
    m = _MONTH_YEAR.match(text)
    if m:
        return BirthDate(int(m.group(2)), None) if 1 <= int(m.group(1)) <= 12 else None
    if _YEAR.match(text):
        return BirthDate(int(text), None)
    return None


@dataclass(frozen=True)
class NameKey:
    code: str
    key: str
    birth_year: int | None
    birth_date: str | None


def name_keys(values: Mapping[str, str | None]) -> list[NameKey]:
    """The search keys of a record's fields (code → value): one per name and word suffix."""
    keys: list[NameKey] = []
    for code in sorted(values):
        value = values[code]
        if not code.endswith(NAME_SUFFIX) or not value:
            continue
        folded = fold_name(value)
        if not folded:
            continue
        birth = parse_birth(values.get(code.removesuffix(NAME_SUFFIX) + BIRTH_SUFFIX))
        for tail in word_suffixes(folded):
            keys.append(
                NameKey(
                    code=code,
                    key=tail,
                    birth_year=birth.year if birth else None,
                    birth_date=birth.iso if birth else None,
                )
            )
    return keys


def birth_code(name_code: str) -> str:
    """The birth-date field of the person a name field names: nksHoTen → nksNgaySinh."""
    return name_code.removesuffix(NAME_SUFFIX) + BIRTH_SUFFIX
