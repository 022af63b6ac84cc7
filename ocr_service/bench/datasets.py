"""Labelled page sets for the benchmark: sohoa synth sets, PAGE 2019 XML and ALTO v4."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from lxml import etree

from ocr_service.bench.metrics import TruthLine, nfc

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


@dataclass
class BenchPage:
    """One page image with its ground-truth lines."""

    image: Path
    lines: list[TruthLine]
    dataset: str
    name: str = ""
    meta: dict[str, object] = field(default_factory=dict)
    # How the truth draws a line: "bbox" (synth: the ink's box) or "region" (PAGE/ALTO:
    # the transcriber's line area, compared with the engine's line polygons).
    geometry: str = "bbox"


REAL = "real"  # sets of real scans (PAGE/ALTO): neither synthetic group


def synth_group(truth: dict[str, object]) -> str:
    """The catalogue group (tuning | held-out) a synthetic book was drawn from; refuses a book
    whose fonts or printing belong to another group than it says (one set, one group)."""
    from ocr_service.synth.catalog import PRINTINGS, TUNING, font_group

    group = str(truth.get("group") or TUNING)
    fonts = truth.get("fonts") or {}
    used = list(fonts.values()) if isinstance(fonts, dict) else []
    for f in used:
        if font_group(str(f)) != group:
            raise ValueError(f"set mixes groups: font {f} is {font_group(str(f))}, set is {group}")
    printing = truth.get("printing")
    if printing is not None and PRINTINGS.get(str(printing)) != group:
        raise ValueError(f"set mixes groups: printing {printing} is not {group}")
    return group


def read_synth_set(folder: Path) -> list[BenchPage]:
    """Pages of a `sohoa synth` set: OUT/truth.json + OUT/pages/*.jpg."""
    truth = json.loads((folder / "truth.json").read_text("utf-8"))
    group = synth_group(truth)
    default_style = truth.get("style", "typed")
    pages = []
    for page in truth["pages"]:
        lines = [
            TruthLine(
                text=nfc(ln["text"]),
                bbox=_int_box(ln["bbox"]),
                style=ln.get("style") or default_style,
                kind=ln.get("kind") or "other",
                field=ln.get("field"),
            )
            for ln in page["lines"]
        ]
        pages.append(
            BenchPage(
                image=folder / page["file"],
                lines=lines,
                dataset=folder.name,
                name=f"{folder.name}/{page['file']}",
                meta={
                    "layout": truth.get("layout"),
                    "register": truth.get("register"),
                    "group": group,
                },
            )
        )
    return pages


def _int_box(b: list[float]) -> tuple[int, int, int, int]:
    return (round(b[0]), round(b[1]), round(b[2]), round(b[3]))


def _points_box(points: list[tuple[float, float]]) -> tuple[int, int, int, int]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def read_page_xml(xml: Path) -> list[TruthLine]:
    """TextLines of a PAGE (2019) file: polygon box, NFC text; "printed" type → typed style."""
    root = etree.parse(str(xml)).getroot()
    lines = []
    for el in root.iter():
        if _local(el.tag) != "TextLine":
            continue
        coords = next((c for c in el if _local(c.tag) == "Coords"), None)
        if coords is None:
            continue
        pts = [tuple(map(float, p.split(","))) for p in coords.get("points", "").split()]
        if not pts:
            continue
        texts = [u.text or "" for u in el.iter() if _local(u.tag) == "Unicode"]
        # The line's own TextEquiv comes after its words' ones: take the last.
        text = nfc(texts[-1]) if texts else ""
        custom = el.get("custom", "")
        kind = "other"
        if "type:" in custom:
            kind = custom.split("type:", 1)[1].split(";", 1)[0].strip().lower()
        style = "typed" if kind == "printed" else "hand"
        lines.append(TruthLine(text=text, bbox=_points_box(pts), style=style, kind=kind))  # type: ignore[arg-type]
    return lines


def read_alto_xml(xml: Path) -> list[TruthLine]:
    """TextLines of an ALTO (v4) file: HPOS/VPOS/WIDTH/HEIGHT box, Strings joined, NFC."""
    root = etree.parse(str(xml)).getroot()
    lines = []
    for el in root.iter():
        if _local(el.tag) != "TextLine":
            continue
        x, y = float(el.get("HPOS", 0)), float(el.get("VPOS", 0))
        w, h = float(el.get("WIDTH", 0)), float(el.get("HEIGHT", 0))
        words = [s.get("CONTENT", "") for s in el.iter() if _local(s.tag) == "String"]
        lines.append(
            TruthLine(
                text=nfc(" ".join(words)),
                bbox=(round(x), round(y), round(x + w), round(y + h)),
                style="hand",  # the Lyon tables are handwritten; ALTO carries no line type here
                kind="other",
            )
        )
    return lines


def read_xml(xml: Path) -> list[TruthLine]:
    """PAGE or ALTO, told apart by the root element."""
    root = etree.parse(str(xml)).getroot()
    return read_alto_xml(xml) if _local(root.tag).lower() == "alto" else read_page_xml(xml)


def read_xml_set(folder: Path) -> list[BenchPage]:
    """Images with a same-named .xml beside them (PAGE or ALTO)."""
    pages = []
    for xml in sorted(folder.glob("*.xml")):
        image = next(
            (xml.with_suffix(s) for s in IMAGE_SUFFIXES if xml.with_suffix(s).is_file()), None
        )
        if image is not None:
            pages.append(
                BenchPage(
                    image=image,
                    lines=read_xml(xml),
                    dataset=folder.name,
                    name=image.name,
                    geometry="region",
                    meta={"group": REAL},
                )
            )
    return pages


def load_dataset(folder: Path) -> list[BenchPage]:
    """A labelled set: a sohoa synth folder (truth.json with pages/lines) or image + XML pairs."""
    truth = folder / "truth.json"
    if truth.is_file():
        data = json.loads(truth.read_text("utf-8"))
        pages = data.get("pages") or []
        if pages and "lines" in pages[0]:
            return read_synth_set(folder)
    pages_xml = read_xml_set(folder)
    if not pages_xml:
        raise FileNotFoundError(f"no labelled pages in {folder} (truth.json or image + .xml)")
    return pages_xml


def load_image(path: Path) -> np.ndarray:
    """An 8-bit BGR image; alpha flattened onto white (the Lyon PNG is RGBA)."""
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"cannot decode {path}")
    if img.dtype != np.uint8:
        img = cv2.convertScaleAbs(img, alpha=255.0 / max(1, int(img.max())))
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        flat: np.ndarray = img[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return flat.astype(np.uint8)
    return img
