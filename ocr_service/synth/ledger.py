"""Table-ledger pages (pre-2016 books): ruled columns, one record per row, optional spreads."""

from __future__ import annotations

from ocr_service.synth.records import Record, Value
from ocr_service.synth.render import (
    PRINT_BOLD,
    Box,
    Canvas,
    Pen,
    put_label,
    put_value,
    text_width,
)

# (printed column header, field, width weight); the first list is the left-hand page.
Column = tuple[str, str, float]

LEDGER_COLUMNS: dict[str, tuple[list[Column], list[Column]]] = {
    "khai-sinh": (
        [("Số", "so", 0.55), ("Ngày, tháng, năm đăng ký", "ngayDangKy", 1.25),
         ("Họ, chữ đệm, tên người được khai sinh", "nksHoTen", 2.2),
         ("Giới tính", "nksGioiTinh", 0.7),
         ("Ngày, tháng, năm sinh", "nksNgaySinh", 1.25), ("Nơi sinh", "nksNoiSinh", 2.4),
         ("Dân tộc", "nksDanToc", 0.8), ("Quốc tịch", "nksQuocTich", 0.95)],
        [("Họ, chữ đệm, tên người mẹ", "meHoTen", 1.9), ("Năm sinh", "meNgaySinh", 0.85),
         ("Họ, chữ đệm, tên người cha", "chaHoTen", 1.9), ("Năm sinh", "chaNgaySinh", 0.85),
         ("Nơi cư trú", "meNoiCuTru", 2.4), ("Người đi khai sinh", "nycHoTen", 1.8),
         ("Quan hệ", "nycQuanHe", 0.8), ("Ghi chú", "ghiChu", 1.5)],
    ),
    "khai-tu": (
        [("Số", "so", 0.55), ("Ngày, tháng, năm đăng ký", "ngayDangKy", 1.25),
         ("Họ, chữ đệm, tên người chết", "nktHoTen", 2.2), ("Giới tính", "nktGioiTinh", 0.7),
         ("Ngày, tháng, năm sinh", "nktNgaySinh", 1.25), ("Dân tộc", "nktDanToc", 0.8),
         ("Quốc tịch", "nktQuocTich", 0.95), ("Nơi cư trú cuối cùng", "nktNoiCuTru", 2.4)],
        [("Ngày, tháng, năm chết", "nktNgayChet", 1.25), ("Giờ, phút", "nktGioPhutChet", 1.0),
         ("Nơi chết", "nktNoiChet", 2.4), ("Nguyên nhân chết", "nktNguyenNhanChet", 1.6),
         ("Người đi khai tử", "nycHoTen", 1.8), ("Quan hệ", "nycQuanHe", 0.8),
         ("Ghi chú", "ghiChu", 1.5)],
    ),
    "ket-hon": (
        [("Số", "so", 0.55), ("Ngày, tháng, năm đăng ký", "ngayDangKy", 1.25),
         ("Họ, chữ đệm, tên người chồng", "chongHoTen", 2.1),
         ("Ngày, tháng, năm sinh", "chongNgaySinh", 1.25),
         ("Dân tộc", "chongDanToc", 0.8), ("Nơi cư trú", "chongNoiCuTru", 2.4)],
        [("Họ, chữ đệm, tên người vợ", "voHoTen", 2.1),
         ("Ngày, tháng, năm sinh", "voNgaySinh", 1.25), ("Dân tộc", "voDanToc", 0.8),
         ("Nơi cư trú", "voNoiCuTru", 2.4), ("Ghi chú", "ghiChu", 1.5)],
    ),
}  # fmt: skip

TITLES = {
    "khai-sinh": "SỔ ĐĂNG KÝ KHAI SINH",
    "khai-tu": "SỔ ĐĂNG KÝ KHAI TỬ",
    "ket-hon": "SỔ ĐĂNG KÝ KẾT HÔN",
}


def _wrap(font: str, size: int, text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        if cur and text_width(font, size, trial) > width:
            lines.append(cur)
            cur = w
        else:
            cur = trial
    lines.append(cur)
    return lines


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))  # fmt: skip


