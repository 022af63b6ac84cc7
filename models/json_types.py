"""Shapes of the JSON kept in database columns, and the name for JSON that has no fixed shape."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

# typing_extensions: pydantic reads TypedDicts (the API returns these) only from there on 3.11.
from typing_extensions import TypedDict

# A JSON object whose keys this code does not fix: a user's layout file (checked by the layout
# parser, stored as given), an audit event's per-action payload. Known shapes get a TypedDict.
JsonObject = dict[str, Any]


class WarningJson(TypedDict):
    """A data-quality finding on a record (extract.containers.RecordWarning, stored)."""

    field: str | None  # the field code, None for the record as a whole
    rule: str  # e.g. 'sequence-gap', 'review-rejected'
    message: str  # Vietnamese, for clerks
    severity: NotRequired[Literal["error", "warning"]]
    scope: NotRequired[str]  # 'book': found by the pass over the whole book


class PreprocessJson(TypedDict):
    """How a page image was made upright and straight (preprocess.pipeline.PreprocessInfo)."""

    rotation: int  # degrees clockwise, a multiple of 90
    skew: float  # degrees counter-clockwise applied
    crop_box: list[int]  # x0, y0, x1, y1 in original-image pixels
    gutter_x: int | None  # the fold of a two-page spread, in processed-image pixels
    sides: list[list[int]]
    side_skews: list[float]
    to_original: list[list[float]]  # 2x3 affine: processed-image pixels → original pixels
    # 3x3, processed-image pixels → original pixels, present only when the paper was corrected
    # for perspective (then `to_original` is its closest affine over the processed image)
    homography: NotRequired[list[list[float]]]
