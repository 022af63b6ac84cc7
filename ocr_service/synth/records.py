"""Coherent record values (export value + printed text) for each register type."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ocr_service.synth import dates as dt
from ocr_service.synth.names import make_name, pick_surname
from ocr_service.synth.places import Ward, hamlet, neighbour_wards, pick_commune, province_wards
from ocr_service.synth.spec import ethnic_names, field_enum


@dataclass
class Value:
    """One field: `value` in export normal form, `text` as printed (None: not printed)."""

    value: str
    text: str | None
    code: str | None = None


Record = dict[str, Value]


@dataclass
class Book:
    """Book-level facts shared by every record."""

    register: str
    commune: Ward
    year: int
    quyen: str
    noi_dang_ky: str
    signers: list[tuple[str, str]]
    officer: str
    so_with_year: bool
    records: list[Record] = field(default_factory=list)


def make_book(rng: random.Random, register: str, year: int) -> Book:
    commune = pick_commune(rng)
    unit = commune.lower(commune.ward)
    signers = [
        (make_name(rng, rng.random() < 0.8), "Chủ tịch"),
        (make_name(rng, rng.random() < 0.7), "Phó Chủ tịch"),
    ]
    return Book(
        register=register,
        commune=commune,
        year=year,
        quyen=f"{rng.choice((1, 1, 1, 2)):02d}/{year}",
        noi_dang_ky=f"UBND {unit}, {commune.lower(commune.district)}, "
        f"{commune.lower(commune.province)}",
        signers=signers,
        officer=make_name(rng, rng.random() < 0.4),
        so_with_year=rng.random() < 0.6,
    )


def _ethnicity(rng: random.Random) -> str:
    """Mostly Kinh; about 14 % other groups, weighted towards the large ones."""
    names = ethnic_names()
    if rng.random() < 0.86:
        return names[0]
    idx = min(int(rng.expovariate(0.12)) + 1, len(names) - 1)
    return names[idx]


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    span = (end - start).days
    return start + timedelta(days=rng.randint(0, max(span, 0)))


def _partial_birth(rng: random.Random, d: date, year_only_share: float) -> Value:
    """Parents' birth dates: often only the year ('Năm sinh: 1987')."""
    if rng.random() < year_only_share:
        return Value(str(d.year), str(d.year))
    return Value(dt.export_date(d), dt.printed_date(rng, d))


def _residence(rng: random.Random, home: Ward, *, same_place: bool = True) -> Value:
    pool = neighbour_wards(home) if same_place else province_wards(home)
    w = home if rng.random() < 0.7 else rng.choice(pool)
    text = f"{hamlet(rng, w)}, {w.address()}" if rng.random() < 0.6 else w.address()
    return Value(text, text)


def _id_document(rng: random.Random, born: date, at: date, prefix: str, rec: Record) -> None:
    """CCCD (12 digits, from 2016) or CMND (9 digits); issue date between 14th birthday and `at`."""
    use_cccd = at.year >= 2016 and rng.random() < min(0.95, 0.3 + 0.12 * (at.year - 2016))
    code = "4" if use_cccd else "1"
    label = field_enum("loaiGiayToTuyThan")[code]
    printed = (
        rng.choice(("CCCD", "Căn cước công dân"))
        if use_cccd
        else rng.choice(("CMND", "Chứng minh nhân dân"))
    )
    if use_cccd:
        century = 0 if born.year < 2000 else 2
        number = f"0{rng.randint(1, 96):02d}{century + rng.randint(0, 1)}{born.year % 100:02d}"
        number += f"{rng.randint(0, 999999):06d}"
        issued_from = max(date(2016, 1, 1), date(born.year + 14, 1, 1))
        authority = rng.choice(("Cục Cảnh sát QLHC về TTXH", "Cục CS QLHC về TTXH", "Bộ Công an"))
    else:
        number = f"{rng.randint(0, 399999999):09d}"
        # CMND cards exist from 1976; nobody gets one before 14.
        issued_from = max(date(1980, 1, 1), date(born.year + 14, 1, 1))
        authority = "Công an tỉnh " + rng.choice(("Nghệ An", "Thanh Hóa", "Bình Định", "Hà Tĩnh"))
    issued_from = min(issued_from, at - timedelta(days=30))
    issued = _rand_date(rng, issued_from, at - timedelta(days=1))
    rec[prefix + "LoaiGiayToTuyThan"] = Value(label, printed)
    rec[prefix + "SoGiayToTuyThan"] = Value(number, number)
    rec[prefix + "NgayCapGiayToTuyThan"] = Value(
        dt.export_date(issued), dt.printed_date(rng, issued)
    )
    rec[prefix + "NoiCapGiayToTuyThan"] = Value(authority, authority)


