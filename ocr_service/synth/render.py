"""Text and mark drawing on a page canvas; every call returns the ink box it produced."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from ocr_service.errors import BadInput
from ocr_service.synth.catalog import VIETNAMESE_LETTERS, hand_scale
from ocr_service.synth.truth import LineTruth

FONT_DIR = Path(__file__).parent / "fonts"
PRINT_FONT = "DejaVuSerif-subset.ttf"
PRINT_BOLD = "DejaVuSerif-Bold-subset.ttf"
TYPED_VALUE_FONT = "DejaVuSans-subset.ttf"
# The hand fonts of the books drawn before issue #13 (`wide=False`); catalog.FONTS has them all.
HAND_FONTS = ("PatrickHand-Regular.ttf", "DancingScript-VF.ttf", "Itim-Regular.ttf")

PRINT_INK = (28, 28, 30)
TYPED_INK = (20, 20, 26)
HAND_INKS = ((24, 42, 130), (20, 30, 95), (35, 35, 45), (30, 60, 150))

Box = tuple[int, int, int, int]


@lru_cache(maxsize=64)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: no dependency on the system's libraqm, so output is the same everywhere.
    return ImageFont.truetype(str(FONT_DIR / name), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=16)
def font_coverage(name: str) -> frozenset[str]:
    """Characters the font maps to a glyph (its cmap)."""
    cmap = TTFont(str(FONT_DIR / name), lazy=True).getBestCmap()
    return frozenset(chr(c) for c in cmap)


def require_vietnamese(name: str) -> None:
    """A font the generator draws with must map every Vietnamese letter with every tone."""
    missing = sorted(VIETNAMESE_LETTERS - font_coverage(name))
    if missing:
        raise BadInput(f"font {name} lacks Vietnamese glyphs {''.join(missing)!r}")


def check_coverage(name: str, text: str) -> None:
    """A missing glyph would print as a box: refuse instead of writing a wrong truth."""
    missing = sorted({c for c in text if not c.isspace()} - font_coverage(name))
    if missing:
        raise BadInput(f"font {name} lacks glyphs for {''.join(missing)!r}")


@dataclass
class Line:
    """One visual text line as recorded in truth.json."""

    text: str
    bbox: Box
    kind: str
    style: str
    field: str | None = None
    struck: str | None = None  # a word written, crossed out and replaced on this line

    def as_json(self) -> LineTruth:
        out: LineTruth = {
            "text": self.text,
            "bbox": list(self.bbox),
            "kind": self.kind,
            "style": self.style,
            "field": self.field,
        }
        if self.struck is not None:
            out["struck"] = self.struck
        return out


@dataclass
class Canvas:
    """A page being drawn plus the truth lines drawn on it."""

    image: Image.Image
    scale: float
    rng: random.Random
    lines: list[Line] = field(default_factory=list)
    label_font: str = "DejaVuSerif-subset.ttf"
    label_bold: str = "DejaVuSerif-Bold-subset.ttf"

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)

    def px(self, v: float) -> int:
        return round(v * self.scale)


@dataclass
class Pen:
    """How values are written in this book: a print font or one clerk's hand."""

    style: str
    font: str
    ink: tuple[int, int, int]
    size: int
    jitter: float
    # Issue #13's wider books: chance that a handwritten value has a word crossed out and
    # rewritten after it (0 before).
    strike_rate: float = 0.0

    def value_size(self) -> int:
        return round(self.size * hand_scale(self.font)) if self.style == "hand" else self.size


def text_width(font_name: str, size: int, text: str) -> int:
    return int(load_font(font_name, size).getlength(text))


def draw_text(
    canvas: Canvas,
    x: int,
    baseline: int,
    text: str,
    font_name: str,
    size: int,
    ink: tuple[int, int, int],
    *,
    angle: float = 0.0,
) -> Box:
    """Render `text` with its left baseline at (x, baseline); return the box of its ink."""
    check_coverage(font_name, text)
    font = load_font(font_name, size)
    # One FreeType render: the glyph mask and its offset from the left baseline anchor.
    core, (offx, offy) = font.getmask2(text, mode="L", anchor="ls")
    glyphs = Image.Image()._new(core)
    pad = 2 + size // 4
    patch = Image.new("L", (glyphs.width + 2 * pad, glyphs.height + 2 * pad), 0)
    patch.paste(glyphs, (pad, pad))
    ox, oy = x + offx - pad, baseline + offy - pad
    if abs(angle) > 0.01:
        w, h = patch.size
        patch = patch.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
        ox -= (patch.width - w) // 2
        oy -= (patch.height - h) // 2
    arr = np.asarray(patch)
    ys, xs = np.nonzero(arr > 60)
    if len(xs) == 0:
        return (x, baseline, x, baseline)
    canvas.image.paste(ink, (ox, oy), patch)
    return (ox + int(xs.min()), oy + int(ys.min()), ox + int(xs.max()) + 1, oy + int(ys.max()) + 1)


