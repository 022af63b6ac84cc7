"""Register specs from registers.json: field types, required fields and block-form anchors."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from models.registers import FieldSpec, RegistersSpec, RegisterTypeSpec, load_spec
from ocr_service.errors import BadInput

# Identity-document sub-fields of a person block ("nyc* identity fields" in registers.json).
IDENTITY_SUFFIXES = (
    "LoaiGiayToTuyThan",
    "GiayToKhac",
    "SoGiayToTuyThan",
    "NgayCapGiayToTuyThan",
    "NoiCapGiayToTuyThan",
)


def load_registers() -> RegistersSpec:
    """registers.json, parsed once per process (shared with models.registers)."""
    return load_spec()


def register_spec(register: str) -> RegisterTypeSpec:
    """The `register_types[slug]` entry, or BadInput naming the known slugs."""
    types = load_registers()["register_types"]
    if register not in types:
        raise BadInput(f"unknown register {register!r}; expected one of {', '.join(types)}")
    return types[register]


def field_specs(register: str) -> dict[str, FieldSpec]:
    return register_spec(register)["fields"]


def field_type(register: str, code: str) -> str:
    return str(field_specs(register).get(code, {}).get("type", "text"))


def required_fields(register: str) -> list[str]:
    return [c for c, f in field_specs(register).items() if f.get("required")]


def enum_labels(register: str, code: str) -> dict[str, str]:
    """Code → label of an enum field ({} for other fields)."""
    enum = field_specs(register).get(code, {}).get("enum") or {}
    return {str(k): str(v) for k, v in enum.items() if v is not None}


@dataclass(frozen=True)
class Anchor:
    """One printed label of a block form and the fields its value fills.

    `labels` are spelling variants of the same printed label; `codes` the field codes the value
    goes to (several for composite values, none for a label that only ends the previous value);
    `tick` is the loaiDangKy code the label stands for when it is a tick-box.
    """

    index: int
    zone: str
    labels: tuple[str, ...]
    codes: tuple[str, ...]
    tick: str | None = None
    colon: bool = False  # printed with a colon: a fuzzy match must be followed by one

    @property
    def is_tick(self) -> bool:
        return self.tick is not None

    @property
    def group(self) -> str:
        """Zone family used to keep the order of repeated labels (left/right/header/footer)."""
        return self.zone.split(" ")[0]


_CODE_RE = re.compile(r"\b([a-z][a-z]*[A-Z][A-Za-z]*|so|ghiChu)\b")


def _label_variants(label: str) -> list[str]:
    """Split 'A / B', 'A (or B)' and cut '…' placeholders: the printed words only."""
    label = label.replace("(or ", "/ ").replace("(", " ").replace(")", " ")
    out = []
    for part in label.split(" / "):
        cut = part.split("…")
        part = " ".join(cut[0].split()).rstrip(":").strip()
        if len(cut) > 1:
            # 'Giấy báo tử số: …' ends with the value's own keyword; anchor on the words before.
            part = re.sub(r"\s+số$", "", part)
        if part:
            out.append(part)
    return out


def _codes_of(text: str, register: str) -> list[str]:
    fields = field_specs(register)
    codes: list[str] = []
    main = text.split("(")[0]
    star = re.match(r"^(\w+)\* identity fields", main)
    if star:
        return [star.group(1) + s for s in IDENTITY_SUFFIXES if star.group(1) + s in fields]
    for m in _CODE_RE.finditer(main):
        if m.group(1) in fields and m.group(1) not in codes:
            codes.append(m.group(1))
    if "QuocTich(+" in text.replace(" ", ""):
        khac = text.split("(+")[1].split(")")[0].strip()
        if khac in fields:
            codes.append(khac)
    return codes


def _identity_codes(codes: list[str], register: str) -> list[str]:
    """A 'Giấy tờ tùy thân' anchor fills every identity sub-field of its person."""
    fields = field_specs(register)
    for c in codes:
        for suffix in IDENTITY_SUFFIXES:
            if c.endswith(suffix):
                prefix = c[: -len(suffix)]
                return [prefix + s for s in IDENTITY_SUFFIXES if prefix + s in fields]
    return codes


# Captions printed over signatures; they carry no field but end the value before them.
SIGNATURE_CAPTIONS = (
    "Người đi khai sinh",
    "Người đi khai tử",
    "Người yêu cầu",
    "Chữ ký của chồng",
    "Chữ ký của vợ",
    "ký, ghi rõ họ tên",
)

# The civil-status officer who made the entry (nguoiThucHien) signs under their title in other
# printings of the block form, with or without 'Người thực hiện' above it (REGISTERS.md:
# 'công chức tư pháp - hộ tịch'; 'cán bộ tư pháp - hộ tịch' before the 2015 Law on Civil Status).
OFFICER_TITLES = (
    "Công chức tư pháp - hộ tịch",
    "Công chức Tư pháp - Hộ tịch",
    "Cán bộ tư pháp - hộ tịch",
)


@lru_cache(maxsize=8)
def block_anchors(register: str) -> tuple[Anchor, ...]:
    """Block-form anchors in reading order, from registers.json `page_layouts.block_form`.

    Registers without published anchors (CMC, HN) get them from their fields' printed labels;
    labelled page fields the published list leaves out are added at the end of the left part.
    Signature labels may wrap ('Người ký Giấy' / 'chứng nhận kết hôn'): their first words
    also anchor, and the wrapped rest only ends values.
    """
    base = _published_anchors(register) or _anchors_from_fields(register)
    anchors = list(base)
    known = {fold_label(lb) for a in anchors for lb in a.labels}
    covered = {c for a in anchors for c in a.codes}
    for extra in _anchors_from_fields(register):
        if set(extra.codes) & covered or any(fold_label(lb) in known for lb in extra.labels):
            continue
        if extra.group != "left":
            continue
        anchors.append(
            Anchor(len(anchors), extra.zone, extra.labels, extra.codes, colon=extra.colon)
        )
    out: list[Anchor] = []
    for a in anchors:
        labels = list(a.labels)
        stops: list[str] = []
        if "bottom" in a.zone or (a.codes and a.codes[0] in ("nguoiKy", "nguoiThucHien")):
            for lb in a.labels:
                words = lb.split()
                labels += [" ".join(words[:k]) for k in range(len(words) - 1, 2, -1)]
                stops += [" ".join(words[k:]) for k in range(2, len(words) - 2)]
        if a.codes == ("nguoiThucHien",):
            labels += OFFICER_TITLES
        out.append(Anchor(len(out), a.zone, tuple(dict.fromkeys(labels)), a.codes, a.tick, a.colon))
        for st in dict.fromkeys(stops):
            if len(st) > 6:
                out.append(Anchor(len(out), "left (bottom)", (st,), ()))
    for caption in SIGNATURE_CAPTIONS:
        out.append(Anchor(len(out), "left (bottom)", (caption,), ()))
    return tuple(out)


def fold_label(label: str) -> str:
    """Label words folded (no accents, lower case, no punctuation) for comparisons."""
    decomposed = unicodedata.normalize("NFD", label.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[0-9a-z]+", plain))


def _published_anchors(register: str) -> tuple[Anchor, ...]:
    spec = register_spec(register)
    table = load_registers()["page_layouts"]["block_form"]["anchors"].get(spec["code"])
    if table is None:
        return ()
    anchors: list[Anchor] = []
    for zone, label, field_text, _conf in table:
        variants = _label_variants(label)
        colon = ":" in label
        ticks = re.findall(r"loaiDangKy=(\d)", field_text.split("(")[0])
        many_ticks = re.search(r"\((\d(?:/\d)+)", field_text)
        if ticks:
            anchors.append(
                Anchor(len(anchors), zone, tuple(variants), ("loaiDangKy",), ticks[0], colon)
            )
            continue
        if field_text.startswith("loaiDangKy") and many_ticks:
            # KT: one label row 'Đúng hạn / Quá hạn / …' standing for four boxes (1/4/2/3).
            for variant, code in zip(variants, many_ticks.group(1).split("/"), strict=False):
                anchors.append(Anchor(len(anchors), zone, (variant,), ("loaiDangKy",), code, colon))
            continue
        if field_text.startswith("no ") or "signature" in field_text:
            # A label with no field of its own still ends the value before it; the caption
            # '(ký, ghi rõ họ tên)' is often printed on a line of its own.
            parts = [p.strip() for v in label.split(" / ") for p in re.split(r"[()]", v)]
            for v in dict.fromkeys([*variants, *[p for p in parts if len(p) > 3]]):
                anchors.append(Anchor(len(anchors), zone, (v,), ()))
            continue
        codes = _identity_codes(_codes_of(field_text, register), register)
        if len(variants) == 2 and len(codes) == 2 and variants[1].startswith("Chức vụ"):
            # 'Người ký … / Chức vụ': two printed labels, one field each.
            anchors.append(Anchor(len(anchors), zone, (variants[0],), (codes[0],)))
            anchors.append(Anchor(len(anchors), zone, (variants[1],), (codes[1],), colon=True))
            continue
        anchors.append(Anchor(len(anchors), zone, tuple(variants), tuple(codes), colon=colon))
    return tuple(anchors)


def _anchors_from_fields(register: str) -> tuple[Anchor, ...]:
    anchors: list[Anchor] = []
    seen_identity: set[str] = set()
    for code in register_spec(register)["excel_columns"]:
        f = field_specs(register)[code]
        label = f.get("label_vi")
        if not label or f.get("origin") not in ("page", "page/book"):
            continue
        if code.endswith("QuocTichKhac"):
            continue  # same printed label as QuocTich: read as its second value
        codes = _identity_codes([code], register)
        if len(codes) > 1:
            prefix = codes[0][: -len(IDENTITY_SUFFIXES[0])]
            if prefix in seen_identity:
                continue
            seen_identity.add(prefix)
            label = "Giấy tờ tùy thân"
        variants = _label_variants(label)
        if "(" in label:
            # 'Họ, chữ đệm, tên (cha/mẹ)': the full label first, the bare words as a fallback.
            variants += _label_variants(re.sub(r"\s*\([^)]*\)", "", label))
        # 'Ngày, tháng, năm cấp / đăng ký': the short alternative replaces the last word only.
        variants = [
            v if i == 0 or len(v) >= 10 else variants[0].rsplit(" ", 1)[0] + " " + v
            for i, v in enumerate(variants)
        ]
        if code.endswith("QuocTich") and code + "Khac" in field_specs(register):
            codes = [code, code + "Khac"]
        zone = "header" if code in ("so", "quyenSo", "ngayDangKy") else "left"
        if code == "trangSo":
            zone = "footer"
        if code == "ghiChu":
            zone = "right"
        if code in ("nguoiKy", "chucVuNguoiKy", "nguoiThucHien"):
            zone = "left (bottom)"
        # Form labels print a colon, except signature captions and the page footer.
        colon = zone in ("header", "left") or code == "chucVuNguoiKy"
        anchors.append(Anchor(len(anchors), zone, tuple(variants), tuple(codes), colon=colon))
    return tuple(anchors)
