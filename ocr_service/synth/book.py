"""`generate_book`: a whole synthetic register book — page images, book.pdf and truth.json."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from PIL import Image

from ocr_service.errors import BadInput
from ocr_service.synth import dates as dt
from ocr_service.synth.block import BLOCK_ROWS, PRINTING_LAYOUTS, TICK_BOXES, render_block_page
from ocr_service.synth.catalog import (
    TUNING,
    check_group,
    fonts_for,
    printings_for,
    require_group,
)
from ocr_service.synth.degrade import LEVELS, degrade_page
from ocr_service.synth.ledger import LEDGER_COLUMNS, render_ledger_page
from ocr_service.synth.records import EVENT_FIELD, GENERATORS, Record, Value, make_book
from ocr_service.synth.render import (
    HAND_FONTS,
    HAND_INKS,
    PRINT_BOLD,
    PRINT_FONT,
    TYPED_INK,
    TYPED_VALUE_FONT,
    Box,
    Canvas,
    Line,
    Pen,
    blot,
    require_vietnamese,
)
from ocr_service.synth.spec import field_enum, register_fields
from ocr_service.synth.truth import BookTruth, FieldTruth, PageTruth, PlantedError, RecordTruth

REGISTER_LAYOUTS: dict[str, tuple[str, ...]] = {
    slug: tuple(
        layout
        for layout, table in (("block", BLOCK_ROWS), ("table", LEDGER_COLUMNS))
        if slug in table
    )
    for slug in GENERATORS
}
STYLES = ("typed", "hand")
MAX_RECORDS = 5000
LEDGER_ROWS = {False: 10, True: 16}


def supported() -> list[tuple[str, str]]:
    """(register, layout) pairs the generator can draw."""
    return [(slug, layout) for slug, layouts in REGISTER_LAYOUTS.items() for layout in layouts]


def validate_args(
    register: str,
    records: int,
    style: str,
    layout: str,
    degrade: str,
    plant_errors: bool,
    spreads: bool,
    dpi: int,
    wide: bool = False,
) -> None:
    if register not in REGISTER_LAYOUTS:
        raise BadInput(f"unknown register {register!r}; use one of {', '.join(REGISTER_LAYOUTS)}")
    if layout not in REGISTER_LAYOUTS[register]:
        raise BadInput(
            f"layout {layout!r} is not supported for {register}; supported: "
            f"{', '.join(REGISTER_LAYOUTS[register])}"
        )
    if style not in STYLES:
        raise BadInput(f"style must be typed or hand, not {style!r}")
    if degrade not in LEVELS:
        raise BadInput(f"degrade must be one of {', '.join(LEVELS)}, not {degrade!r}")
    if not 1 <= records <= MAX_RECORDS:
        raise BadInput(f"records must be between 1 and {MAX_RECORDS}")
    if plant_errors and records < 8:
        raise BadInput("plant_errors needs at least 8 records")
    if spreads and layout != "table" and not wide:
        raise BadInput("spreads are only drawn for the table layout (or block pages with wide)")
    if not 100 <= dpi <= 400:
        raise BadInput("dpi must be between 100 and 400")


def registration_dates(rng: random.Random, year: int, n: int) -> list[date]:
    """Non-decreasing dates from early January; books of ~200+ records run into the next year."""
    avg_gap = min(14.0, 420.0 / n)
    start = date(year, 1, rng.randint(2, 9))
    offset = 0.0
    out = []
    for _ in range(n):
        out.append(start + timedelta(days=int(offset)))
        offset += rng.uniform(0, 2 * avg_gap)
    return out


def plan_errors(rng: random.Random, regs: list[date], register: str) -> dict[str, int]:
    """Pick distinct, well-separated record positions for each planted rule."""
    rules = ["sequence-gap", "duplicate-number", "date-order"]
    if register in EVENT_FIELD:
        rules.append("registration-before-event")
    n = len(regs)
    for _ in range(500):
        # Distinct records after the first; none of them at a change of year, where the
        # restart at 01 would blur the planted numbering error.
        plan = dict(zip(rules, rng.sample(range(1, n), len(rules)), strict=True))
        k = plan["date-order"]
        if regs[k - 1].year == regs[k].year == (regs[k - 1] - timedelta(days=12)).year and all(
            regs[i].year == regs[i - 1].year
            for i in (plan["sequence-gap"], plan["duplicate-number"])
        ):
            return plan
    raise BadInput("could not place the planted errors; use more records")


def number_records(regs: list[date], plan: dict[str, int]) -> list[tuple[int, int]]:
    """(number, year) per record: restart at 1 each year, with any planted gap / duplicate."""
    out: list[tuple[int, int]] = []
    counter, year = 0, None
    for i, d in enumerate(regs):
        if d.year != year:
            counter, year = 0, d.year
        if plan.get("duplicate-number") == i:
            pass
        elif plan.get("sequence-gap") == i:
            counter += 2
        else:
            counter += 1
        out.append((counter, d.year))
    return out


def plant_event_after(rng: random.Random, register: str, rec: Record, reg: date) -> tuple[str, str]:
    """Move the record's event after its registration; (field, detail) of the planted error."""
    code = EVENT_FIELD[register]
    later = reg + timedelta(days=rng.randint(2, 25))
    rec[code] = Value(dt.export_date(later), dt.printed_date(rng, later))
    words_code = {"khai-sinh": "nksNgaySinhBangChu", "khai-tu": "nktNgayChetGhiBangChu"}.get(
        register
    )
    if words_code:
        words = dt.date_words(later, rng)
        rec[words_code] = Value(dt.title_case(words), words)
    return code, f"{code} {rec[code].value} is after ngayDangKy {rec['ngayDangKy'].value}"