def _registration(rng: random.Random, book: Book, reg: date, rec: Record) -> None:
    signer, role = book.signers[0] if rng.random() < 0.75 else book.signers[1]
    rec["ngayDangKy"] = Value(dt.export_date(reg), dt.printed_date(rng, reg))
    rec["noiDangKy"] = Value(book.noi_dang_ky, None)
    rec["nguoiKy"] = Value(signer, signer)
    rec["chucVuNguoiKy"] = Value(role, role)
    rec["nguoiThucHien"] = Value(book.officer, book.officer)


def _person(
    rng: random.Random,
    prefix: str,
    male: bool,
    born: date,
    rec: Record,
    *,
    surname: str | None = None,
    year_only: float = 0.0,
) -> str:
    name = make_name(rng, male, surname)
    rec[prefix + "HoTen"] = Value(name, name)
    rec[prefix + "NgaySinh"] = _partial_birth(rng, born, year_only)
    eth = _ethnicity(rng)
    rec[prefix + "DanToc"] = Value(eth, eth)
    rec[prefix + "QuocTich"] = Value("Việt Nam", "Việt Nam")
    return name


def _loai_cu_tru(rec: Record, key: str) -> None:
    """Residences are written without 'thường trú' / 'tạm trú', so the derived type is 0."""
    rec[key + "LoaiCuTru"] = Value(field_enum("loaiCuTru")["0"], None)


