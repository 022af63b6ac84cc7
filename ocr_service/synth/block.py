"""Block-form pages (Thông tư 15/2015 books, one record per page)."""

from __future__ import annotations

from dataclasses import dataclass

from ocr_service.synth.records import Record
from ocr_service.synth.render import (
    Box,
    Canvas,
    Pen,
    dotted,
    put_label,
    put_value,
    signature,
    text_width,
    tick,
)


@dataclass(frozen=True)
class Printing:
    """How one printing of the block form lays its labels out (catalog.PRINTINGS groups them)."""

    name: str
    label_scale: float = 1.0
    margin_x: int = 110  # at 200 dpi
    top: int = 120
    split: float = 0.72  # the right column (tick-boxes, notes) starts here
    header: tuple[str, ...] = ("so", "quyenSo", "ngayDangKy")
    officer_title: bool = False  # 'Công chức tư pháp - hộ tịch' under 'Người thực hiện'


PRINTING_LAYOUTS: dict[str, Printing] = {
    "2016": Printing("2016"),
    "2016b": Printing(
        "2016b",
        label_scale=0.9,
        margin_x=135,
        top=150,
        split=0.68,
        header=("quyenSo", "so", "ngayDangKy"),
        officer_title=True,
    ),
    # Two more printings for the tuning side (third session of #13): label size, margins, the
    # frame's split, the header's order and the officer's title vary between real printings;
    # these vary them with other values than 2016b, so label matching is tuned on more than one
    # printing without looking at the held-out one.
    "2016c": Printing(
        "2016c",
        label_scale=1.08,
        margin_x=90,
        top=100,
        split=0.75,
        header=("quyenSo", "so", "ngayDangKy"),
        officer_title=True,
    ),
    "2016d": Printing("2016d", label_scale=0.84, margin_x=160, top=175, split=0.7),
}
HEADER_SLOTS: dict[str, tuple[str, float]] = {"so": ("Số:", 0.22), "quyenSo": ("Quyển số:", 0.26)}

# Values that run long (places, the declarant's relation): on wider books (issue #13) their
# row has a second dotted line under it, and a value too long for the first line wraps onto it.
WRAP_SUFFIXES = ("NoiCuTru", "NoiSinh", "QueQuan", "NoiChet", "NoiCapGiayToTuyThan", "CoQuanCap")
WRAP_EARLY = 0.4  # share of long values (4 words and more) that wrap early
WRAP_AT = 0.95  # a value that would shrink below this share of the pen's size wraps instead


# A slot: (printed label, field code or None, right edge as a fraction of the box width).
Slot = tuple[str, str | None, float]
Row = list[Slot]


def _id_rows(prefix: str, *, with_issue: bool) -> list[Row]:
    rows: list[Row] = [
        [
            ("Giấy tờ tùy thân:", prefix + "LoaiGiayToTuyThan", 0.58),
            ("số:", prefix + "SoGiayToTuyThan", 1.0),
        ]
    ]
    if with_issue:
        rows.append(
            [("cấp ngày:", prefix + "NgayCapGiayToTuyThan", 0.4),
             ("nơi cấp:", prefix + "NoiCapGiayToTuyThan", 1.0)]
        )  # fmt: skip
    return rows


def _birth_eth_nat(prefix: str, birth_label: str, split: float = 0.42) -> Row:
    return [
        (birth_label, prefix + "NgaySinh", split),
        ("Dân tộc:", prefix + "DanToc", split + (1 - split) * 0.5),
        ("Quốc tịch:", prefix + "QuocTich", 1.0),
    ]


def _birth_then_eth_nat(prefix: str) -> list[Row]:
    """The long 'Ngày, tháng, năm sinh' label leaves no room on its line for two more slots."""
    return [
        [("Ngày, tháng, năm sinh:", prefix + "NgaySinh", 1.0)],
        [("Dân tộc:", prefix + "DanToc", 0.5), ("Quốc tịch:", prefix + "QuocTich", 1.0)],
    ]


