"""Fields the page does not print but its wording implies (province of birth, residence type …)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.layouts.labels import fold_words
from ocr_service.extract.normalise import normalise_field
from ocr_service.extract.spec import enum_labels, field_specs


def _has(rec: RecordDraft, code: str) -> bool:
    f = rec.fields.get(code)
    return f is not None and bool((f.value or f.raw or "").strip())


def _derived(
    code: str,
    value: str,
    src: FieldDraft | None,
    issues: list[str] | None = None,
    confidence: float | None = None,
) -> FieldDraft:
    return FieldDraft(
        code=code,
        raw="",
        value=value,
        confidence=confidence if confidence is not None else (src.confidence if src else 0.5),
        bbox=src.bbox if src else None,
        page=src.page if src else None,
        source="derived",
        issues=list(issues or []),
    )


def derive_fields(register: str, rec: RecordDraft, extras: dict[str, dict[str, str]]) -> None:
    """Add derived fields in place; a field already read from the page is never replaced.

    `extras` holds the normaliser's extra facts per field code (province of a place, residence
    wording, document type …).
    """
    specs = field_specs(register)

    # nksNoiSinhDVHC: province-level unit of the place of birth.
    if "nksNoiSinhDVHC" in specs and not _has(rec, "nksNoiSinhDVHC"):
        province = extras.get("nksNoiSinh", {}).get("province")
        if province:
            # REGISTERS.md writes the unit word in lower case ('thành phố Hải Phòng').
            province = re.sub(
                r"^(Tỉnh|Thành phố|Thành Phố)\b", lambda m: m.group(1).lower(), province
            )
            rec.fields["nksNoiSinhDVHC"] = _derived(
                "nksNoiSinhDVHC", province, rec.fields.get("nksNoiSinh")
            )

    # *LoaiCuTru from the wording of the residence ('thường trú' / 'tạm trú', else 0).
    for code in specs:
        if not code.endswith("LoaiCuTru") or _has(rec, code):
            continue
        place_code = code[: -len("LoaiCuTru")] + "NoiCuTru"
        place = rec.fields.get(place_code)
        if place is None or not place.raw.strip():
            # A person the page names but whose residence it does not give: 0.
            if _has(rec, code[: -len("LoaiCuTru")] + "HoTen"):
                labels = enum_labels(register, code)
                rec.fields[code] = _derived(
                    code,
                    labels.get("0", ""),
                    rec.fields.get(code[: -len("LoaiCuTru")] + "HoTen"),
                    ["enum-default"],
                )
            continue
        labels = enum_labels(register, code)
        kind = extras.get(place_code, {}).get("loaiCuTru") or labels.get("0", "")
        issues = [] if extras.get(place_code, {}).get("loaiCuTru") else ["enum-default"]
        rec.fields[code] = _derived(code, kind, place, issues)

    # *GiayToKhac: the document's own name when its type is 8 'Giấy tờ khác'.
    for code in specs:
        if not code.endswith("GiayToKhac") or _has(rec, code):
            continue
        loai_code = code[: -len("GiayToKhac")] + "LoaiGiayToTuyThan"
        loai = rec.fields.get(loai_code)
        if loai is None or not loai.raw.strip():
            continue
        if extras.get(loai_code, {}).get("code") == "8":
            rec.fields[code] = _derived(code, loai.raw.strip(), loai)

    # nxnLoaiMucDichSuDung: purpose category from the purpose as written.
    if "nxnLoaiMucDichSuDung" in specs and not _has(rec, "nxnLoaiMucDichSuDung"):
        purpose = rec.fields.get("nxnMucDichSuDung")
        if purpose is not None and purpose.raw.strip():
            n = normalise_field(register, "nxnLoaiMucDichSuDung", purpose.raw)
            # Ambiguous wording ('Đăng ký kết hôn': with a Vietnamese or a foreign spouse?)
            # suggests the first candidate and keeps the others for the clerk.
            value = n.value if n.ok else (n.candidates[0] if n.candidates else None)
            if value:
                f = _derived("nxnLoaiMucDichSuDung", value, purpose, list(n.issues))
                f.candidates = list(n.candidates)
                rec.fields["nxnLoaiMucDichSuDung"] = f

    # loaiDangKy where the page has no tick-boxes (table ledgers).
    if "loaiDangKy" in specs and not _has(rec, "loaiDangKy"):
        derive_registration_type(register, rec)

    # nksLoaiKhaiSinh: which parents are known (REGISTERS.md code list loaiKhaiSinh).
    if "nksLoaiKhaiSinh" in specs and not _has(rec, "nksLoaiKhaiSinh"):
        labels = enum_labels(register, "nksLoaiKhaiSinh")
        me, cha = _has(rec, "meHoTen"), _has(rec, "chaHoTen")
        code = "1" if me and cha else "2" if cha else "3" if me else "4"
        src = rec.fields.get("nksHoTen")
        rec.fields["nksLoaiKhaiSinh"] = _derived(
            "nksLoaiKhaiSinh", labels.get(code, code), src, confidence=0.8
        )


# REGISTERS.md §6.8: the registration type when no box says otherwise.
NO_TICK_DEFAULT = {"khai-sinh": "6", "khai-tu": "0", "ket-hon": "1", "nhan-cha-me-con": "0"}


def derive_registration_type(register: str, rec: RecordDraft) -> None:
    """loaiDangKy for pages without tick-boxes (table ledgers): the §6.8 default, flagged."""
    code = NO_TICK_DEFAULT.get(register)
    labels = enum_labels(register, "loaiDangKy")
    if code is None or code not in labels:
        return
    rec.fields["loaiDangKy"] = _derived(
        "loaiDangKy", labels[code], rec.fields.get("ngayDangKy"), ["enum-default"], confidence=0.5
    )


# The signing official's position starts with one of a few titles (REGISTERS.md chucVuNguoiKy:
# 'Chủ tịch', 'Phó Chủ tịch UBND xã …'); longer titles first so 'Phó …' is not cut short.
POSITIONS = ("Phó Chủ tịch", "Chủ tịch")
POSITION_MIN_SCORE = 80.0  # folded ratio: 'Phó chủ tiến' (83) snaps, 'móch tiên' (<60) does not
GLUED_MIN_SCORE = 72.0  # without spaces: 'Chủtcn', 'Chiệch' (77) snap; 'Công chức' (56) does not


def snap_position(rec: RecordDraft) -> None:
    """chucVuNguoiKy: a misread title at the start of the position matched to the closed list.

    The value stays as read (tôn trọng sổ gốc); the repaired reading, where only the leading
    title words change ('Pho Chủ tích UBND xã X' → 'Phó Chủ tịch UBND xã X'), becomes the
    field's first candidate, and 'enum-fuzzy' asks the clerk to check it.
    """
    f = rec.fields.get("chucVuNguoiKy")
    if f is None or f.source != "ocr" or not (f.value or "").strip():
        return
    words = (f.value or "").split()
    best: tuple[float, int, str] | None = None
    for title in POSITIONS:
        n = len(title.split())
        for k in range(max(1, n - 1), min(len(words), n + 1) + 1):
            score = fuzz.ratio(fold_words(" ".join(words[:k])), fold_words(title))
            if score >= POSITION_MIN_SCORE and (best is None or score > best[0]):
                best = (score, k, title)
    if best is None:
        # A short value read as one garbled word ('Chủtcn', 'Chiệch'): the whole of it.
        glued = fold_words(f.value or "").replace(" ", "")
        for title in POSITIONS:
            target = fold_words(title).replace(" ", "")
            score = fuzz.ratio(glued, target)
            short = len(glued) <= len(target) + 3
            if short and score >= GLUED_MIN_SCORE and (best is None or score > best[0]):
                best = (score, len(words), title)
    if best is None:
        return
    _, k, title = best
    if " ".join(words[:k]).lower() == title.lower():
        return  # the title as printed, in the book's own case ('Chủ Tịch UBND …')
    suggestion = " ".join([title, *words[k:]])
    if suggestion not in f.candidates:
        f.candidates = [suggestion, *f.candidates]
    f.issues = list(dict.fromkeys([*f.issues, "enum-fuzzy"]))