def _draw_table(
    canvas: Canvas,
    pen: Pen,
    cols: list[Column],
    recs: list[tuple[int, Record]],
    x0: int,
    x1: int,
    y0: int,
    y1: int,
    rows: int,
    printed: dict[int, dict[str, Box]],
) -> None:
    px = canvas.px
    d = canvas.draw
    total = sum(c[2] for c in cols)
    edges = [x0]
    for c in cols:
        edges.append(edges[-1] + int((x1 - x0) * c[2] / total))
    edges[-1] = x1
    head_h = px(150)
    row_h = (y1 - y0 - head_h) // rows
    lw = max(2, px(3))
    d.rectangle((x0, y0, x1, y0 + head_h + rows * row_h), outline=(40, 40, 40), width=lw)
    d.line((x0, y0 + head_h, x1, y0 + head_h), fill=(40, 40, 40), width=lw)
    for e in edges[1:-1]:
        d.line((e, y0, e, y0 + head_h + rows * row_h), fill=(60, 60, 60), width=max(1, px(2)))
    for r in range(1, rows):
        yy = y0 + head_h + r * row_h
        d.line((x0, yy, x1, yy), fill=(110, 110, 110), width=max(1, px(1)))
    hsize = px(21)
    for i, (head, _code, _w) in enumerate(cols):
        cw = edges[i + 1] - edges[i] - px(10)
        lines = _wrap(PRINT_BOLD, hsize, head, cw)
        yb = y0 + (head_h - len(lines) * px(28)) // 2 + px(22)
        for ln in lines:
            w = text_width(PRINT_BOLD, hsize, ln)
            put_label(
                canvas,
                edges[i] + max(px(4), (cw - w) // 2 + px(5)),
                yb,
                ln,
                hsize,
                bold=True,
                kind="header",
                max_width=cw,
            )
            yb += px(28)
    vsize = round(px(24) * (pen.value_size() / pen.size))
    for slot, (idx, rec) in enumerate(recs):
        top = y0 + head_h + slot * row_h
        for i, (_head, code, _w) in enumerate(cols):
            val = rec.get(code)
            if val is None or not val.text:
                continue
            cw = edges[i + 1] - edges[i] - px(14)
            # Clerks write smaller rather than spill into the next cell: shrink until it wraps
            # into the lines the row has room for.
            size = vsize
            while True:
                # Stacked lines: leave room for Vietnamese marks stacked above capitals.
                pitch = round(size * 1.3)
                lines = _wrap(pen.font, size, val.text, int(cw * 0.92))
                if len(lines) <= max(1, (row_h - px(8)) // pitch) or size <= vsize * 0.6:
                    break
                size -= 1
            yb = top + (row_h - len(lines) * pitch) // 2 + round(size * 0.8)
            boxes = []
            for ln in lines:
                boxes.append(put_value(canvas, pen, edges[i] + px(6), yb, ln, cw, code, size=size))
                yb += pitch
            printed.setdefault(idx, {})[code] = _union(boxes)


def render_ledger_page(
    canvas: Canvas,
    pen: Pen,
    register: str,
    recs: list[tuple[int, Record]],
    rows: int,
    page_no: int,
    quyen: Value,
    spread: bool,
) -> tuple[dict[int, dict[str, Box]], int | None]:
    """Draw one ledger page (or a two-page spread); return per-record field boxes and gutter x."""
    W, H = canvas.image.size
    px = canvas.px
    d = canvas.draw
    printed: dict[int, dict[str, Box]] = {}
    left_cols, right_cols = LEDGER_COLUMNS[register]
    margin = px(70)
    top, bottom = px(200), H - px(120)
    title_size = px(34)
    label_size = px(25)
    shown = [(i, {**r, "so": Value(r["so"].value, r["so"].text)}) for i, r in recs]
    gutter: int | None = None
    if spread:
        gutter = W // 2 + canvas.rng.randint(-px(12), px(12))
        # The fold: a soft dark band where the pages bend into the binding.
        for k in range(px(40)):
            shade = int(150 + 100 * (k / px(40)))
            d.line((gutter - k, 0, gutter - k, H), fill=(shade, shade, shade - 10))
            d.line((gutter + k, 0, gutter + k, H), fill=(shade, shade, shade - 10))
        put_label(
            canvas, margin + px(20), px(110), TITLES[register], title_size, bold=True, kind="header"
        )
        _quyen(canvas, pen, W - margin - px(560), px(110), quyen, label_size, printed, recs)
        _draw_table(
            canvas, pen, left_cols, shown, margin, gutter - px(50), top, bottom, rows, printed
        )
        _draw_table(
            canvas, pen, right_cols, shown, gutter + px(50), W - margin, top, bottom, rows, printed
        )
    else:
        put_label(
            canvas, margin + px(20), px(110), TITLES[register], title_size, bold=True, kind="header"
        )
        _quyen(canvas, pen, W - margin - px(560), px(110), quyen, label_size, printed, recs)
        _draw_table(
            canvas,
            pen,
            left_cols + right_cols,
            shown,
            margin,
            W - margin,
            top,
            bottom,
            rows,
            printed,
        )
    base = H - px(55)
    lbox = put_label(canvas, W - margin - px(260), base, "Trang số", label_size)
    tpen = Pen("typed", "DejaVuSerif-subset.ttf", (28, 28, 30), label_size, 0.0)
    tbox = put_value(canvas, tpen, lbox[2] + px(12), base, str(page_no), px(120), "trangSo")
    for i, _r in recs:
        printed.setdefault(i, {})["trangSo"] = tbox
    return printed, gutter


def _quyen(
    canvas: Canvas,
    pen: Pen,
    x: int,
    base: int,
    quyen: Value,
    size: int,
    printed: dict[int, dict[str, Box]],
    recs: list[tuple[int, Record]],
) -> None:
    lbox = put_label(canvas, x, base, "Quyển số:", size)
    box = put_value(
        canvas,
        pen,
        lbox[2] + canvas.px(14),
        base,
        quyen.text or quyen.value,
        canvas.px(300),
        "quyenSo",
    )
    for i, _r in recs:
        printed.setdefault(i, {})["quyenSo"] = box