def record_khai_sinh(rng: random.Random, book: Book, reg: date) -> Record:
    rec: Record = {}
    _registration(rng, book, reg, rec)
    late = rng.random() < 0.12
    born = reg - timedelta(days=rng.randint(61, 900) if late else rng.randint(1, 59))
    loai = "4" if late else "1"
    if rng.random() < 0.04:
        loai, born = "2", reg - timedelta(days=rng.randint(2000, 9000))
    rec["loaiDangKy"] = Value(field_enum("loaiDangKy_KS")[loai], None, loai)
    male = rng.random() < 0.51
    father_sur = pick_surname(rng)
    child = make_name(rng, male, father_sur)
    rec["nksHoTen"] = Value(child, child)
    sex = "Nam" if male else "Nữ"
    rec["nksGioiTinh"] = Value(sex, sex)
    rec["nksNgaySinh"] = Value(dt.export_date(born), dt.printed_date(rng, born))
    words = dt.date_words(born, rng)
    rec["nksNgaySinhBangChu"] = Value(dt.title_case(words), words)
    home = book.commune
    if rng.random() < 0.6:
        place = f"Trạm y tế {home.address()}"
    elif rng.random() < 0.6:
        place = f"Bệnh viện đa khoa {home.lower(home.province)}"
    else:
        place = f"Trung tâm y tế {home.lower(home.district)}"
    rec["nksNoiSinh"] = Value(place, place)
    rec["nksNoiSinhDVHC"] = Value(home.lower(home.province), None)
    origin = rng.choice(province_wards(home)) if rng.random() < 0.3 else home
    rec["nksQueQuan"] = Value(origin.address(), origin.address())
    mother_age = rng.randint(18, 42)
    father_age = min(mother_age + rng.randint(-2, 8), 45)
    father_age = max(father_age, 20)
    mother_born = _rand_date(
        rng,
        date(born.year - mother_age - 1, born.month, 1),
        date(born.year - mother_age, born.month, 1),
    )
    father_born = _rand_date(
        rng,
        date(born.year - father_age - 1, born.month, 1),
        date(born.year - father_age, born.month, 1),
    )
    eth = _ethnicity(rng)
    rec["nksDanToc"] = Value(eth, eth)
    rec["nksQuocTich"] = Value("Việt Nam", "Việt Nam")
    pid = f"0{rng.randint(1, 96):02d}{2 + (0 if male else 1)}{born.year % 100:02d}"
    pid += f"{rng.randint(0, 999999):06d}"
    rec["nksSoDinhDanh"] = Value(pid, pid)
    has_father = rng.random() < 0.94
    rec["nksLoaiKhaiSinh"] = Value(field_enum("loaiKhaiSinh")["1" if has_father else "3"], None)
    mother = _person(rng, "me", False, mother_born, rec, year_only=0.5)
    rec["meDanToc"] = Value(eth, eth) if rng.random() < 0.9 else rec["meDanToc"]
    rec["meNoiCuTru"] = _residence(rng, home)
    _loai_cu_tru(rec, "me")
    _id_document(rng, mother_born, reg, "me", rec)
    if has_father:
        father = _person(rng, "cha", True, father_born, rec, surname=father_sur, year_only=0.5)
        rec["chaDanToc"] = Value(eth, eth) if rng.random() < 0.9 else rec["chaDanToc"]
        rec["chaNoiCuTru"] = Value(rec["meNoiCuTru"].value, rec["meNoiCuTru"].text)
        _loai_cu_tru(rec, "cha")
        _id_document(rng, father_born, reg, "cha", rec)
    else:
        father = ""
    if has_father and rng.random() < 0.55:
        decl, rel, decl_born = father, rng.choice(("Cha", "cha", "Bố đẻ", "Cha đẻ")), father_born
    elif rng.random() < 0.7:
        decl, rel, decl_born = mother, rng.choice(("Mẹ", "mẹ", "Mẹ đẻ")), mother_born
    else:
        grand_male = rng.random() < 0.5
        decl = make_name(rng, grand_male)
        rel = "Ông nội" if grand_male else "Bà nội"
        decl_born = date(mother_born.year - 25, 6, 1)
    rec["nycHoTen"] = Value(decl, decl)
    rec["nycQuanHe"] = Value(rel, rel)
    _id_document(rng, decl_born, reg, "nyc", rec)
    _maybe_note(rng, rec, reg)
    return rec


CAUSES = ("Già yếu", "Bệnh tuổi già", "Ung thư phổi", "Tai biến mạch máu não", "Suy tim",
          "Tai nạn giao thông", "Bệnh hiểm nghèo", "Xơ gan", "Đột quỵ", "Suy hô hấp")  # fmt: skip


