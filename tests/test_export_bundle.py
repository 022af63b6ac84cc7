"""Book zip: Excel + one correctly named PDF per record (+ cover), pages at about 100 kB."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pymupdf
import pytest
from PIL import Image
from test_export_support import RESOURCES, sample_ledger, sample_record, scan_page

from ocr_service.errors import BadInput
from ocr_service.export import images_to_pdf, read_ministry_xlsx, record_pdf, write_book_zip

MAX_BYTES_PER_PAGE = 200_000


@pytest.fixture(scope="module")
def pages() -> dict[int, bytes]:
    """Five scan-like pages: synthetic 200-dpi A4 (grey and colour) and two real scans."""
    return {
        1: scan_page(1),
        2: scan_page(2, colour=True),
        3: (RESOURCES / "lyon_page43_a4_150dpi.jpg").read_bytes(),
        4: (RESOURCES / "fran_spread_1600px.jpg").read_bytes(),
        5: scan_page(5),
    }


def _expected_name(n: int) -> str:
    # sample_record n: so n/2019, quyenSo 01/2019, ngayDangKy (n%28+1).(n%12+1).2019
    return f"KS.2019.01.2019-{n % 12 + 1:02d}-{n % 28 + 1:02d}.{n:03d}.pdf"


def test_book_zip_holds_one_named_pdf_per_record(pages: dict[int, bytes], tmp_path: Path) -> None:
    ledger = sample_ledger("khai-sinh", pages=5)
    records = [sample_record("khai-sinh", n, pages=[n]) for n in (1, 2, 3)]
    records.append(sample_record("khai-sinh", 4, pages=[4, 5]))  # a record over two pages
    loads: list[int] = []

    def load_page(n: int) -> bytes:
        loads.append(n)
        return pages[n]

    out = tmp_path / "book.zip"
    report = write_book_zip(ledger, iter(records), load_page, out, cover_image=scan_page(9))
    assert loads == [1, 2, 3, 4, 5]

    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        pdf_names = [_expected_name(n) for n in (1, 2, 3, 4)]
        cover = "Cover.xa_loc_thuan.KS.A4.2019.01.pdf"
        assert sorted(names) == sorted([*pdf_names, cover, "xalocthuan_hbd_tbt.KS.2019.01.xlsx"])
        assert report.pdf_names == pdf_names
        assert all("/" not in n for n in names)  # flat at the zip root
        for name, record in zip(pdf_names, records, strict=True):
            data = zf.read(name)
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                assert doc.page_count == len(record.pages)
                assert len(data) / doc.page_count <= MAX_BYTES_PER_PAGE
        with pymupdf.open(stream=zf.read(cover), filetype="pdf") as doc:
            assert doc.page_count == 1
        rows = read_ministry_xlsx(io.BytesIO(zf.read(report.excel_name)))
    # package-consistency: one row per PDF, and each name agrees with its row
    assert [r["so"] for r in rows] == [f"{n:02d}/2019" for n in (1, 2, 3, 4)]
    assert report.pdf_pages == 5


def test_a_record_that_cannot_be_named_stops_the_zip(
    pages: dict[int, bytes], tmp_path: Path
) -> None:
    bad = sample_record("khai-sinh", 2, pages=[1])
    del bad.fields["ngayDangKy"]
    out = tmp_path / "book.zip"
    with pytest.raises(BadInput, match=f"record {bad.id}: ngayDangKy missing"):
        write_book_zip(sample_ledger("khai-sinh"), [bad], pages.__getitem__, out)
    assert not out.exists()  # no half-written delivery left behind


def test_pdf_pages_stay_near_100_kb_and_keep_their_shape(pages: dict[int, bytes]) -> None:
    for n, data in pages.items():
        pdf = record_pdf([n], pages.__getitem__)
        with pymupdf.open(stream=pdf, filetype="pdf") as doc:
            page = doc[0]
            (xref, *_rest) = page.get_images(full=True)[0]
            info = doc.extract_image(xref)
            assert info["ext"] == "jpeg"
            assert len(pdf) <= MAX_BYTES_PER_PAGE
            drawn = page.get_image_rects(xref)[0]
            with Image.open(io.BytesIO(data)) as img:
                aspect = img.height / img.width
            assert abs(drawn.height / drawn.width - aspect) < 0.01  # never stretched
            if n == 4:  # the landscape spread is placed on a landscape page
                assert page.rect.width > page.rect.height
            else:
                assert (round(page.rect.width), round(page.rect.height)) == (595, 842)
            # greyscale scans stay single-channel (a third of the bytes), colour stays colour
            assert info["colorspace"] == (3 if n in (2, 4) else 1)  # 4: green cover


def test_damaged_page_image_is_bad_input() -> None:
    with pytest.raises(BadInput, match="page image cannot be read"):
        images_to_pdf([b"not an image"])
    with pytest.raises(BadInput, match="at least one page"):
        images_to_pdf([])
