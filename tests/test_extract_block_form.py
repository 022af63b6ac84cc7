"""Block-form pages (one record per page) built by hand with realistic OCR noise."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from models.book import BookMeta
from ocr_service.extract.containers import RecordDraft
from ocr_service.extract.layouts.block_form import read_block_form
from ocr_service.extract.records import extract_records
from ocr_service.ocr.containers import OcrLine, OcrPage

W, H = 1654, 2338


def ln(text: str, x0: int, y0: int, x1: int, conf: float = 0.93, h: int = 30) -> OcrLine:
    return OcrLine(text=text, confidence=conf, bbox=(x0, y0, x1, y0 + h))


def ledger(register: str) -> BookMeta:
    return BookMeta(
        register,
        commune="Xã An Nhơn",
        book="01/2019",
        year=2019,
        authority="UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng",
    )


def khai_sinh_page() -> OcrPage:
    lines = [
        ln("SO DANG KY KHAI SINH", 600, 40, 1100),
        # Header read as one line, accents dropped, 'Số' misread as 'S6'.
        ln(
            "S6: 15/2019   Quyen so: 01/2019   Ngay, thang, nam dang ky: 05/03/2019", 100, 130, 1450
        ),
        ln("Ho, chu dem, ten: Nguyễn Thị Thu Hương", 100, 250, 900),
        ln("X Đúng hạn", 1190, 250, 1380),
        ln("Ngày, tháng, năm sinh: 01/02/2019", 100, 320, 600),
        ln("ghi bằng chữ: ngày mồng một tháng hai năm", 620, 320, 1150),
        ln("☐ Quá hạn", 1190, 320, 1360),
        # The words wrap onto the next line.
        ln("hai nghìn không trăm mười chín", 100, 385, 600),
        ln("☐ Đăng ký lại", 1190, 385, 1400),
        # Three labels merged into one OCR line.
        ln("Giới tính: Nữ    Dân tộc: Kinh    Quốc tịch: Việt Nam", 100, 450, 1000, 0.88),
        ln("☐ Ghi vào sổ", 1190, 450, 1400),
        ln("Nơi sinh: Bệnh viện Đa khoa tỉnh Lâm Đồng,", 100, 520, 1000),
        ln("Ghi chú:", 1170, 555, 1300),
        ln("phường 2, thành phố Bảo Lộc", 100, 585, 700),
        ln("Quê quán: xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng", 100, 650, 1000),
        ln("Họ, chữ đệm, tên người mẹ: Lê Thị Hoa", 100, 720, 900),
        # Mother's row: labels and values as separate boxes.
        ln("Năm sinh:", 100, 790, 240),
        ln("1990", 260, 790, 330, 0.81),
        ln("Dân tộc:", 460, 790, 570),
        ln("Tày", 590, 790, 650),
        ln("Quốc tịch:", 800, 790, 935),
        ln("Việt Nam", 950, 790, 1080),
        ln("Nơi cư trú: thường trú tại thôn 3, xã An Nhơn, huyện Đạ Tẻh", 100, 860, 1000),
        ln("Họ, chữ đệm, tên người cha: Nguyễn Văn Nam", 100, 1000, 900),
        # Father's row without accents.
        ln("Nam sinh: 1988   Dan toc: Nung   Quoc tich: Viet Nam", 100, 1065, 1000, 0.7),
        ln("Trang số", 730, 2200, 850),
        ln("15", 866, 2200, 900),
    ]
    return OcrPage(W, H, lines, "test")


def _values(rec: RecordDraft) -> dict[str, str | None]:
    return {code: f.value for code, f in rec.fields.items()}


def test_khai_sinh_page_with_ocr_noise() -> None:
    (rec,) = extract_records(
        "khai-sinh", "block_form", [(3, khai_sinh_page())], ledger("khai-sinh")
    )
    v = _values(rec)
    assert v["so"] == "15/2019"
    assert v["quyenSo"] == "01/2019"
    assert v["ngayDangKy"] == "05.03.2019"
    assert v["nksHoTen"] == "Nguyễn Thị Thu Hương"
    assert v["nksNgaySinh"] == "01.02.2019"
    assert rec.fields["nksNgaySinhBangChu"].raw == (
        "ngày mồng một tháng hai năm hai nghìn không trăm mười chín"
    )
    assert (v["nksGioiTinh"], v["nksDanToc"], v["nksQuocTich"]) == ("Nữ", "Kinh", "Việt Nam")
    assert v["nksNoiSinh"] == "Bệnh viện Đa khoa tỉnh Lâm Đồng, phường 2, thành phố Bảo Lộc"
    # Same printed labels in the mother's and the father's sections go to their own fields.
    assert (v["meNgaySinh"], v["meDanToc"], v["meQuocTich"]) == ("1990", "Tày", "Việt Nam")
    assert (v["chaNgaySinh"], v["chaDanToc"], v["chaQuocTich"]) == ("1988", "Nùng", "Việt Nam")
    assert v["loaiDangKy"] == "Đăng kí đúng hạn"
    assert v["trangSo"] == "15"
    # Derived and book fields.
    assert v["meLoaiCuTru"] == "Thường trú"
    assert v["nksNoiSinhDVHC"] == "tỉnh Lâm Đồng"
    assert v["nksLoaiKhaiSinh"] == "Đã xác định được cả cha lẫn mẹ"
    assert v["noiDangKy"] == "UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng"
    assert rec.fields["noiDangKy"].source == "book"
    assert rec.fields["nksLoaiKhaiSinh"].source == "derived"
    # The date in words agrees with the numeric date: no warning on a clean page.
    assert rec.warnings == []


def test_value_boxes_sit_right_of_their_label_inside_the_line() -> None:
    rec = read_block_form("khai-sinh", 1, khai_sinh_page())
    gender = rec.fields["nksGioiTinh"].bbox
    ethnicity = rec.fields["nksDanToc"].bbox
    assert gender is not None and ethnicity is not None
    # 'Giới tính: Nữ    Dân tộc: Kinh …' is one box 100..1000: values cut out of it.
    assert 100 < gender[0] < gender[2] < ethnicity[0] < ethnicity[2] < 1000
    assert gender[1] == 450
    assert rec.fields["nksDanToc"].raw == "Kinh"
    # A value on two lines covers both.
    place = rec.fields["nksNoiSinh"].bbox
    assert place is not None and place[1] == 520 and place[3] == 615


def test_tick_box_read_from_ink_when_no_mark_is_read() -> None:
    page = khai_sinh_page()
    # OCR saw no tick marks at all …
    for line in page.lines:
        for mark in ("X ", "☐ "):
            line.text = line.text.replace(mark, "")
    image = np.full((H, W), 250, np.uint8)
    # … but the page has four printed boxes left of the labels, the 'Quá hạn' one crossed.
    for y0 in (250, 320, 385, 450):
        cv2.rectangle(image, (1150, y0), (1180, y0 + 30), 30, 2)
    cv2.line(image, (1152, 322), (1178, 348), 20, 3)
    cv2.line(image, (1178, 322), (1152, 348), 20, 3)
    for line in page.lines:
        if line.bbox[0] == 1190:
            line.bbox = (1195, line.bbox[1], line.bbox[2], line.bbox[3])
    no_image = read_block_form("khai-sinh", 1, page)
    with_image = read_block_form("khai-sinh", 1, page, image)
    assert no_image.fields["loaiDangKy"].value == "Không xác định"  # §6.8: none ticked → 6
    assert no_image.fields["loaiDangKy"].issues == ["no-box-ticked"]
    assert with_image.fields["loaiDangKy"].value == "Đăng kí quá hạn"
    assert with_image.fields["loaiDangKy"].bbox is not None


def test_two_ticked_boxes_go_to_the_clerk() -> None:
    page = khai_sinh_page()
    for line in page.lines:
        if line.text == "☐ Quá hạn":
            line.text = "☒ Quá hạn"
    rec = read_block_form("khai-sinh", 1, page)
    f = rec.fields["loaiDangKy"]
    assert f.value is None
    assert f.issues == ["several-ticked"]
    assert set(f.candidates) == {"Đăng kí đúng hạn", "Đăng kí quá hạn"}


def khai_tu_page(words: str = "ngày năm tháng ba năm hai nghìn không trăm mười chín") -> OcrPage:
    lines = [
        ln("Số: 07/2019", 100, 130, 300),
        ln("Quyển số: 01/2019", 420, 130, 700),
        ln("Ngày, tháng, năm đăng ký: 10/03/2019", 800, 130, 1350),
        ln("Họ, chữ đệm, tên (người chết): Trần Văn Bảy", 100, 250, 900),
        ln("Đúng hạn", 1230, 250, 1360),
        ln("Ngay, thang, nam sinh: 1940   Gioi tinh: Nam", 100, 320, 900, 0.75),
        ln("☒ Quá hạn", 1190, 320, 1360),
        ln("Dân tộc: Kinh", 100, 385, 400),
        ln("Quốc tịch: Việt Nam", 630, 385, 950),
        ln("Giấy tờ tùy thân: CMND số 250123456", 100, 450, 800),
        ln("cấp ngày: 01/02/2010   nơi cấp: Công an tỉnh Lâm Đồng", 100, 515, 900),
        ln("Nơi cư trú cuối cùng: thôn 2, xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng", 100, 585, 1100),
        ln("Đã chết vào lúc: 10 giờ 30 phút, ngày 05 tháng 3 năm 2019", 100, 650, 1000),
        ln(f"ghi bằng chữ: {words}", 100, 720, 1100),
        ln("Nơi chết: tại nhà, thôn 2, xã An Nhơn", 100, 790, 800),
        ln("Nguyên nhân chết: Già yếu", 100, 855, 600),
        ln("Giấy báo tử số: 12/GBT ngày 06/03/2019 của UBND xã An Nhơn", 100, 925, 1000),
        ln("Họ, chữ đệm, tên người đi khai tử: Trần Văn Tám", 100, 1060, 900),
        ln("Quan hệ với người chết: con", 100, 1130, 600),
        ln("Người thực hiện", 160, 1820, 400),
        ln("Người đi khai tử", 500, 1820, 750),
        ln("(ký, ghi rõ họ tên)", 490, 1858, 760),
        ln("Người ký Trích lục khai tử", 780, 1830, 1090),
        ln("Chức vụ: Chủ tịch", 790, 1865, 1030),
        ln("Lê Văn Hùng", 170, 2090, 380),
        ln("Trần Văn Tám", 500, 2090, 700),
        ln("Phạm Thị Mai", 810, 2090, 1050),
    ]
    return OcrPage(W, H, lines, "test")


def test_khai_tu_composite_values_are_split() -> None:
    (rec,) = extract_records("khai-tu", "block_form", [(1, khai_tu_page())], ledger("khai-tu"))
    v = _values(rec)
    assert v["nktHoTen"] == "Trần Văn Bảy"
    assert (v["nktNgaySinh"], v["nktGioiTinh"]) == ("1940", "Nam")
    assert v["nktGioPhutChet"] == "10:30"
    assert v["nktNgayChet"] == "05.03.2019"
    assert v["nktSoGiayToTuyThan"] == "250123456"
    assert v["nktNgayCapGiayToTuyThan"] == "01.02.2010"
    assert v["nktNoiCapGiayToTuyThan"] == "Công an tỉnh Lâm Đồng"
    assert v["nktLoaiGiayToTuyThan"] == "Giấy CMND"
    assert (v["gbtSo"], v["gbtNgay"]) == ("12/GBT", "06.03.2019")
    assert v["gbtCoQuanCap"] == "UBND xã An Nhơn"
    assert v["loaiDangKy"] == "Đăng ký quá hạn"
    # Signature block: each name under its own caption, the declarant's signature ignored.
    assert v["nguoiThucHien"] == "Lê Văn Hùng"
    assert v["nguoiKy"] == "Phạm Thị Mai"
    assert v["chucVuNguoiKy"] == "Chủ tịch"
    assert v["nycHoTen"] == "Trần Văn Tám"
    assert not [w for w in rec.warnings if w.rule == "date-words-mismatch"]


def test_khai_tu_date_in_words_disagreeing_is_flagged_not_changed() -> None:
    page = khai_tu_page("ngày sáu tháng ba năm hai nghìn không trăm mười chín")
    (rec,) = extract_records("khai-tu", "block_form", [(1, page)], ledger("khai-tu"))
    assert rec.fields["nktNgayChet"].value == "05.03.2019"
    flagged = [w for w in rec.warnings if w.rule == "date-words-mismatch"]
    assert [w.field for w in flagged] == ["nktNgayChetGhiBangChu"]
    assert "không khớp" in flagged[0].message


def ket_hon_page() -> OcrPage:
    lines = [
        ln("Số: 03/2019   Quyển số: 01/2019", 100, 130, 700),
        ln("Ngày, tháng, năm đăng ký: 12/01/2019", 800, 130, 1350),
        ln("Họ, chữ đệm, tên (chồng): Nguyễn Văn An", 100, 250, 900),
        ln("Đăng ký lại", 1230, 250, 1380),
        ln("Ngày, tháng, năm sinh: 02/05/1992", 100, 320, 700),
        ln("Dân tộc: Kinh", 100, 385, 400),
        ln("Quốc tịch: Việt Nam", 630, 385, 950),
        ln("Nơi cư trú: thôn 1, xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng", 100, 450, 1000),
        ln("Giấy tờ tùy thân: Căn cước công dân số: 068092001234", 100, 520, 1000),
        ln("Họ, chữ đệm, tên (vợ): Ka Thị Lan", 100, 660, 900),
        ln("Ngày, tháng, năm sinh: 1996", 100, 730, 700),
        ln("Dân tộc: Cơ Ho", 100, 795, 400),
        ln("Quốc tịch: Việt Nam", 630, 795, 950),
        ln("Nơi cư trú: thôn 4, xã Đạ Kho, huyện Đạ Tẻh, tỉnh Lâm Đồng", 100, 865, 1000),
        ln("Chữ ký của chồng", 110, 1830, 350),
        ln("Chữ ký của vợ", 390, 1830, 600),
        ln("Người thực hiện", 630, 1830, 870),
        ln("Người ký Giấy", 900, 1830, 1110),
        ln("chứng nhận kết hôn", 870, 1870, 1100),
        ln("Chức vụ: Phó Chủ tịch", 880, 1905, 1150),
        ln("Nguyễn Văn An", 120, 2100, 350),
        ln("Ka Thị Lan", 380, 2100, 600),
        ln("Lê Văn Hùng", 640, 2100, 860),
        ln("Phạm Thị Mai", 900, 2100, 1110),
    ]
    return OcrPage(W, H, lines, "test")


def test_ket_hon_sections_and_signatures() -> None:
    (rec,) = extract_records("ket-hon", "block_form", [(2, ket_hon_page())], ledger("ket-hon"))
    v = _values(rec)
    assert (v["chongHoTen"], v["voHoTen"]) == ("Nguyễn Văn An", "Ka Thị Lan")
    assert (v["chongNgaySinh"], v["voNgaySinh"]) == ("02.05.1992", "1996")
    assert (v["chongDanToc"], v["voDanToc"]) == ("Kinh", "Cơ-ho")
    assert v["chongNoiCuTru"] == "thôn 1, xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng"
    assert v["voNoiCuTru"] == "thôn 4, xã Đạ Kho, huyện Đạ Tẻh, tỉnh Lâm Đồng"
    assert v["chongSoGiayToTuyThan"] == "068092001234"
    assert v["chongLoaiGiayToTuyThan"] == "Thẻ căn cước công dân"
    # No box ticked on a marriage page: first registration (REGISTERS.md §6.8).
    assert v["loaiDangKy"] == "Đăng ký lần đầu"
    assert rec.fields["loaiDangKy"].source == "derived"
    assert (v["nguoiThucHien"], v["nguoiKy"], v["chucVuNguoiKy"]) == (
        "Lê Văn Hùng",
        "Phạm Thị Mai",
        "Phó Chủ tịch",
    )
    assert "ngayXacLapQuanHeHonNhan" not in rec.fields  # not on the page: never copied


def test_blank_page_gives_no_record() -> None:
    blank = OcrPage(W, H, [ln("  ", 100, 100, 200)], "test")
    assert extract_records("khai-sinh", "block_form", [(9, blank)], ledger("khai-sinh")) == []


def test_death_notice_number_when_its_label_took_the_word_so() -> None:
    # Another label font: 'Giấy' read 'Giấn'. The fuzzy match of 'Giấy báo tử' then needs the
    # colon after it and takes 'số' into the label: the value opens with the number.
    page = khai_tu_page()
    page.lines = [
        dataclasses.replace(line, text="Giấn báo tử số: 12/GBT ngày: 06/03/2019")
        if "báo tử" in line.text
        else line
        for line in page.lines
    ]
    (rec,) = extract_records("khai-tu", "block_form", [(1, page)], ledger("khai-tu"))
    v = _values(rec)
    assert (v["gbtSo"], v["gbtNgay"]) == ("12/GBT", "06.03.2019")


def test_death_notice_date_after_a_misread_ngay() -> None:
    # 'ngày:' read 'ngàn:' in a label font the recogniser rarely saw: the date still splits off.
    page = khai_tu_page()
    page.lines = [
        dataclasses.replace(
            line, text="Giấy báo tử số: 12/GBT ngàn: 06/03/2019 của UBND xã An Nhơn"
        )
        if "báo tử" in line.text
        else line
        for line in page.lines
    ]
    (rec,) = extract_records("khai-tu", "block_form", [(1, page)], ledger("khai-tu"))
    v = _values(rec)
    assert (v["gbtSo"], v["gbtNgay"], v["gbtCoQuanCap"]) == (
        "12/GBT",
        "06.03.2019",
        "UBND xã An Nhơn",
    )


def test_look_alike_labels_follow_the_printed_order() -> None:
    # 'Nai sinh' is one letter from 'Nơi sinh' and from 'Năm sinh', and so is 'Nơm sinh'. Taking
    # the mother's 'Năm sinh' for the child's place of birth pushed every repeated label after
    # it one person down (the mother's year of birth went to the father).
    page = khai_sinh_page()
    swaps = {"Nơi sinh:": "Nai sinh:", "Năm sinh:": "Nơm sinh:"}
    for k, line in enumerate(page.lines):
        for printed, read in swaps.items():
            if line.text.startswith(printed):
                page.lines[k] = dataclasses.replace(line, text=line.text.replace(printed, read))
    assert [ln.text[:8] for ln in page.lines].count("Nai sinh") == 1
    assert [ln.text[:8] for ln in page.lines].count("Nơm sinh") == 1
    (rec,) = extract_records("khai-sinh", "block_form", [(1, page)], ledger("khai-sinh"))
    v = _values(rec)
    assert (v["nksNoiSinh"] or "").startswith("Bệnh viện Đa khoa tỉnh Lâm Đồng")
    assert (v["meNgaySinh"], v["chaNgaySinh"]) == ("1990", "1988")
