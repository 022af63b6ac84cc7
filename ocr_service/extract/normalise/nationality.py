"""Nationality: Vietnamese country names with aliases ('VN', 'Viet Nam', 'Mỹ' → 'Hoa Kỳ')."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fold_key,
    is_blank,
    load_registers,
)

# Export name → aliases. The authoritative list is unknown (REGISTERS.md §5); names follow the
# usual Vietnamese administrative spelling, aliases cover transliterations, English and short
# forms seen in books. Folded matching makes accent-less OCR output match too.
COUNTRIES: dict[str, tuple[str, ...]] = {
    "Việt Nam": ("VN", "Việt", "CHXHCN Việt Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam", "Vietnam"),
    "Lào": ("CHDCND Lào", "Laos", "Lao"),
    "Campuchia": ("Cam-pu-chia", "Cambodia", "Căm-pu-chia"),
    "Trung Quốc": ("China", "CHND Trung Hoa", "Trung Hoa"),
    "Đài Loan (Trung Quốc)": ("Đài Loan", "Taiwan"),
    "Hồng Kông (Trung Quốc)": ("Hồng Kông", "Hong Kong", "Hương Cảng"),
    "Hàn Quốc": ("Đại Hàn", "Korea", "South Korea", "Đại Hàn Dân Quốc", "Nam Hàn"),
    "Triều Tiên": ("CHDCND Triều Tiên", "North Korea", "Bắc Triều Tiên"),
    "Nhật Bản": ("Nhật", "Japan"),
    "Thái Lan": ("Thailand",),
    "Malaysia": ("Ma-lai-xi-a", "Mã Lai"),
    "Singapore": ("Xin-ga-po", "Singapo"),
    "Indonesia": ("In-đô-nê-xi-a", "Inđônêxia"),
    "Philippines": ("Phi-líp-pin", "Philippin", "Phi Luật Tân"),
    "Myanmar": ("Mi-an-ma", "Miến Điện", "Myanma"),
    "Brunei": ("Bru-nây",),
    "Đông Timor": ("Timor-Leste", "Ti-mo Lét-xtê"),
    "Ấn Độ": ("India",),
    "Pakistan": ("Pa-ki-xtan",),
    "Bangladesh": ("Băng-la-đét",),
    "Nepal": ("Nê-pan",),
    "Sri Lanka": ("Xri Lan-ca",),
    "Mông Cổ": ("Mongolia",),
    "Nga": ("Liên bang Nga", "Russia", "Liên Xô"),
    "Ukraina": ("U-crai-na", "Ukraine"),
    "Belarus": ("Bê-la-rút",),
    "Kazakhstan": ("Ca-dắc-xtan",),
    "Uzbekistan": ("U-dơ-bê-ki-xtan",),
    "Ba Lan": ("Poland",),
    "Séc": ("Cộng hòa Séc", "Czech", "Tiệp Khắc"),
    "Slovakia": ("Xlô-va-ki-a",),
    "Hungary": ("Hung-ga-ri", "Hung"),
    "Romania": ("Ru-ma-ni", "Rumani"),
    "Bulgaria": ("Bun-ga-ri", "Bungari"),
    "Đức": ("CHLB Đức", "Cộng hòa Liên bang Đức", "Germany", "Tây Đức", "Đông Đức"),
    "Pháp": ("Cộng hòa Pháp", "France"),
    "Anh": ("Vương quốc Anh", "Liên hiệp Vương quốc Anh và Bắc Ai-len", "United Kingdom", "UK"),
    "Ai-len": ("Ireland", "Ai Len"),
    "Italia": ("I-ta-li-a", "Ý", "Italy"),
    "Tây Ban Nha": ("Spain",),
    "Bồ Đào Nha": ("Portugal",),
    "Hà Lan": ("Netherlands", "Holland"),
    "Bỉ": ("Belgium",),
    "Lúc-xăm-bua": ("Luxembourg",),
    "Thụy Sĩ": ("Thụy Sỹ", "Switzerland"),
    "Áo": ("Austria",),
    "Thụy Điển": ("Sweden",),
    "Na Uy": ("Norway",),
    "Đan Mạch": ("Denmark",),
    "Phần Lan": ("Finland",),
    "Hy Lạp": ("Greece",),
    "Thổ Nhĩ Kỳ": ("Turkey", "Türkiye"),
    "Israel": ("I-xra-en",),
    "Ả Rập Xê Út": ("Saudi Arabia", "A-rập Xê-út"),
    "Các Tiểu vương quốc Ả Rập Thống nhất": ("UAE", "Tiểu vương quốc Ả Rập"),
    "Qatar": ("Ca-ta",),
    "Cô-oét": ("Kuwait",),
    "Iran": ("I-ran",),
    "Iraq": ("I-rắc",),
    "Ai Cập": ("Egypt",),
    "Nam Phi": ("South Africa",),
    "Nigeria": ("Ni-giê-ri-a",),
    "Angola": ("Ăng-gô-la",),
    "Algeria": ("An-giê-ri",),
    "Hoa Kỳ": ("Mỹ", "Hợp chúng quốc Hoa Kỳ", "USA", "United States", "Hoa Kì"),
    "Canada": ("Ca-na-đa", "Canađa"),
    "Mexico": ("Mê-hi-cô", "Mêhicô"),
    "Cuba": ("Cu-ba",),
    "Brazil": ("Bra-xin", "Braxin"),
    "Argentina": ("Ác-hen-ti-na",),
    "Chile": ("Chi-lê",),
    "Peru": ("Pê-ru",),
    "Colombia": ("Cô-lôm-bi-a",),
    "Venezuela": ("Vê-nê-xu-ê-la",),
    "Australia": ("Úc", "Ô-xtrây-li-a", "Ôxtrâylia"),
    "New Zealand": ("Niu Di-lân", "Niu Dilân"),
}
SPECIAL = ("Không quốc tịch", "Không xác định")
_PREFIX = re.compile(r"^\s*(qu[oố]c\s*t[iị]ch|qt\.?)\s*[:.\-]?\s*", re.IGNORECASE)


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Folded key → export name, for names, aliases and the registers.json examples."""
    index: dict[str, str] = {}
    for name, aliases in COUNTRIES.items():
        for spelling in (name, *aliases):
            index.setdefault(fold_key(spelling), name)
    for example in load_registers()["countries"]["examples"]:
        index.setdefault(fold_key(example), example)
    for value in SPECIAL:
        index[fold_key(value)] = value
    return index


