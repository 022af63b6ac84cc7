"""Render the OCR test fixtures: Vietnamese lines in DejaVu fonts on a white page.

Run from the repository root: python3 tests/resources/ocr/make_fixtures.py
Writes page_vi.png (grey, 1240 x 1000, ~150 dpi) and page_vi.json (text + box per line).
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONTS = Path("/usr/share/fonts/truetype/dejavu")
LINES = [
    ("DejaVuSerif-Bold.ttf", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("DejaVuSerif.ttf", "Độc lập - Tự do - Hạnh phúc"),
    ("DejaVuSerif-Bold.ttf", "GIẤY KHAI SINH"),
    ("DejaVuSerif.ttf", "Họ, chữ đệm, tên: Nguyễn Thị Hương"),
    ("DejaVuSerif.ttf", "Ngày, tháng, năm sinh: 12/03/1985"),
    ("DejaVuSans.ttf", "Giới tính: Nữ    Dân tộc: Kinh"),
    ("DejaVuSans.ttf", "Nơi sinh: Trạm Y tế xã Phú Lộc, huyện Phú Vang"),
    ("DejaVuSans.ttf", "Quê quán: xã Hương Sơn, huyện Hương Khê"),
    ("DejaVuSerif.ttf", "Họ, chữ đệm, tên người mẹ: Trần Thị Lan"),
    ("DejaVuSerif.ttf", "Số định danh cá nhân: 046185001234"),
    ("DejaVuSans.ttf", "Quan hệ với người được khai sinh: cha"),
    ("DejaVuSans.ttf", "Người đi khai sinh: Nguyễn Văn Bình"),
]


def main() -> None:
    img = Image.new("L", (1240, 1000), 255)
    draw = ImageDraw.Draw(img)
    truth = []
    for i, (font_name, text) in enumerate(LINES):
        font = ImageFont.truetype(str(FONTS / font_name), 28)
        xy = (100, 60 + i * 72)
        draw.text(xy, text, font=font, fill=0)
        truth.append({"text": text, "bbox": list(draw.textbbox(xy, text, font=font))})
    img.save(HERE / "page_vi.png", optimize=True)
    (HERE / "page_vi.json").write_text(
        json.dumps(
            {"width": img.width, "height": img.height, "lines": truth}, ensure_ascii=False, indent=1
        )
        + "\n",
        "utf-8",
    )


if __name__ == "__main__":
    main()
