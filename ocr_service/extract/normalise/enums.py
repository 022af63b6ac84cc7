"""Enumerations: page wording and tick-boxes → the code-list label; label → Ministry code."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    code_list,
    empty_result,
    field_spec,
    fold,
    is_blank,
    tone_key,
    vi_distance,
)

# Extra wording per code list and code (besides the label itself), as found on pages,
# tick-boxes and in other digitisation tools. Matching is on fold(), so accents are optional.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "gioiTinh": {
        "1": ("nam", "nam giới", "trai", "con trai", "giới tính nam", "male"),
        "2": ("nữ", "nữ giới", "gái", "con gái", "giới tính nữ", "female"),
        "3": ("chưa xác định", "chưa xác định được giới tính", "không rõ"),
    },
    "loaiDangKy_KS": {
        "1": ("đúng hạn", "đăng ký đúng hạn", "khai sinh đúng hạn"),
        "2": ("đăng ký lại", "đăng kí lại", "khai sinh lại"),
        "3": ("ghi vào sổ", "ghi vào sổ hộ tịch"),
        "4": ("quá hạn", "đăng ký quá hạn", "khai sinh quá hạn"),
        "5": ("cấp bản chính", "cấp lại bản chính"),
        "6": ("chưa xác định",),
    },
    "loaiDangKy_KT": {
        "0": ("không có",),
        "1": ("đúng hạn",),
        "2": ("đăng kí lại",),
        "3": ("ghi vào sổ", "ghi vào sổ hộ tịch"),
        "4": ("quá hạn",),
    },
    "loaiDangKy_KH": {
        "1": ("lần đầu", "đăng ký mới", "kết hôn lần đầu", "đăng ký kết hôn"),
        "2": ("đăng kí lại", "đăng ký kết hôn lại"),
    },
    "loaiDangKy_CMC": {
        "0": ("không có",),
        "1": ("mới", "đăng ký", "đăng ký nhận cha, mẹ, con"),
        "2": ("ghi vào sổ", "ghi vào sổ hộ tịch"),
    },
    "loaiXacNhan": {
        "1": ("cha nhận con",),
        "2": ("mẹ nhận con",),
        "3": ("con nhận cha",),
        "4": ("con nhận mẹ",),
    },
    "loaiCuTru": {
        "0": ("không có",),
        "1": (
            "thường trú",
            "nơi thường trú",
            "hktt",
            "hộ khẩu thường trú",
            "đktt",
            "đăng ký thường trú",
        ),
        "2": ("tạm trú", "nơi tạm trú", "đăng ký tạm trú", "kt3"),
    },
    "loaiGiayToTuyThan": {
        "1": ("cmnd", "chứng minh nhân dân", "giấy chứng minh nhân dân", "chứng minh thư", "cmt"),
        "2": ("hộ chiếu", "passport"),
        "3": ("thẻ thường trú",),
        "4": ("cccd", "căn cước công dân", "thẻ căn cước", "căn cước", "cc"),
        "5": ("chứng minh quân đội", "cmqđ", "cmqđnd", "quân đội nhân dân", "qđnd"),
        "6": ("sĩ quan", "chứng minh sĩ quan", "cmsq"),
        "7": ("chứng minh công an", "công an nhân dân", "cand", "cmcand"),
        "8": ("giấy tờ khác",),
    },
    "gbtLoai": {
        "0": ("không có",),
        "1": ("giấy báo tử", "báo tử"),
        "2": ("thi hành án tử hình",),
        "3": ("bản án", "quyết định của tòa án", "tuyên bố là đã chết", "tuyên bố đã chết"),
        "4": ("giám định pháp y", "xác nhận của cơ quan công an", "giảm định"),
        "5": ("nguyên nhân chết", "cơ quan y tế"),
        "6": ("biên bản",),
        "7": ("người làm chứng", "làm chứng"),
    },
    "tuyenBo": {
        "1": ("tuyên bố", "đã tuyên bố"),
        "2": ("hủy tuyên bố", "huỷ tuyên bố", "hủy bỏ tuyên bố"),
    },
    "tinhTrangKetHon": {
        "1": ("ly hôn", "đã li hôn", "li hôn"),
        "2": ("hủy kết hôn", "hủy việc kết hôn trái pháp luật", "hủy kết hôn trái pháp luật"),
        "3": ("công nhận kết hôn", "công nhận việc kết hôn"),
        "4": ("không có",),
    },
    "loaiKhaiSinh": {
        "5": ("bị bỏ rơi", "bỏ rơi"),
    },
}

# What the spec says to use when nothing is ticked / written (REGISTERS.md §6.8).
DEFAULTS: dict[str, str] = {
    "loaiDangKy_KS": "6",
    "loaiDangKy_KT": "0",
    "loaiDangKy_KH": "1",
    "loaiDangKy_CMC": "0",
    "loaiCuTru": "0",
}

# Lists whose value is one word at the start of its cell (read anchored on the first word).
_LEADING_VALUE_LISTS = {"gioiTinh"}

# Tick-box glyphs as OCR reads them: ticked and empty.
_TICKED = "☑☒✓✔✗✘■▣"
_UNTICKED = "☐□▢"
_TICK_SPLIT = re.compile(r"(\[[xX✓✔ ]?\]|[" + _TICKED + _UNTICKED + "])")


@lru_cache(maxsize=64)
def _phrases(list_name: str) -> tuple[tuple[str, str], ...]:
    """(folded phrase, code) for the labels and synonyms of a list, longest first."""
    labels = code_list(list_name)
    pairs = {(fold(label), code) for code, label in labels.items()}
    for code, words in SYNONYMS.get(list_name, {}).items():
        pairs.update((fold(w), code) for w in words)
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p[1])))


@lru_cache(maxsize=64)
def _spellings(list_name: str) -> frozenset[str]:
    """Lower-case NFC labels and synonyms, tone placement normalised, for exact matches."""
    words = [*code_list(list_name).values()]
    for synonyms in SYNONYMS.get(list_name, {}).values():
        words.extend(synonyms)
    return frozenset(w.lower() for w in words) | frozenset(tone_key(w) for w in words)


def _words(folded: str) -> str:
    """Folded words for phrase matching; 'ký'/'kí' and 'ly'/'li' are spelt both ways in books."""
    words = re.sub(r"[^0-9a-z]+", " ", folded).strip()
    return re.sub(r"\b(k|l)y\b", r"\1i", words)


def _find_phrase(list_name: str, folded: str) -> tuple[str, float] | None:
    """(code, score) of the label or synonym equal to / contained in the folded text."""
    spaced = f" {_words(folded)} "
    phrases = [(_words(phrase), code) for phrase, code in _phrases(list_name)]
    for words, code in phrases:
        if spaced.strip() == words:
            return code, 1.0
    hits = [(spaced.find(f" {words} "), code) for words, code in phrases if words]
    hits = [(start, code) for start, code in hits if start >= 0]
    if not hits:
        return None
    if list_name in _LEADING_VALUE_LISTS:
        # The value opens the cell, later words are spill-over from the next field: 'Nữ Ngày …
        # năm …' holds 'nữ' and 'năm' (→ 'nam'); the phrase that starts first wins.
        start, code = min(hits, key=lambda hit: hit[0])
        # Only within the opening words ('giới tính nam'); a later 'năm' is the next field.
        if len(spaced[:start].split()) > 2:
            return None
        return code, 0.85
    return hits[0][1], 0.85


def _ticked_options(text: str) -> list[str] | None:
    """The option texts marked ticked, or None when the text has no tick-box glyphs."""
    pieces = _TICK_SPLIT.split(text)
    if len(pieces) < 3:
        return None
    ticked: list[str] = []
    for i in range(1, len(pieces) - 1, 2):
        mark, option = pieces[i], pieces[i + 1].strip(" ,;")
        if mark in _UNTICKED or mark in ("[]", "[ ]"):
            continue
        if option:
            ticked.append(option)
    return ticked


def normalise_code_list(list_name: str, raw: str) -> Normalised:
    """Page wording → label of the code list `list_name` (extra['code'] holds its code)."""
    labels = code_list(list_name)
    if is_blank(raw):
        default = DEFAULTS.get(list_name)
        if default is None:
            return empty_result(raw)
        return Normalised(raw, labels[default], True, 0.5, ("enum-default",), (), {"code": default})
    text = clean_text(raw)
    options = _ticked_options(text)
    if options is not None:
        if not options:
            return _with_raw(normalise_code_list(list_name, ""), raw)
        found = {r.value: r for r in (normalise_code_list(list_name, o) for o in options) if r.ok}
        if len(found) > 1:
            labels_found = tuple(str(label) for label in found)
            return Normalised(raw, None, False, 0.0, ("enum-multiple",), labels_found)
        if found:
            return _with_raw(next(iter(found.values())), raw)
        text = " ".join(options)
    stripped = text.strip(" .,;:")
    if stripped in labels:  # the code itself ('1')
        code = stripped
        return Normalised(raw, labels[code], True, 0.9, (), (), {"code": code})
    folded = fold(stripped)
    hit = _find_phrase(list_name, folded)
    if hit is not None:
        code, score = hit
        spelt = stripped.lower() in _spellings(list_name) or tone_key(stripped) in _spellings(
            list_name
        )
        if score == 1.0 and not spelt:
            score = 0.95  # matched only once accents were dropped (OCR or a misplaced tone)
        return Normalised(raw, labels[code], True, score, (), (), {"code": code})
    if list_name in _LEADING_VALUE_LISTS:
        first = _leading_word(list_name, raw, stripped)
        if first is not None:
            return first
    return _fuzzy(list_name, raw, folded)


def _leading_word(list_name: str, raw: str, text: str) -> Normalised | None:
    """A one-word label misread in its first word ('Nom' → 'Nam'): one edit from exactly one."""
    first = text.split(" ")[0]
    labels = code_list(list_name)
    scored = sorted(
        (vi_distance(first, label), code) for code, label in labels.items() if " " not in label
    )
    if not scored or len(first) < 2:
        return None
    best, code = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 99.0
    if best <= 1.0 and runner_up >= best + 1.0:
        return Normalised(raw, labels[code], True, 0.7, ("enum-fuzzy",), (), {"code": code})
    return None


def _with_raw(result: Normalised, raw: str) -> Normalised:
    return Normalised(
        raw, result.value, result.ok, result.score, result.issues, result.candidates, result.extra
    )


def _fuzzy(list_name: str, raw: str, folded: str) -> Normalised:
    labels = code_list(list_name)
    choices = {phrase: code for phrase, code in _phrases(list_name)}
    matches = process.extract(folded, list(choices), scorer=fuzz.ratio, limit=5, score_cutoff=70)
    ranked: list[tuple[str, float]] = []
    for phrase, similarity, _ in matches:
        code = choices[phrase]
        if code not in [c for c, _ in ranked]:
            ranked.append((code, similarity))
    if list_name == "loaiGiayToTuyThan" and (not ranked or ranked[0][1] < 85):
        # REGISTERS.md §6.7: any other document → 8, its wording goes to *GiayToKhac.
        return Normalised(
            raw, labels["8"], True, 0.7, ("enum-other",), (), {"code": "8", "giayToKhac": raw}
        )
    if list_name == "loaiMucDichSuDung":
        return _purpose(raw, folded)
    if not ranked:
        return Normalised(raw, None, False, 0.0, ("enum-unknown",))
    candidates = tuple(labels[c] for c, _ in ranked)
    best_code, best = ranked[0]
    clear = len(ranked) == 1 or best - ranked[1][1] >= 8
    best_phrase = next(p for p, s, _ in matches if choices[p] == best_code)
    if best >= 85 and clear and _words_align(folded, best_phrase):
        return Normalised(
            raw,
            labels[best_code],
            True,
            round(best / 100 * 0.8, 3),
            ("enum-fuzzy",),
            candidates,
            {"code": best_code},
        )
    return Normalised(raw, None, False, 0.0, ("enum-unknown",), candidates)


def _words_align(folded: str, phrase: str) -> bool:
    """Every word close to its counterpart: 'dunq han' ≈ 'dung han', 'ong nhan chau' ≠ 'con …'."""
    words, target = _words(folded).split(), _words(phrase).split()
    if len(words) != len(target):
        return fuzz.ratio(folded, phrase) >= 90
    pairs = list(zip(words, target, strict=True))
    loose = [(a, b) for a, b in pairs if fuzz.ratio(a, b) < 75]
    # In a phrase of 3+ words one short word may be one letter off ('cơn cước công dân').
    return not loose or (
        len(pairs) >= 3
        and len(loose) == 1
        and len(loose[0][1]) >= 3
        and Levenshtein.distance(*loose[0]) == 1
    )


def _purpose(raw: str, folded: str) -> Normalised:
    """loaiMucDichSuDung from the written purpose ('Để đăng ký kết hôn với … người nước ngoài')."""
    labels = code_list("loaiMucDichSuDung")
    if "ket hon" not in folded:
        return Normalised(raw, labels["5"], True, 0.8, (), (), {"code": "5"})
    abroad = bool(re.search(r"\b(o|tai) nuoc ngoai\b", folded))
    foreign = bool(re.search(r"voi (nguoi|cong dan) nuoc ngoai|quoc tich nuoc ngoai", folded))
    local = bool(re.search(r"voi (nguoi|cong dan) viet nam", folded))
    base = 3 if abroad else 1
    if foreign == local:
        codes = (str(base), str(base + 1))
        return Normalised(raw, None, False, 0.0, ("enum-unknown",), tuple(labels[c] for c in codes))
    code = str(base + 1 if foreign else base)
    return Normalised(raw, labels[code], True, 0.85, (), (), {"code": code})


def normalise_enum(register: str, code: str, raw: str) -> Normalised:
    """Tick-box or page wording of an enum field → its label ('Đúng hạn' → 'Đăng kí đúng hạn')."""
    spec = field_spec(register, code)
    list_name = spec.get("code_list")
    if not list_name:
        raise KeyError(f"{register}.{code} is not an enum field")
    return normalise_code_list(str(list_name), raw)


def enum_code(register: str, code: str, label: str) -> str | None:
    """Label (or code, or page wording) → Ministry code ('Nam' → '1'); None when unknown."""
    spec = field_spec(register, code)
    list_name = spec.get("code_list")
    if not list_name:
        return None
    labels = code_list(str(list_name))
    text = clean_text(label)
    if text in labels:
        return text
    for key, value in labels.items():
        if value == text:
            return key
    if not text:
        return None
    result = normalise_code_list(str(list_name), text)
    return result.extra.get("code") if result.ok else None


def normalise_gender(raw: str) -> Normalised:
    """'Nam' / 'nu' / 'NỮ' / 'nam giới' → 'Nam' / 'Nữ' (gioiTinh labels)."""
    return normalise_code_list("gioiTinh", raw)


def residence_type(raw: str) -> Normalised:
    """loaiCuTru from residence wording ('thường trú' → 'Thường trú', 'tạm trú' → …), else 0."""
    result = normalise_code_list("loaiCuTru", raw)
    if result.ok:
        return result
    labels = code_list("loaiCuTru")
    return Normalised(raw, labels["0"], True, 0.5, ("enum-default",), (), {"code": "0"})


def document_type(raw: str) -> Normalised:
    """loaiGiayToTuyThan from document wording ('CMND số …' → 'Giấy CMND'; other → 8)."""
    return normalise_code_list("loaiGiayToTuyThan", raw)