BLOCK_ROWS: dict[str, list[Row]] = {
    "khai-sinh": [
        [("Họ, chữ đệm, tên:", "nksHoTen", 1.0)],
        [("Ngày, tháng, năm sinh:", "nksNgaySinh", 1.0)],
        [("ghi bằng chữ:", "nksNgaySinhBangChu", 1.0)],
        [("Giới tính:", "nksGioiTinh", 0.3), ("Dân tộc:", "nksDanToc", 0.62),
         ("Quốc tịch:", "nksQuocTich", 1.0)],
        [("Nơi sinh:", "nksNoiSinh", 1.0)],
        [("Quê quán:", "nksQueQuan", 1.0)],
        [("Số định danh cá nhân:", "nksSoDinhDanh", 1.0)],
        [("Họ, chữ đệm, tên người mẹ:", "meHoTen", 1.0)],
        _birth_eth_nat("me", "Năm sinh:", 0.34),
        [("Nơi cư trú:", "meNoiCuTru", 1.0)],
        *_id_rows("me", with_issue=False),
        [("Họ, chữ đệm, tên người cha:", "chaHoTen", 1.0)],
        _birth_eth_nat("cha", "Năm sinh:", 0.34),
        [("Nơi cư trú:", "chaNoiCuTru", 1.0)],
        *_id_rows("cha", with_issue=False),
        [("Họ, chữ đệm, tên người đi khai sinh:", "nycHoTen", 1.0)],
        *_id_rows("nyc", with_issue=True),
        [("Quan hệ với người được khai sinh:", "nycQuanHe", 1.0)],
    ],
    "khai-tu": [
        [("Họ, chữ đệm, tên (người chết):", "nktHoTen", 1.0)],
        [("Ngày, tháng, năm sinh:", "nktNgaySinh", 0.6), ("Giới tính:", "nktGioiTinh", 1.0)],
        [("Dân tộc:", "nktDanToc", 0.5), ("Quốc tịch:", "nktQuocTich", 1.0)],
        *_id_rows("nkt", with_issue=True),
        [("Nơi cư trú cuối cùng:", "nktNoiCuTru", 1.0)],
        [("Đã chết vào lúc:", "nktGioPhutChet", 0.52), ("ngày:", "nktNgayChet", 1.0)],
        [("ghi bằng chữ:", "nktNgayChetGhiBangChu", 1.0)],
        [("Nơi chết:", "nktNoiChet", 1.0)],
        [("Nguyên nhân chết:", "nktNguyenNhanChet", 1.0)],
        [("Giấy báo tử số:", "gbtSo", 0.5), ("ngày:", "gbtNgay", 1.0)],
        [("của:", "gbtCoQuanCap", 1.0)],
        [("Họ, chữ đệm, tên người đi khai tử:", "nycHoTen", 1.0)],
        *_id_rows("nyc", with_issue=True),
        [("Quan hệ với người chết:", "nycQuanHe", 1.0)],
    ],
    "ket-hon": [
        [("Họ, chữ đệm, tên (chồng):", "chongHoTen", 1.0)],
        *_birth_then_eth_nat("chong"),
        [("Nơi cư trú:", "chongNoiCuTru", 1.0)],
        *_id_rows("chong", with_issue=True),
        [("Họ, chữ đệm, tên (vợ):", "voHoTen", 1.0)],
        *_birth_then_eth_nat("vo"),
        [("Nơi cư trú:", "voNoiCuTru", 1.0)],
        *_id_rows("vo", with_issue=True),
        [("Ngày, tháng, năm xác lập quan hệ hôn nhân:", "ngayXacLapQuanHeHonNhan", 1.0)],
    ],
    "nhan-cha-me-con": [
        [("Quyết định số:", "quyetDinhSo", 1.0)],
        [("Họ, chữ đệm, tên (cha/mẹ):", "cmHoTen", 1.0)],
        *_birth_then_eth_nat("cm"),
        [("Quê quán:", "cmQueQuan", 1.0)],
        [("Nơi cư trú:", "cmNoiCuTru", 1.0)],
        *_id_rows("cm", with_issue=True),
        [("Họ, chữ đệm, tên (người con):", "ncHoTen", 1.0)],
        *_birth_then_eth_nat("nc"),
        [("Nơi cư trú:", "ncNoiCuTru", 1.0)],
        [("Họ, chữ đệm, tên người yêu cầu:", "nycHoTen", 1.0)],
        [("Quan hệ với người được nhận:", "nycQHNguoiDuocNhan", 1.0)],
        [("Quan hệ với người nhận:", "nycQHNguoiNhan", 1.0)],
    ],
    "xac-nhan-hon-nhan": [
        [("Họ, chữ đệm, tên:", "nxnHoTen", 1.0)],
        [("Ngày, tháng, năm sinh:", "nxnNgaySinh", 0.62), ("Giới tính:", "nxnGioiTinh", 1.0)],
        [("Dân tộc:", "nxnDanToc", 0.5), ("Quốc tịch:", "nxnQuocTich", 1.0)],
        [("Nơi cư trú:", "nxnNoiCuTru", 1.0)],
        *_id_rows("nxn", with_issue=True),
        [("Tình trạng hôn nhân:", "nxnTinhTrangHonNhan", 1.0)],
        [("Giấy này được cấp để:", "nxnMucDichSuDung", 1.0)],
        [("Họ, chữ đệm, tên người yêu cầu:", "nycHoTen", 1.0)],
        [("Quan hệ với người được xác nhận:", "nycQuanHe", 1.0)],
    ],
}  # fmt: skip

