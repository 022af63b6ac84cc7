"""A small labelled set in the `sohoa synth` format, for tests and a quick bench before synth runs.

Block-form pages at 200 dpi: a printed label (DejaVu Serif) followed by its value, typed
(DejaVu Sans) or in a handwriting font (Patrick Hand / Itim when ocr_service/synth ships them).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
SYNTH_FONTS = Path(__file__).resolve().parent.parent / "synth" / "fonts"
A4_200DPI = (1654, 2339)

FIELDS = [
    (
        "Họ, chữ đệm, tên:",
        [
            "Nguyễn Thị Hương",
            "Trần Văn Bình",
            "Lê Hoàng Yến",
            "Phạm Đức Thắng",
            "Vũ Thị Ngọc Ánh",
            "Đặng Quốc Việt",
            "Bùi Thị Hằng",
            "Hồ Minh Triết",
        ],
    ),
    (
        "Ngày, tháng, năm sinh:",
        ["12/03/1985", "01/11/2019", "25/07/2020", "09/09/1999", "30/04/2021", "15/08/2018"],
    ),
    ("Giới tính:", ["Nam", "Nữ"]),
    ("Dân tộc:", ["Kinh", "Tày", "Thái", "Mường", "Khơ Me", "Ê Đê"]),
    ("Quốc tịch:", ["Việt Nam"]),
    (
        "Nơi sinh:",
        [
            "Trạm Y tế xã Phú Lộc, huyện Phú Vang",
            "Bệnh viện Đa khoa tỉnh Nghệ An",
            "Bệnh viện Phụ sản Hà Nội",
            "xã Hương Sơn, huyện Hương Khê, tỉnh Hà Tĩnh",
        ],
    ),
    (
        "Quê quán:",
        [
            "xã Quảng Phú, huyện Quảng Điền",
            "phường Đông Ba, thành phố Huế",
            "xã Yên Thường, huyện Gia Lâm",
        ],
    ),
    ("Họ, chữ đệm, tên người mẹ:", ["Trần Thị Lan", "Ngô Thị Mỹ Duyên", "Đỗ Thị Thu Trang"]),
    ("Họ, chữ đệm, tên người cha:", ["Nguyễn Văn Bình", "Lê Quang Huy", "Phan Thanh Sơn"]),
    (
        "Nơi cư trú:",
        [
            "thôn Đông, xã Phú Lộc",
            "số 12 đường Lê Lợi, phường Vĩnh Ninh",
            "tổ 5, phường Quang Trung",
        ],
    ),
    ("Số định danh cá nhân:", ["046185001234", "001219004567", "038099012345"]),
    ("Người đi khai sinh:", ["Nguyễn Văn Bình", "Trần Thị Lan", "Lê Quang Huy"]),
    ("Quan hệ với người được khai sinh:", ["cha", "mẹ", "ông nội", "bà ngoại"]),
]


def _font(style: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    if style == "hand":
        for name in ("PatrickHand-Regular.ttf", "Itim-Regular.ttf"):
            if (SYNTH_FONTS / name).is_file():
                return ImageFont.truetype(str(SYNTH_FONTS / name), size)
    name = (
        "DejaVuSerif-Bold.ttf"
        if bold
        else ("DejaVuSerif.ttf" if style == "label" else "DejaVuSans.ttf")
    )
    return ImageFont.truetype(str(DEJAVU / name), size)


def _put(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    font: ImageFont.FreeTypeFont,
    ink: int,
) -> tuple[int, int, int, int]:
    draw.text(xy, text, font=font, fill=ink)
    x0, y0, x1, y1 = draw.textbbox(xy, text, font=font)
    return (int(x0), int(y0), int(x1), int(y1))


def render_page(style: str, rng: random.Random) -> tuple[Image.Image, list[dict[str, object]]]:
    """One A4 page at 200 dpi and its truth lines (label and value separate, as synth does)."""
    img = Image.new("L", A4_200DPI, 250)
    draw = ImageDraw.Draw(img)
    lines: list[dict[str, object]] = []
    header = _font("label", 34, bold=True)
    for text, y in (("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 120), ("GIẤY KHAI SINH", 200)):
        w = draw.textlength(text, font=header)
        box = _put(draw, (int((A4_200DPI[0] - w) / 2), y), text, header, 20)
        lines.append(
            {"text": text, "bbox": list(box), "kind": "header", "style": "typed", "field": None}
        )
    label_font = _font("label", 30)
    value_font = _font(style, 38 if style == "hand" else 30)
    y = 330
    for label, values in FIELDS:
        box = _put(draw, (140, y), label, label_font, 25)
        lines.append(
            {"text": label, "bbox": list(box), "kind": "label", "style": "typed", "field": None}
        )
        value = rng.choice(values)
        vbox = _put(
            draw,
            (box[2] + 40, y - (4 if style == "hand" else 0)),
            value,
            value_font,
            rng.randint(20, 70),
        )
        lines.append(
            {
                "text": value,
                "bbox": list(vbox),
                "kind": "value",
                "style": style,
                "field": label.rstrip(":"),
            }
        )
        y += 120
    return img, lines


def make_sample_set(out: Path, style: str = "typed", pages: int = 2, seed: int = 1) -> Path:
    """Write OUT/truth.json + OUT/pages/NNNN.jpg in the synth format; returns OUT."""
    rng = random.Random(seed)
    (out / "pages").mkdir(parents=True, exist_ok=True)
    truth_pages = []
    for n in range(1, pages + 1):
        img, lines = render_page(style, rng)
        file = f"pages/{n:04d}.jpg"
        img.convert("RGB").save(out / file, quality=90, dpi=(200, 200))
        truth_pages.append(
            {"page": n, "file": file, "width": img.width, "height": img.height, "lines": lines}
        )
    truth = {
        "generator": "sohoa bench sample",
        "version": 1,
        "register": "khai-sinh",
        "layout": "block",
        "style": style,
        "seed": seed,
        "dpi": 200,
        "ledger": {},
        "pages": truth_pages,
        "records": [],
    }
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    return out