def record_khai_tu(rng: random.Random, book: Book, reg: date) -> Record:
    rec: Record = {}
    _registration(rng, book, reg, rec)
    late = rng.random() < 0.1
    died = reg - timedelta(days=rng.randint(16, 400) if late else rng.randint(0, 14))
    loai = "4" if late else "1"
    rec["loaiDangKy"] = Value(field_enum("loaiDangKy_KT")[loai], None, loai)
    age = rng.choice((rng.randint(1, 60), rng.randint(55, 98), rng.randint(60, 95)))
    born = _rand_date(rng, date(died.year - age - 1, 1, 1), date(died.year - age, 1, 1))
    male = rng.random() < 0.52
    _person(rng, "nkt", male, born, rec, year_only=0.25)
    sex = "Nam" if male else "Nữ"
    rec["nktGioiTinh"] = Value(sex, sex)
    home = book.commune
    rec["nktNoiCuTru"] = _residence(rng, home)
    _loai_cu_tru(rec, "nkt")
    if age >= 14:
        _id_document(rng, born, died, "nkt", rec)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    rec["nktGioPhutChet"] = Value(f"{hh:02d}:{mm:02d}", f"{hh:02d} giờ {mm:02d} phút")
    rec["nktNgayChet"] = Value(dt.export_date(died), dt.printed_date(rng, died))
    words = dt.date_words(died, rng)
    rec["nktNgayChetGhiBangChu"] = Value(dt.title_case(words), words)
    at_home = rng.random() < 0.7
    place = (
        f"Tại nhà, {rec['nktNoiCuTru'].value}"
        if at_home
        else f"Bệnh viện đa khoa {home.lower(home.province)}"
    )
    rec["nktNoiChet"] = Value(place, place)
    cause = rng.choice(CAUSES)
    rec["nktNguyenNhanChet"] = Value(cause, cause)
    rec["gbtLoai"] = Value(field_enum("gbtLoai")["1"], None)
    gbt_no = f"{rng.randint(1, 250):02d}/GBT"
    rec["gbtSo"] = Value(gbt_no, gbt_no)
    gbt_day = min(reg, died + timedelta(days=rng.randint(0, 3)))
    rec["gbtNgay"] = Value(dt.export_date(gbt_day), dt.printed_date(rng, gbt_day))
    issuer = (
        f"UBND {home.lower(home.ward)}"
        if at_home
        else f"Bệnh viện đa khoa {home.lower(home.province)}"
    )
    rec["gbtCoQuanCap"] = Value(issuer, issuer)
    decl_male = rng.random() < 0.6
    decl_born = _rand_date(
        rng,
        date(max(born.year + 18, died.year - 70), 1, 1),
        date(max(born.year + 19, died.year - 20), 1, 1),
    )
    decl = make_name(rng, decl_male)
    rel = rng.choice(("Con", "con", "Con trai", "Con gái", "Vợ", "Chồng", "Cháu", "Em"))
    rec["nycHoTen"] = Value(decl, decl)
    rec["nycQuanHe"] = Value(rel, rel)
    _id_document(rng, decl_born, reg, "nyc", rec)
    _maybe_note(rng, rec, reg)
    return rec


def record_ket_hon(rng: random.Random, book: Book, reg: date) -> Record:
    rec: Record = {}
    _registration(rng, book, reg, rec)
    again = rng.random() < 0.05
    loai = "2" if again else "1"
    rec["loaiDangKy"] = Value(field_enum("loaiDangKy_KH")[loai], None, loai)
    home = book.commune
    h_age, w_age = rng.randint(21, 38), rng.randint(18, 34)
    h_born = _rand_date(rng, date(reg.year - h_age - 1, reg.month, 1), date(reg.year - h_age, 1, 1))
    w_born = _rand_date(rng, date(reg.year - w_age - 1, reg.month, 1), date(reg.year - w_age, 1, 1))
    for prefix, male, born in (("chong", True, h_born), ("vo", False, w_born)):
        _person(rng, prefix, male, born, rec)
        rec[prefix + "NoiCuTru"] = _residence(rng, home, same_place=False)
        _loai_cu_tru(rec, prefix)
        _id_document(rng, born, reg, prefix, rec)
    if again:
        est = _rand_date(rng, reg - timedelta(days=3000), reg - timedelta(days=400))
        rec["ngayXacLapQuanHeHonNhan"] = Value(dt.export_date(est), dt.printed_date(rng, est))
    _maybe_note(rng, rec, reg)
    return rec


