"""Page preprocessing: orientation, crop, gutter, deskew and contrast as named stages."""

from __future__ import annotations

from ocr_service.preprocess.contrast import normalise_contrast
from ocr_service.preprocess.crop import crop_page
from ocr_service.preprocess.gutter import find_gutter
from ocr_service.preprocess.orientation import detect_orientation, rotate_upright
from ocr_service.preprocess.pipeline import (
    PreprocessOptions,
    PreprocessResult,
    map_bbox_to_original,
    map_bbox_to_processed,
    preprocess_page,
)
from ocr_service.preprocess.skew import deskew, estimate_skew

__all__ = [
    "PreprocessOptions",
    "PreprocessResult",
    "crop_page",
    "deskew",
    "detect_orientation",
    "estimate_skew",
    "find_gutter",
    "map_bbox_to_original",
    "map_bbox_to_processed",
    "normalise_contrast",
    "preprocess_page",
    "rotate_upright",
]