def make_pen(rng: random.Random, style: str, px: float) -> Pen:
    if style == "typed":
        return Pen("typed", TYPED_VALUE_FONT, TYPED_INK, round(28 * px), 0.0)
    return Pen("hand", rng.choice(HAND_FONTS), rng.choice(HAND_INKS), round(30 * px), 1.2)


@dataclass(frozen=True)
class Variety:
    """What a book is drawn with: its group's fonts and printing, and (``wide``) issue #13's
    variations: names in capitals, unpadded numbers, crossed-out words, blots, wrapping values,
    block spreads."""

    group: str
    wide: bool
    pen: Pen
    label_font: str
    label_bold: str
    printing: str
    capitals: bool = False
    unpadded: bool = False
    blot_rate: float = 0.0

    def fonts(self) -> list[str]:
        return [self.pen.font, self.label_font, self.label_bold]


STRIKE_RATE = 0.03  # share of handwritten values with one word crossed out and rewritten
BLOT_RATE = 0.5  # share of pages with ink blots
NAME_SUFFIXES = ("HoTen", "nguoiKy", "nguoiThucHien")


def choose_variety(
    rng: random.Random,
    vrng: random.Random,
    style: str,
    px: float,
    group: str,
    wide: bool,
    printing: str | None,
    hand_font: str | None,
    hand_fonts: tuple[str, ...] | None = None,
) -> Variety:
    """The book's pen, label fonts and printing, from ``group`` only. Books of the tuning group
    without ``wide`` are drawn exactly as before issue #13 (same rng calls, same bytes)."""
    check_group(group)
    if group == TUNING and not wide and hand_font is None:
        pen = make_pen(rng, style, px)
        variety = Variety(group, wide, pen, PRINT_FONT, PRINT_BOLD, printing or "2016")
    else:
        if style == "typed":
            font = vrng.choice(fonts_for(group, "typed"))
            pen = Pen("typed", font, TYPED_INK, round(28 * px), 0.0)
        else:
            font = hand_font or vrng.choice(hand_fonts or fonts_for(group, "hand"))
            # Wider books' clerks write a little larger: long values wrap more often.
            pen = Pen("hand", font, vrng.choice(HAND_INKS), round((34 if wide else 30) * px), 1.2)
        if wide and style == "hand":
            pen.strike_rate = STRIKE_RATE
        label = vrng.choice(fonts_for(group, "label"))
        variety = Variety(
            group,
            wide,
            pen,
            label,
            PRINT_BOLD if label == PRINT_FONT else label,
            printing or vrng.choice(printings_for(group)),
            capitals=wide and vrng.random() < 0.5,
            unpadded=wide and vrng.random() < 0.5,
            blot_rate=BLOT_RATE if wide else 0.0,
        )
    if variety.printing not in PRINTING_LAYOUTS:
        raise BadInput(f"unknown printing {variety.printing!r}")
    require_group(group, fonts=variety.fonts(), printing=variety.printing)
    for f in variety.fonts():
        require_vietnamese(f)
    return variety