def record_nhan_cha_me_con(rng: random.Random, book: Book, reg: date) -> Record:
    rec: Record = {}
    _registration(rng, book, reg, rec)
    rec["loaiDangKy"] = Value(field_enum("loaiDangKy_CMC")["1"], None, "1")
    kind = rng.choice(("1", "1", "2", "3"))
    rec["loaiXacNhan"] = Value(field_enum("loaiXacNhan")[kind], None)
    home = book.commune
    parent_male = kind in ("1", "3")
    child_age = rng.randint(0, 12)
    child_born = _rand_date(rng, date(reg.year - child_age - 1, 1, 1), reg - timedelta(days=30))
    p_age = rng.randint(22, 40)
    p_born = _rand_date(
        rng, date(child_born.year - p_age - 1, 1, 1), date(child_born.year - p_age, 1, 1)
    )
    surname = pick_surname(rng)
    parent = _person(rng, "cm", parent_male, p_born, rec, surname=surname)
    rec["cmNoiCuTru"] = _residence(rng, home)
    _loai_cu_tru(rec, "cm")
    _id_document(rng, p_born, reg, "cm", rec)
    _person(
        rng, "nc", rng.random() < 0.5, child_born, rec, surname=surname if parent_male else None
    )
    rec["ncNoiCuTru"] = Value(rec["cmNoiCuTru"].value, rec["cmNoiCuTru"].text)
    _loai_cu_tru(rec, "nc")
    rec["nycHoTen"] = Value(parent, parent)
    rec["nycQHNguoiDuocNhan"] = Value(
        "Cha" if parent_male else "Mẹ", "Cha" if parent_male else "Mẹ"
    )
    rec["nycQHNguoiNhan"] = Value("Bản thân", "Bản thân")
    qd = f"{rng.randint(1, 300)}"
    rec["quyetDinhSo"] = Value(qd, qd)
    _maybe_note(rng, rec, reg)
    return rec


def record_xac_nhan_hon_nhan(rng: random.Random, book: Book, reg: date) -> Record:
    rec: Record = {}
    _registration(rng, book, reg, rec)
    del rec["noiDangKy"]
    rec["noiCap"] = Value(book.noi_dang_ky, None)
    home = book.commune
    male = rng.random() < 0.5
    age = rng.randint(19, 45)
    born = _rand_date(rng, date(reg.year - age - 1, 1, 1), date(reg.year - age, 1, 1))
    _person(rng, "nxn", male, born, rec)
    sex = "Nam" if male else "Nữ"
    rec["nxnGioiTinh"] = Value(sex, sex)
    rec["nxnNoiCuTru"] = _residence(rng, home)
    _loai_cu_tru(rec, "nxn")
    _id_document(rng, born, reg, "nxn", rec)
    status = rng.choice(
        (
            "Hiện tại chưa đăng ký kết hôn với ai",
            "Chưa đăng ký kết hôn với ai",
            "Hiện tại đang có vợ",
            "Đã ly hôn, hiện tại chưa đăng ký kết hôn với ai",
        )
    )
    rec["nxnTinhTrangHonNhan"] = Value(status, status)
    purpose_code = rng.choice(("1", "1", "1", "5"))
    purpose = (
        "Đăng ký kết hôn"
        if purpose_code == "1"
        else rng.choice(("Bổ sung hồ sơ vay vốn", "Làm thủ tục mua bán nhà đất"))
    )
    rec["nxnLoaiMucDichSuDung"] = Value(field_enum("loaiMucDichSuDung")[purpose_code], None)
    rec["nxnMucDichSuDung"] = Value(purpose, purpose)
    rec["nycHoTen"] = Value(rec["nxnHoTen"].value, rec["nxnHoTen"].text)
    rec["nycQuanHe"] = Value("Bản thân", "Bản thân")
    _maybe_note(rng, rec, reg)
    return rec


def _maybe_note(rng: random.Random, rec: Record, reg: date) -> None:
    """A later annotation in the Ghi chú box on a few records."""
    if rng.random() < 0.12:
        later = reg + timedelta(days=rng.randint(30, 900))
        note = rng.choice(("Cấp bản sao ngày ", "Đã cấp trích lục ngày ", "Cấp lại bản sao ngày "))
        text = note + dt.printed_date(rng, later)
        rec["ghiChu"] = Value(text, text)


GENERATORS = {
    "khai-sinh": record_khai_sinh,
    "khai-tu": record_khai_tu,
    "ket-hon": record_ket_hon,
    "nhan-cha-me-con": record_nhan_cha_me_con,
    "xac-nhan-hon-nhan": record_xac_nhan_hon_nhan,
}

# The date each register's "event" took place (QA rule registration-before-event).
EVENT_FIELD = {
    "khai-sinh": "nksNgaySinh",
    "khai-tu": "nktNgayChet",
    "ket-hon": "ngayXacLapQuanHeHonNhan",
}