# Tick-boxes of the right column: (printed label, loaiDangKy code it stands for).
TICK_BOXES: dict[str, list[tuple[str, str]]] = {
    "khai-sinh": [("Đúng hạn", "1"), ("Quá hạn", "4"), ("Đăng ký lại", "2"), ("Ghi vào sổ", "3")],
    "khai-tu": [("Đúng hạn", "1"), ("Quá hạn", "4"), ("Đăng ký lại", "2"), ("Ghi vào sổ", "3")],
    "ket-hon": [("Đăng ký lại", "2")],
}

# Signature columns: (printed label lines, signing field, has a 'Chức vụ' line).
SIGNATURES: dict[str, list[tuple[tuple[str, ...], str | None, bool]]] = {
    "khai-sinh": [
        (("Người thực hiện",), "nguoiThucHien", False),
        (("Người đi khai sinh", "(ký, ghi rõ họ tên)"), None, False),
        (("Người ký Giấy khai sinh",), "nguoiKy", True),
    ],
    "khai-tu": [
        (("Người thực hiện",), "nguoiThucHien", False),
        (("Người đi khai tử", "(ký, ghi rõ họ tên)"), None, False),
        (("Người ký Trích lục khai tử",), "nguoiKy", True),
    ],
    "ket-hon": [
        (("Chữ ký của chồng",), None, False),
        (("Chữ ký của vợ",), None, False),
        (("Người thực hiện",), "nguoiThucHien", False),
        (("Người ký Giấy", "chứng nhận kết hôn"), "nguoiKy", True),
    ],
    "nhan-cha-me-con": [
        (("Người thực hiện",), "nguoiThucHien", False),
        (("Người yêu cầu",), None, False),
        (("Người ký Trích lục", "nhận cha, mẹ, con"), "nguoiKy", True),
    ],
    "xac-nhan-hon-nhan": [
        (("Người thực hiện",), "nguoiThucHien", False),
        (("Người ký Giấy xác nhận", "tình trạng hôn nhân"), "nguoiKy", True),
    ],
}

# Who signs in the columns without an official field (the name under the scribble).
SIGNER_NAME: dict[str, list[str]] = {
    "khai-sinh": ["nycHoTen"],
    "khai-tu": ["nycHoTen"],
    "ket-hon": ["chongHoTen", "voHoTen"],
    "nhan-cha-me-con": ["nycHoTen"],
    "xac-nhan-hon-nhan": [],
}


def draw_slot_row(
    canvas: Canvas,
    pen: Pen,
    rec: Record,
    row: Row,
    x0: int,
    width: int,
    baseline: int,
    label_size: int,
    printed: dict[str, Box],
    cont_baseline: int | None = None,
) -> None:
    """Labels left to right, each followed by a dotted leader and its value. With
    ``cont_baseline`` the row has a second dotted line there, and a long value wraps onto it."""
    start = x0
    gap = canvas.px(10)
    for label_text, code, end_frac in row:
        end = x0 + int(width * end_frac)
        lbox = put_label(canvas, start, baseline, label_text, label_size)
        lead_x = lbox[2] + gap
        dotted(canvas, lead_x, end - gap, baseline + canvas.px(5))
        val = rec.get(code) if code else None
        room = end - gap - lead_x - canvas.px(16)
        if cont_baseline is not None and code and code.endswith(WRAP_SUFFIXES):
            dotted(canvas, x0, end - gap, cont_baseline + canvas.px(5))
            if val is not None and val.text:
                # Clerks who write large run out of line: some long values wrap even where
                # the font would have fitted them.
                early = canvas.rng.random() < WRAP_EARLY and val.text.count(" ") >= 3
                head, tail = wrap_value(pen, val.text, room, early=early)
                if tail:
                    b1 = put_value(canvas, pen, lead_x + canvas.px(6), baseline - canvas.px(3),
                                   head, room, code)  # fmt: skip
                    b2 = put_value(canvas, pen, x0 + canvas.px(6), cont_baseline - canvas.px(3),
                                   tail, end - gap - x0 - canvas.px(16), code)  # fmt: skip
                    printed[code] = union(b1, b2)
                    start = end + gap
                    continue
        if val is not None and val.text:
            box = put_value(
                canvas,
                pen,
                lead_x + canvas.px(6),
                baseline - canvas.px(3),
                val.text,
                room,
                code,
            )
            printed[code] = box  # type: ignore[index]
        start = end + gap


