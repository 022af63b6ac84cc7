"""Second reader: low-confidence lines are read again by another engine on the same crop."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace

import numpy as np
from rapidfuzz.distance import Levenshtein

from ocr_service.ocr.base import OcrEngine, crop_line
from ocr_service.ocr.containers import OcrLine, OcrPage

log = logging.getLogger(__name__)

AGREE_SIMILARITY = 0.95  # normalised similarity that still counts as the same reading
DISAGREE_CAP = 0.3  # confidence ceiling when the engines read different text: the clerk looks
AGREE_FLOOR = 0.9  # two independent engines reading the same text are rarely both wrong
FLAG_AGREE = "engines-agree"
FLAG_DISAGREE = "engines-disagree"
FLAG_FAILED = "second-reader-failed"


def normalise_text(text: str) -> str:
    """NFC, lower case, punctuation dropped, single spaces: how readings are compared."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def texts_agree(a: str, b: str) -> bool:
    """True when two readings are equal, or nearly (one slip in a long line), after normalising."""
    na, nb = normalise_text(a), normalise_text(b)
    if not na or not nb:
        return False
    return na == nb or Levenshtein.normalized_similarity(na, nb) >= AGREE_SIMILARITY


def combine_line(line: OcrLine, text: str, confidence: float) -> OcrLine:
    """The primary line updated with the second engine's reading of the same crop."""
    flags = [f for f in line.flags if f not in (FLAG_AGREE, FLAG_DISAGREE)]
    if texts_agree(line.text, text):
        # Independent errors rarely coincide: agreement is stronger than either engine alone.
        joint = 1.0 - (1.0 - line.confidence) * (1.0 - confidence)
        conf = min(0.99, max(AGREE_FLOOR, line.confidence, confidence, joint))
        return replace(line, confidence=conf, flags=[*flags, FLAG_AGREE])
    return replace(
        line,
        confidence=min(line.confidence, DISAGREE_CAP),
        flags=[*flags, FLAG_DISAGREE],
        alt_text=text or "",
    )


def read_page_with_second_reader(
    primary: OcrEngine,
    secondary: OcrEngine,
    image: np.ndarray,
    threshold: float = 0.8,
    page: OcrPage | None = None,
) -> OcrPage:
    """Read the page with ``primary``; re-read every line under ``threshold`` with ``secondary``.

    ``page``: the primary reading when already done. A failing second engine never loses the
    primary reading: the line keeps it and is flagged "second-reader-failed".
    """
    first = page if page is not None else primary.read_page(image)
    lines: list[OcrLine] = []
    for line in first.lines:
        if line.confidence >= threshold:
            lines.append(line)
            continue
        crop = crop_line(image, line.bbox, pad_y=0.1, pad_x=0.1)
        try:
            text, conf = secondary.read_line(crop)
        except Exception as exc:  # any engine failure: keep the primary reading
            log.warning("second reader %s failed on a line: %s", secondary.name, type(exc).__name__)
            lines.append(replace(line, flags=[*line.flags, FLAG_FAILED]))
            continue
        lines.append(combine_line(line, text, conf))
    return replace(
        first,
        lines=lines,
        engine_version=f"{first.engine_version}; second reader {secondary.name} "
        f"{secondary.version()}",
    )