def apply_variety(variety: Variety, rec: Record, layout: str) -> None:
    """How this book's clerk writes: names in capitals, numbers without a leading zero."""
    if variety.capitals:
        for code, val in rec.items():
            if code.endswith(NAME_SUFFIXES) and val.text:
                rec[code] = Value(val.value, val.text.upper(), val.code)
    so = rec["so"]
    if variety.unpadded and layout == "block" and so.text and so.text.startswith("0"):
        rec["so"] = Value(so.value, so.text[1:], so.code)


def book_rngs(
    register: str,
    layout: str,
    style: str,
    spreads: bool,
    seed: int,
    group: str,
    wide: bool,
    hand_font: str | None,
) -> tuple[random.Random, random.Random]:
    """A book's two random streams: its records (and, for the tuning group's plain books, its
    pen), and its variety (fonts and printing of the group, issue #13), seeded apart so a
    variety drawn differently leaves the records as they were."""
    base = f"sohoa-synth|{register}|{layout}|{style}|{spreads}|{seed}"
    return random.Random(base), random.Random(f"{base}|{group}|{wide}|{hand_font}")


def typed_value_font(register: str, layout: str, seed: int, group: str) -> str:
    """The value font of a wide typed book of `group` drawn with `seed` (no spreads): the
    first draw of its variety stream (choose_variety)."""
    _, vrng = book_rngs(register, layout, "typed", False, seed, group, True, None)
    return vrng.choice(fonts_for(group, "typed"))