def fit_size(font_name: str, size: int, text: str, width: int, floor: float = 0.55) -> int:
    """Largest size <= `size` (down to floor*size) at which `text` fits in `width`."""
    s = size
    while s > size * floor and text_width(font_name, s, text) > width:
        s -= 1
    return s


def put_label(
    canvas: Canvas,
    x: int,
    baseline: int,
    text: str,
    size: int,
    *,
    bold: bool = False,
    kind: str = "label",
    max_width: int | None = None,
) -> Box:
    font = canvas.label_bold if bold else canvas.label_font
    if max_width is not None:
        size = fit_size(font, size, text, max_width, floor=0.6)
    box = draw_text(canvas, x, baseline, text, font, size, PRINT_INK)
    canvas.lines.append(Line(text, box, kind, "typed", None))
    return box


def put_value(
    canvas: Canvas,
    pen: Pen,
    x: int,
    baseline: int,
    text: str,
    width: int,
    field_code: str | None,
    *,
    kind: str = "value",
    size: int | None = None,
) -> Box:
    """Write a value the way the book's pen does, shrunk to fit its slot."""
    base = size or pen.value_size()
    struck = None
    if pen.style == "hand" and pen.strike_rate > 0 and canvas.rng.random() < pen.strike_rate:
        # A slip of the pen: one word written wrong, crossed out, and rewritten after it.
        words = text.split(" ")
        k = canvas.rng.randrange(len(words))
        struck = (k, misspell(canvas.rng, words[k]))
    drawn = text if struck is None else f"{text} {struck[1]}"
    # Handwritten words are spaced wider than the font's space: keep a margin for that.
    room = int(width * 0.93) if pen.style == "hand" else width
    s = fit_size(pen.font, base, drawn, max(room, 10))
    angle = 0.0
    dx = dy = 0
    if pen.style == "hand":
        angle = canvas.rng.uniform(-pen.jitter, pen.jitter)
        dx = canvas.rng.randint(0, canvas.px(10))
        dy = canvas.rng.randint(-canvas.px(3), canvas.px(2))
        s = max(8, s - canvas.rng.randint(0, 2))
    if pen.style == "hand" and (" " in text or struck is not None):
        box = _draw_words(canvas, pen, x + dx, baseline + dy, text, s, angle, struck)
    else:
        box = draw_text(canvas, x + dx, baseline + dy, text, pen.font, s, pen.ink, angle=angle)
    canvas.lines.append(
        Line(text, box, kind, pen.style, field_code, struck[1] if struck is not None else None)
    )
    return box


def misspell(rng: random.Random, word: str) -> str:
    """The word as first (wrongly) written: one character changed."""
    spots = [k for k, ch in enumerate(word) if ch.isalnum()] or list(range(len(word)))
    i = rng.choice(spots)
    c = word[i]
    if c.isdigit():
        new = str((int(c) + rng.randint(1, 9)) % 10)
    else:
        pool = [x for x in "aăâeêioôơuưnmhtc" if x != c.lower()]
        new = rng.choice(pool)
        new = new.upper() if c.isupper() else new
    return word[:i] + new + word[i + 1 :]