def wrap_value(pen: Pen, text: str, room: int, *, early: bool = False) -> tuple[str, str]:
    """(first line, rest): the words that fit ``room`` at the pen's size, the rest after them;
    ('text', '') when the whole value fits at WRAP_AT of that size. ``early``: the first line
    holds about 60 % of the value's width, as written by a large hand."""
    size = pen.value_size()
    margin = 0.93 if pen.style == "hand" else 1.0
    if early:
        room = min(room, int(0.6 * text_width(pen.font, size, text) / margin))
    elif text_width(pen.font, round(size * WRAP_AT), text) <= room * margin:
        return text, ""
    words = text.split(" ")
    head = words[0]
    for i in range(1, len(words)):
        trial = f"{head} {words[i]}"
        if text_width(pen.font, size, trial) > room * margin:
            return head, " ".join(words[i:])
        head = trial
    return text, ""


def union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def render_block_page(
    canvas: Canvas,
    pen: Pen,
    register: str,
    rec: Record,
    page_no: int,
    so_text: str,
    printing: Printing = PRINTING_LAYOUTS["2016"],
    wrap: bool = False,
) -> dict[str, Box]:
    """Draw one record as a block-form page; return field -> ink box of its value.
    ``wrap``: long values have a continuation line and wrap onto it (issue #13's books)."""
    img = canvas.image
    W, H = img.size
    px = canvas.px
    d = canvas.draw
    printed: dict[str, Box] = {}
    label_size = px(round(27 * printing.label_scale))
    margin_x, top = px(printing.margin_x), px(printing.top)
    full_w = W - 2 * margin_x
    # Header: Số / Quyển số / Ngày đăng ký over the full width.
    base = top + px(40)
    header_row: Row = []
    date_label = (
        "Ngày, tháng, năm cấp:" if register == "xac-nhan-hon-nhan" else "Ngày, tháng, năm đăng ký:"
    )
    edge = 0.0
    for code in printing.header:
        if code == "ngayDangKy":
            header_row.append((date_label, code, 1.0))
        else:
            label, share = HEADER_SLOTS[code]
            edge += share
            header_row.append((label, code, edge))
    rec_h = dict(rec)
    rec_h["so"] = type(rec["so"])(rec["so"].value, so_text)
    draw_slot_row(canvas, pen, rec_h, header_row, margin_x, full_w, base, label_size, printed)
    # Frame: left box ~72 %, right column for tick-boxes and notes.
    frame_top = base + px(40)
    frame_bottom = H - px(190)
    split = margin_x + int(full_w * printing.split)
    lw = max(2, px(3))
    d.rectangle(
        (margin_x - px(20), frame_top, W - margin_x + px(20), frame_bottom),
        outline=(40, 40, 40),
        width=lw,
    )
    d.line((split, frame_top, split, frame_bottom), fill=(40, 40, 40), width=lw)
    left_x, left_w = margin_x, split - margin_x - px(20)
    rows = BLOCK_ROWS[register]
    sig_cols = SIGNATURES[register]
    if printing.officer_title:
        sig_cols = [
            (("Người thực hiện", "(Công chức tư pháp - hộ tịch)"), code, role)
            if code == "nguoiThucHien"
            else (lines, code, role)
            for lines, code, role in sig_cols
        ]
    sig_h = px(330)
    avail = frame_bottom - frame_top - sig_h - px(40)
    wraps = [wrap and any(c and c.endswith(WRAP_SUFFIXES) for _, c, _ in row) for row in rows]
    pitch = min(px(68), avail // max(len(rows) + sum(wraps), 1))
    y = frame_top + px(20) + pitch - px(12)
    for row, has_cont in zip(rows, wraps, strict=True):
        cont = y + pitch if has_cont else None
        draw_slot_row(canvas, pen, rec, row, left_x, left_w, y, label_size, printed, cont)
        y += pitch * (2 if has_cont else 1)
    _draw_signatures(
        canvas,
        pen,
        rec,
        register,
        left_x,
        left_w,
        frame_bottom - sig_h,
        sig_cols,
        label_size,
        printed,
    )
    _draw_right_column(
        canvas,
        pen,
        rec,
        register,
        split + px(24),
        W - margin_x,
        frame_top,
        label_size,
        printed,
    )
    # Footer: printed page number.
    footer_base = H - px(110)
    lbox = put_label(canvas, W // 2 - px(90), footer_base, "Trang số", label_size)
    tbox = put_value(
        canvas,
        Pen("typed", canvas.label_font, (28, 28, 30), label_size, 0.0),
        lbox[2] + px(14),
        footer_base,
        str(page_no),
        px(120),
        "trangSo",
    )
    printed["trangSo"] = tbox
    return printed


def _draw_signatures(
    canvas: Canvas,
    pen: Pen,
    rec: Record,
    register: str,
    x0: int,
    width: int,
    top: int,
    cols: list[tuple[tuple[str, ...], str | None, bool]],
    label_size: int,
    printed: dict[str, Box],
) -> None:
    px = canvas.px
    col_w = width // len(cols)
    others = iter(SIGNER_NAME[register])
    for i, (label_lines, code, with_role) in enumerate(cols):
        cx0 = x0 + i * col_w
        y = top + px(34)
        for text in label_lines:
            w = text_width(canvas.label_font, label_size, text)
            put_label(
                canvas,
                cx0 + max(0, (col_w - w) // 2),
                y,
                text,
                label_size,
                bold=True,
                max_width=col_w - px(12),
            )
            y += px(36)
        if with_role:
            y += px(8)
            role = rec.get("chucVuNguoiKy")
            lab = put_label(canvas, cx0 + px(10), y, "Chức vụ:", label_size - px(2))
            if role is not None and role.text:
                printed["chucVuNguoiKy"] = put_value(
                    canvas,
                    pen,
                    lab[2] + px(8),
                    y,
                    role.text,
                    col_w - (lab[2] - cx0) - px(20),
                    "chucVuNguoiKy",
                )
            y += px(40)
        name_field = code if code else next(others, None)
        val = rec.get(name_field) if name_field else None
        if val is None or not val.text:
            continue
        signature(canvas, cx0 + px(40), y + px(6), col_w - px(90), px(70), pen.ink)
        name_base = top + px(300)
        w = text_width(pen.font, pen.value_size(), val.text)
        nx = cx0 + max(px(6), (col_w - w) // 2)
        if code:
            printed[code] = put_value(canvas, pen, nx, name_base, val.text, col_w - px(12), code)
        else:
            # The declarant's own name under the signature: a cross-check, not a field.
            put_value(canvas, pen, nx, name_base, val.text, col_w - px(12), None, kind="other")


def _draw_right_column(
    canvas: Canvas,
    pen: Pen,
    rec: Record,
    register: str,
    x0: int,
    x1: int,
    top: int,
    label_size: int,
    printed: dict[str, Box],
) -> None:
    """Tick-boxes for loaiDangKy (one ticked) above the 'Ghi chú' box with any later note."""
    px = canvas.px
    d = canvas.draw
    y = top + px(40)
    boxes = TICK_BOXES.get(register, [])
    ticked = rec.get("loaiDangKy")
    ticked_code = ticked.code if ticked is not None else None
    side = px(34)
    for text, code in boxes:
        box = (x0, y, x0 + side, y + side)
        d.rectangle(box, outline=(40, 40, 40), width=max(2, px(2)))
        put_label(
            canvas,
            x0 + side + px(14),
            y + side - px(6),
            text,
            label_size,
            max_width=x1 - x0 - side - px(20),
        )
        if ticked_code == code:
            tick(canvas, box, pen.ink)
            printed["loaiDangKy"] = box
        y += side + px(34)
    y += px(20)
    d.line((x0 - px(24), y, x1 + px(20), y), fill=(40, 40, 40), width=max(2, px(3)))
    y += px(50)
    put_label(canvas, x0, y, "Ghi chú:", label_size, bold=True)
    note = rec.get("ghiChu")
    if note is not None and note.text:
        # Notes are narrow: wrap on words into the column.
        width = x1 - x0 - px(10)
        words = note.text.split()
        lines: list[str] = []
        cur = ""
        for w in words:
            trial = f"{cur} {w}".strip()
            if cur and text_width(pen.font, pen.value_size(), trial) > width:
                lines.append(cur)
                cur = w
            else:
                cur = trial
        lines.append(cur)
        boxes_drawn = []
        ny = y + px(60)
        for ln in lines:
            boxes_drawn.append(put_value(canvas, pen, x0, ny, ln, width, "ghiChu"))
            ny += px(50)
        printed["ghiChu"] = (
            min(b[0] for b in boxes_drawn),
            min(b[1] for b in boxes_drawn),
            max(b[2] for b in boxes_drawn),
            max(b[3] for b in boxes_drawn),
        )