def find_country(text: str) -> str | None:
    """The country named at the end of a place ('Tokyo, Nhật Bản' → 'Nhật Bản'), if any."""
    last = re.split(r"[,;]", clean_text(text))[-1]
    key = fold_key(last)
    return _index().get(key) if len(key) >= 3 else None


def normalise_nationality(raw: str) -> Normalised:
    """'Việt nam' / 'VIET NAM' / 'VN' / 'Quốc tịch: Việt Nam' → 'Việt Nam'; 'Mỹ' → 'Hoa Kỳ'."""
    if is_blank(raw):
        return empty_result(raw)
    text = _PREFIX.sub("", clean_text(raw)).strip(" .,;:")
    key = fold_key(text)
    index = _index()
    if key in index:
        name = index[key]
        issues = ("nationality-special",) if name in SPECIAL else ()
        exact = text.lower() == name.lower()
        return Normalised(raw, name, True, 1.0 if exact else 0.95, issues)
    if not key:
        return empty_result(raw)
    matches = process.extract(key, list(index), scorer=fuzz.ratio, limit=6, score_cutoff=70)
    ranked: list[tuple[str, float]] = []
    for spelling, similarity, _ in matches:
        if index[spelling] not in [n for n, _ in ranked]:
            ranked.append((index[spelling], similarity))
    candidates = tuple(n for n, _ in ranked)
    if ranked and len(key) >= 4:
        best_name, best = ranked[0]
        if best >= 80 and (len(ranked) == 1 or best - ranked[1][1] >= 8):
            return Normalised(
                raw, best_name, True, round(best / 100 * 0.8, 3), ("nationality-fuzzy",), candidates
            )
    return Normalised(raw, None, False, 0.0, ("nationality-unknown",), candidates)