def generate_book(
    register: str,
    records: int,
    out: Path,
    *,
    style: str = "typed",
    layout: str = "block",
    seed: int = 0,
    degrade: str = "light",
    plant_errors: bool = False,
    spreads: bool = False,
    dpi: int = 200,
    group: str = TUNING,
    wide: bool = False,
    printing: str | None = None,
    hand_font: str | None = None,
    hand_fonts: tuple[str, ...] | None = None,
) -> Path:
    """Write OUT/truth.json, OUT/pages/NNNN.jpg and OUT/book.pdf; return OUT.

    ``group`` draws the book from the tuning or the held-out fonts and printings only
    (catalog.py); ``wide`` adds issue #13's variations, and lets block pages come as spreads
    (two facing A4 pages per A3 landscape image); ``hand_font`` forces one hand font of the
    group; ``hand_fonts`` draws it from these of the group's (the same draw as a catalogue that
    held only these: a recipe keeps its books when fonts are added)."""
    validate_args(register, records, style, layout, degrade, plant_errors, spreads, dpi, wide)
    out = Path(out)
    rng, vrng = book_rngs(register, layout, style, spreads, seed, group, wide, hand_font)
    year = rng.randint(2016, 2023) if layout == "block" else rng.randint(1998, 2014)
    book = make_book(rng, register, year)
    regs = registration_dates(rng, year, records)
    plan = plan_errors(rng, regs, register) if plant_errors else {}
    planted: list[PlantedError] = []
    if "date-order" in plan:
        # Written out of order: this entry is dated a few days before the one above it.
        k = plan["date-order"]
        regs[k] = regs[k - 1] - timedelta(days=rng.randint(3, 10))
    numbers = number_records(regs, plan)
    recs: list[Record] = []
    for i, reg in enumerate(regs):
        rec = GENERATORS[register](rng, book, reg)
        n, y = numbers[i]
        printed_so = (
            f"{n:02d}/{y}"
            if (layout == "block" and book.so_with_year)
            else (f"{n:02d}" if layout == "block" else str(n))
        )
        rec["so"] = Value(f"{n:02d}/{y}", printed_so)
        rec["quyenSo"] = Value(book.quyen, book.quyen)
        recs.append(rec)
    for rule, i in sorted(plan.items(), key=lambda kv: kv[1]):
        if rule == "sequence-gap":
            code = "so"
            detail = (
                f"so {recs[i]['so'].value} follows {recs[i - 1]['so'].value}: one number skipped"
            )
        elif rule == "duplicate-number":
            code = "so"
            detail = f"so {recs[i]['so'].value} repeats the previous record's number"
        elif rule == "date-order":
            code = "ngayDangKy"
            detail = (
                f"ngayDangKy {recs[i]['ngayDangKy'].value} "
                f"is before the previous record's {recs[i - 1]['ngayDangKy'].value}"
            )
        else:
            code, detail = plant_event_after(rng, register, recs[i], regs[i])
        planted.append({"record": i, "rule": rule, "field": code, "detail": detail})
    variety = choose_variety(
        rng, vrng, style, dpi / 200, group, wide, printing, hand_font, hand_fonts
    )
    pen = variety.pen
    for rec in recs:
        apply_variety(variety, rec, layout)
    pages_dir = out / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    # A re-run into the same folder must not leave pages of a longer earlier book behind.
    for stale in pages_dir.glob("[0-9][0-9][0-9][0-9].jpg"):
        stale.unlink()
    pages: list[PageTruth] = []
    truth_records: dict[int, RecordTruth] = {}
    per = (2 if spreads else 1) if layout == "block" else LEDGER_ROWS[spreads]
    groups = [list(range(s, min(s + per, len(recs)))) for s in range(0, len(recs), per)]
    jpegs: list[tuple[bytes, int, int]] = []
    for page_no, group_recs in enumerate(groups, start=1):
        page_rng = random.Random(f"{rng.random()}")
        paper = (
            246 + page_rng.randint(-6, 4),
            243 + page_rng.randint(-6, 4),
            232 + page_rng.randint(-8, 6),
        )
        a4 = (round(8.27 * dpi), round(11.69 * dpi))
        if layout == "block" and not spreads:
            size = a4
        elif spreads:
            size = (round(16.54 * dpi), round(11.69 * dpi))
        else:
            size = (round(11.69 * dpi), round(8.27 * dpi))
        canvas = Canvas(Image.new("RGB", size, paper), dpi / 200, page_rng)
        canvas.label_font, canvas.label_bold = variety.label_font, variety.label_bold
        gutter: int | None = None
        halves: dict[int, str] = {}
        struck: dict[int, dict[str, str]] = {}
        per_record: dict[int, dict[str, Box]]
        for k, i in enumerate(group_recs):
            # Facing block pages on one image keep their own printed numbers (2n-1, 2n).
            trang = 2 * page_no - 1 + k if layout == "block" and spreads else page_no
            recs[i]["trangSo"] = Value(str(trang), str(trang))
        if layout == "block" and spreads:
            per_record, gutter, halves, struck = render_block_spread(
                canvas, pen, register, recs, group_recs, variety, paper, a4
            )
        elif layout == "block":
            i = group_recs[0]
            per_record = {
                i: render_block_page(
                    canvas,
                    pen,
                    register,
                    recs[i],
                    page_no,
                    recs[i]["so"].text or "",
                    PRINTING_LAYOUTS[variety.printing],
                    wrap=variety.wide,
                )
            }
            struck[i] = struck_words(canvas.lines)
        else:
            per_record, gutter = render_ledger_page(
                canvas,
                pen,
                register,
                [(i, recs[i]) for i in group_recs],
                LEDGER_ROWS[spreads],
                page_no,
                recs[group_recs[0]]["quyenSo"],
                spreads,
            )
        blots = draw_blots(canvas, pen, variety.blot_rate)
        deg = degrade_page(canvas.image, degrade, page_rng.randrange(2**32))
        name = f"pages/{page_no:04d}.jpg"
        (out / name).write_bytes(deg.jpeg)
        jpegs.append((deg.jpeg, deg.width, deg.height))
        gx = None
        if gutter is not None:
            gx0, _, gx1, _ = deg.map_box((gutter, size[1] // 2, gutter, size[1] // 2))
            gx = (gx0 + gx1) // 2
        page_truth: PageTruth = {
            "page": page_no, "file": name, "width": deg.width, "height": deg.height,
            "rotation": round(deg.rotation, 3), "spread": spreads,
            "gutter_x": gx,
            "lines": [{**ln.as_json(), "bbox": list(deg.map_box(ln.bbox))} for ln in canvas.lines],
            "records": group_recs,
        }  # fmt: skip
        if variety.wide:
            page_truth["blots"] = [list(deg.map_box(b)) for b in blots]
        pages.append(page_truth)
        for row, i in enumerate(group_recs):
            rt = record_truth(
                register,
                i,
                page_no,
                row if layout == "table" else None,
                recs[i],
                per_record.get(i, {}),
                deg.map_box,
                struck.get(i, {}),
            )
            if i in halves:
                rt["half"] = halves[i]
            truth_records[i] = rt
    write_pdf(out / "book.pdf", jpegs, dpi)
    truth: BookTruth = {
        "generator": "sohoa synth", "version": 1, "register": register, "layout": layout,
        "style": style, "seed": seed, "dpi": dpi, "degrade": degrade,
        "ledger": {"register": register, "commune": book.commune.ward, "book": book.quyen,
                   "year": book.year, "noiDangKy": book.noi_dang_ky},
        "pages": pages, "records": [truth_records[i] for i in range(len(recs))],
        "planted_errors": planted,
    }  # fmt: skip
    if not (group == TUNING and not wide and hand_font is None):
        truth["group"] = variety.group
        truth["wide"] = variety.wide
        truth["printing"] = variety.printing
        truth["fonts"] = {
            "value": variety.pen.font,
            "label": variety.label_font,
            "label_bold": variety.label_bold,
        }
    (out / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return out


def render_block_spread(
    canvas: Canvas,
    pen: Pen,
    register: str,
    recs: list[Record],
    group_recs: list[int],
    variety: Variety,
    paper: tuple[int, int, int],
    a4: tuple[int, int],
) -> tuple[dict[int, dict[str, Box]], int, dict[int, str], dict[int, dict[str, str]]]:
    """Two facing block pages on one A3 landscape image: each drawn as an A4 page, then laid
    left and right of the fold. Returns boxes per record, the fold's x, each record's half and
    its crossed-out words."""
    per_record: dict[int, dict[str, Box]] = {}
    halves: dict[int, str] = {}
    struck: dict[int, dict[str, str]] = {}
    for half, i in zip(("left", "right"), group_recs, strict=False):
        sub = Canvas(Image.new("RGB", a4, paper), canvas.scale, canvas.rng)
        sub.label_font, sub.label_bold = canvas.label_font, canvas.label_bold
        boxes = render_block_page(
            sub,
            pen,
            register,
            recs[i],
            int(recs[i]["trangSo"].value),
            recs[i]["so"].text or "",
            PRINTING_LAYOUTS[variety.printing],
            wrap=variety.wide,
        )
        dx = 0 if half == "left" else a4[0]
        canvas.image.paste(sub.image, (dx, 0))
        for ln in sub.lines:
            x0, y0, x1, y1 = ln.bbox
            canvas.lines.append(
                Line(ln.text, (x0 + dx, y0, x1 + dx, y1), ln.kind, ln.style, ln.field, ln.struck)
            )
        per_record[i] = {c: (b[0] + dx, b[1], b[2] + dx, b[3]) for c, b in boxes.items()}
        halves[i] = half
        struck[i] = struck_words(sub.lines)
    gutter = a4[0]
    # The fold: a soft shadow darkening towards the middle of the spread.
    d = canvas.draw
    half_w = canvas.px(14)
    for dx in range(-half_w, half_w + 1):
        k = 1.0 - abs(dx) / (half_w + 1)
        shade = tuple(round(c * (1.0 - 0.35 * k)) for c in paper)
        d.line((gutter + dx, 0, gutter + dx, canvas.image.height), fill=shade)
    return per_record, gutter, halves, struck


def struck_words(lines: list[Line]) -> dict[str, str]:
    """field -> the word crossed out on its line(s), for one record's page."""
    return {ln.field: ln.struck for ln in lines if ln.struck and ln.field}


def draw_blots(canvas: Canvas, pen: Pen, rate: float) -> list[Box]:
    """Ink blots beside some written values (never over their text)."""
    if rate <= 0 or canvas.rng.random() >= rate:
        return []
    values = [ln for ln in canvas.lines if ln.kind == "value"]
    if not values:
        return []
    out = []
    for _ in range(canvas.rng.randint(1, 2)):
        ln = canvas.rng.choice(values)
        _, y0, x1, y1 = ln.bbox
        r = canvas.px(canvas.rng.randint(6, 14))
        out.append(blot(canvas, x1 + r + canvas.px(18), (y0 + y1) // 2, r, pen.ink))
    return out


def record_truth(
    register: str,
    index: int,
    page: int,
    row: int | None,
    rec: Record,
    boxes: dict[str, Box],
    map_box: Callable[[Box], Box],
    struck: dict[str, str] | None = None,
) -> RecordTruth:
    """Fields of one record: printed ones with text + box; book/derived ones with value only."""
    known = register_fields(register)
    fields: dict[str, FieldTruth] = {}
    for code, val in rec.items():
        if code not in known:
            continue
        if code == "loaiDangKy":
            box = boxes.get(code)
            label = next((t for t, c in TICK_BOXES.get(register, []) if c == val.code), None)
            if box is not None and label is not None:
                fields[code] = {"value": val.value, "text": label, "bbox": list(map_box(box))}
            else:
                # Nothing ticked on the page (ledgers have no boxes): the reading is the
                # 'none ticked' default of REGISTERS.md §6.8, not the clerk's hidden intent.
                fields[code] = {"value": none_ticked(register, val), "text": None, "bbox": None}
        elif code in boxes:
            fields[code] = {
                "value": val.value,
                "text": val.text,
                "bbox": list(map_box(boxes[code])),
            }
            if struck and code in struck:
                # Written wrong, crossed out, rewritten: the book says `text`; this was struck.
                fields[code]["struck"] = struck[code]
        elif val.text is None:
            fields[code] = {"value": val.value, "text": None, "bbox": None}
    return {"index": index, "page": page, "row": row, "fields": fields}


NONE_TICKED = {
    "khai-sinh": ("loaiDangKy_KS", "6"),
    "khai-tu": ("loaiDangKy_KT", "0"),
    "ket-hon": ("loaiDangKy_KH", "1"),
    "nhan-cha-me-con": ("loaiDangKy_CMC", "0"),
}


def none_ticked(register: str, val: Value) -> str:
    code_list, code = NONE_TICKED.get(register, ("", ""))
    return field_enum(code_list)[code] if code_list else val.value


def write_pdf(path: Path, jpegs: list[tuple[bytes, int, int]], dpi: int) -> None:
    """One JPEG per page, no timestamps or random IDs, so the file is reproducible."""
    import pymupdf as fitz

    doc = fitz.open()
    for data, w, h in jpegs:
        page = doc.new_page(width=w * 72 / dpi, height=h * 72 / dpi)
        page.insert_image(page.rect, stream=data)
    doc.set_metadata(
        {
            "producer": "sohoa synth",
            "creator": "sohoa synth",
            "creationDate": "",
            "modDate": "",
            "title": "",
            "author": "",
            "subject": "",
            "keywords": "",
        }
    )
    doc.save(str(path), garbage=3, deflate=True, no_new_id=True)
    doc.close()