def _draw_words(
    canvas: Canvas,
    pen: Pen,
    x: int,
    baseline: int,
    text: str,
    size: int,
    angle: float,
    struck: tuple[int, str] | None = None,
) -> Box:
    """Handwriting: each word with its own small tilt and baseline shift, spacing a little
    uneven, and the line drifting with its overall slant. ``struck``: (k, wrong word) is
    written before word k and crossed out."""
    rng = canvas.rng
    font = load_font(pen.font, size)
    space = font.getlength(" ")
    slope = -np.tan(np.radians(angle))
    boxes = []
    cx = float(x)
    words: list[tuple[str, bool]] = [(w, False) for w in text.split(" ")]
    if struck is not None:
        words.insert(struck[0], (struck[1], True))
    for word, crossed in words:
        if not word:
            cx += space
            continue
        drift = round(float((cx - x) * slope)) + rng.randint(-canvas.px(2), canvas.px(2))
        box = draw_text(
            canvas,
            int(cx),
            baseline + drift,
            word,
            pen.font,
            size,
            pen.ink,
            angle=angle + rng.uniform(-0.8, 0.8),
        )
        if crossed:
            strike_through(canvas, box, pen.ink)
        boxes.append(box)
        cx += font.getlength(word) + space * rng.uniform(1.05, 1.45)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def strike_through(canvas: Canvas, box: Box, ink: tuple[int, int, int]) -> None:
    """One or two strokes through a word, as a clerk crosses out a slip."""
    x0, y0, x1, y1 = box
    rng = canvas.rng
    mid = (y0 + y1) / 2
    for _ in range(rng.randint(1, 2)):
        a = mid + rng.uniform(-0.15, 0.15) * (y1 - y0)
        b = mid + rng.uniform(-0.15, 0.15) * (y1 - y0)
        canvas.draw.line(
            [(x0 - canvas.px(4), a), (x1 + canvas.px(4), b)], fill=ink, width=max(2, canvas.px(3))
        )


def blot(canvas: Canvas, cx: int, cy: int, radius: int, ink: tuple[int, int, int]) -> Box:
    """An ink blot: a cluster of overlapping round drops; returns its box."""
    rng = canvas.rng
    d = canvas.draw
    x0, y0, x1, y1 = cx, cy, cx, cy
    for _ in range(rng.randint(4, 9)):
        r = max(2, int(radius * rng.uniform(0.3, 0.8)))
        ox = cx + int(rng.uniform(-radius, radius) * 0.7)
        oy = cy + int(rng.uniform(-radius, radius) * 0.5)
        d.ellipse((ox - r, oy - r, ox + r, oy + r), fill=ink)
        x0, y0, x1, y1 = min(x0, ox - r), min(y0, oy - r), max(x1, ox + r), max(y1, oy + r)
    return (x0, y0, x1 + 1, y1 + 1)


def dotted(canvas: Canvas, x0: int, x1: int, y: int) -> None:
    """The printed dotted leader a value is written on."""
    step = canvas.px(7)
    r = max(1, canvas.px(1))
    d = canvas.draw
    for x in range(x0, x1, step):
        d.ellipse((x - r, y - r, x + r, y + r), fill=(90, 90, 90))


def tick(canvas: Canvas, box: Box, ink: tuple[int, int, int]) -> None:
    """A hand-drawn tick (check mark) inside a tick-box."""
    x0, y0, x1, y1 = box
    rng = canvas.rng
    w, h = x1 - x0, y1 - y0
    pts = [
        (x0 + w * 0.18 + rng.uniform(-2, 2), y0 + h * 0.55 + rng.uniform(-2, 2)),
        (x0 + w * 0.42 + rng.uniform(-2, 2), y0 + h * 0.82 + rng.uniform(-2, 2)),
        (x0 + w * 0.9 + rng.uniform(-2, 2), y0 + h * 0.12 + rng.uniform(-2, 2)),
    ]
    canvas.draw.line(pts, fill=ink, width=max(2, canvas.px(4)), joint="curve")


def signature(canvas: Canvas, x: int, y: int, w: int, h: int, ink: tuple[int, int, int]) -> None:
    """A scribbled signature: a smooth random curve (not text, so no truth line)."""
    rng = canvas.rng
    n = 7
    xs = np.linspace(x, x + w, n * 8)
    phase = rng.uniform(0, 6.28)
    amp = h * 0.35
    ys = y + h / 2 + amp * np.sin(np.linspace(phase, phase + rng.uniform(9, 16), len(xs)))
    ys += np.cumsum(np.array([rng.uniform(-1.5, 1.5) for _ in xs]))
    pts = [(float(a), float(b)) for a, b in zip(xs, ys, strict=True)]
    canvas.draw.line(pts, fill=ink, width=max(2, canvas.px(3)), joint="curve")
