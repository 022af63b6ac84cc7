"""Build the small ingest fixtures in this folder (run once; the outputs are committed).

Every file is made here from scratch with Pillow and PyMuPDF, so their provenance is this script.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw

HERE = Path(__file__).parent


def page_image(w: int = 620, h: int = 877, text: str = "Sổ đăng ký khai sinh") -> Image.Image:
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    d.rectangle([20, 20, w - 20, h - 20], outline="black", width=3)
    d.text((40, 40), text, fill="black")
    d.rectangle([40, 80, 200, 120], fill="black")  # a mark to tell up from down
    return im


def scanned_pdf(pages: int) -> bytes:
    doc = pymupdf.open()
    for i in range(pages):
        buf = io.BytesIO()
        page_image(text=f"page {i + 1}").save(buf, "JPEG", quality=70)
        page = doc.new_page(width=595, height=842)
        page.insert_image(page.rect, stream=buf.getvalue())
    return doc.tobytes(garbage=3, deflate=True)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares a huge size; the pixel data is a token few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def main() -> None:
    # valid odd input
    page_image().convert("CMYK").save(HERE / "cmyk.jpg", "JPEG", quality=80)
    im = page_image()
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display": stored sideways, shown upright
    im.transpose(Image.Transpose.ROTATE_90).save(HERE / "exif-rotated.jpg", "JPEG", exif=exif)
    grey16 = Image.new("I;16", (400, 300))
    grey16.paste(40000, (50, 50, 350, 250))
    grey16.save(HERE / "grey16.png")
    frames = [page_image(text=f"trang {i + 1}").convert("L") for i in range(3)]
    frames[0].save(
        HERE / "three-pages.tif", save_all=True, append_images=frames[1:], compression="tiff_lzw"
    )
    page_image().convert("P", palette=Image.Palette.ADAPTIVE).save(HERE / "palette.png")
    (HERE / "scanned-4.pdf").write_bytes(scanned_pdf(4))
    data = scanned_pdf(2)
    (HERE / "broken-xref.pdf").write_bytes(data.replace(b"startxref", b"startxrfe"))
    # bad input
    (HERE / "truncated.pdf").write_bytes(scanned_pdf(3)[: len(scanned_pdf(3)) // 2])
    doc = pymupdf.open(stream=scanned_pdf(1), filetype="pdf")
    (HERE / "encrypted.pdf").write_bytes(
        doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    )
    (HERE / "text-renamed.pdf").write_text("Danh sách hộ tịch\nkhông phải PDF\n", encoding="utf-8")
    (HERE / "svg-renamed.png").write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10"/></svg>\n',
        encoding="utf-8",
    )
    (HERE / "huge-60000.png").write_bytes(png_header_only(60000, 60000))
    (HERE / "empty.pdf").write_bytes(b"")


if __name__ == "__main__":
    main()
