"""Orchestrator: orient, crop, split, deskew and normalise a page, keeping the way back."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.json_types import PreprocessJson
from ocr_service.preprocess.contrast import normalise_contrast
from ocr_service.preprocess.crop import crop_page
from ocr_service.preprocess.geometry import (
    BBox,
    affine_fit,
    compose_transform,
    identity_affine,
    invert_affine,
    invert_transform,
    map_bbox,
    map_points,
    quarter_turn_affine,
    translate_affine,
)
from ocr_service.preprocess.gutter import find_gutter
from ocr_service.preprocess.orientation import detect_orientation, rotate_upright
from ocr_service.preprocess.perspective import find_paper_quad, rectify
from ocr_service.preprocess.skew import deskew, estimate_skew

MIN_SKEW_DEG = 0.1  # smaller tilts are within the estimate's noise: not worth resampling for


@dataclass(frozen=True)
class PreprocessOptions:
    """Which stages run. Every stage can be turned off on its own."""

    orient: bool = True
    perspective: bool = False  # a photographed sheet's four sides made a rectangle (opt-in)
    crop: bool = True
    split: bool = True  # look for the gutter of a double-page spread
    deskew: bool = True
    contrast: bool = True  # output becomes greyscale when on
    min_skew_deg: float = MIN_SKEW_DEG


@dataclass
class PreprocessResult:
    """A processed page and the geometry that links it to the original image.

    ``from_original`` maps original-image pixels to processed-image pixels (2x3 affine, or a
    3x3 homography when the paper's perspective was corrected); ``to_original`` is its
    inverse. ``crop_box`` is in original-image pixels (of the upright image when ``rotation``
    is not 0, mapped back; of the corrected paper's outline when ``perspective``);
    ``gutter_x`` and ``sides`` are in processed-image pixels."""

    image: np.ndarray
    rotation: int  # degrees clockwise applied to make the page upright: 0, 90, 180, 270
    skew: float  # degrees counter-clockwise applied (the estimated skew; 0.0 when not applied)
    crop_box: BBox
    gutter_x: int | None
    sides: list[BBox]
    to_original: np.ndarray
    from_original: np.ndarray
    side_skews: list[float] = field(default_factory=list)  # estimated per side, before deskew

    @property
    def perspective(self) -> bool:
        """Whether the paper's four corners were made a rectangle (the transform is a
        homography, not affine)."""
        return np.shape(self.to_original) == (3, 3)

    def info(self) -> PreprocessInfo:
        """The geometry of this result without the images, rounded as it is stored."""
        h, w = self.image.shape[:2]
        homography = None
        if self.perspective:
            homography = np.asarray(self.to_original).round(9).tolist()
        return PreprocessInfo(
            rotation=self.rotation,
            skew=round(float(self.skew), 3),
            crop_box=_int_box(self.crop_box),
            gutter_x=self.gutter_x,
            sides=[_int_box(side) for side in self.sides],
            side_skews=[round(float(v), 3) for v in self.side_skews],
            to_original=affine_fit(self.to_original, (0, 0, w, h)).round(6).tolist(),
            homography=homography,
        )

    def map_bbox_to_original(self, bbox: BBox) -> BBox:
        """The original-image box enclosing ``bbox`` (processed-image pixels)."""
        return map_bbox_to_original(self, bbox)

    def side_image(self, index: int) -> np.ndarray:
        """The processed image cut to page side ``index`` (a view, no copy)."""
        x0, y0, x1, y1 = self.sides[index]
        return self.image[y0:y1, x0:x1]


@dataclass(frozen=True)
class PreprocessInfo:
    """How a page image was made upright and straight, kept with the page (`Page.preprocess`).

    Fields as in PreprocessResult; `to_original` is the 2x3 affine as nested lists, rounded to
    6 decimals, so boxes read on the processed image can be mapped back to the scan.
    """

    rotation: int
    skew: float
    crop_box: BBox
    gutter_x: int | None
    sides: list[BBox]
    side_skews: list[float]
    to_original: list[list[float]]
    homography: list[list[float]] | None = None

    def to_json(self) -> PreprocessJson:
        out = PreprocessJson(
            rotation=self.rotation,
            skew=self.skew,
            crop_box=list(self.crop_box),
            gutter_x=self.gutter_x,
            sides=[list(side) for side in self.sides],
            side_skews=list(self.side_skews),
            to_original=[list(row) for row in self.to_original],
        )
        if self.homography is not None:
            out["homography"] = [list(row) for row in self.homography]
        return out


def _int_box(box: BBox) -> BBox:
    # numpy integers cannot be stored as JSON
    x0, y0, x1, y1 = box
    return int(x0), int(y0), int(x1), int(y1)


def map_bbox_to_original(result: PreprocessResult, bbox: BBox) -> BBox:
    """The axis-aligned box in original-image pixels that encloses ``bbox`` given in
    processed-image pixels (corners mapped through ``to_original``)."""
    return map_bbox(result.to_original, bbox)


def map_bbox_to_processed(result: PreprocessResult, bbox: BBox) -> BBox:
    """The processed-image box enclosing ``bbox`` given in original-image pixels."""
    return map_bbox(result.from_original, bbox)


def _estimate_sides_skew(img: np.ndarray, gutter: int | None) -> list[float]:
    if gutter is None:
        return [estimate_skew(img)]
    return [estimate_skew(img[:, :gutter]), estimate_skew(img[:, gutter:])]


def preprocess_page(
    img: np.ndarray, *, options: PreprocessOptions | None = None
) -> PreprocessResult:
    """Run the enabled stages on one page image (8-bit grey, BGR or BGRA; not modified).

    Order: orientation (quarter turn) -> perspective (a photographed paper's four corners) ->
    crop -> gutter -> skew (one angle for the whole image, the mean of the sides) -> contrast.
    Every geometric step is folded into one transform (affine, or a homography after a
    perspective correction) so boxes found on the result map back to the original."""
    opts = options or PreprocessOptions()
    h0, w0 = img.shape[:2]
    from_original = identity_affine()
    page = img

    rotation = detect_orientation(page) if opts.orient else 0
    if rotation:
        page = rotate_upright(page, rotation)
        from_original = quarter_turn_affine(rotation // 90, w0, h0)

    to_upright = invert_affine(quarter_turn_affine(rotation // 90, w0, h0))
    quad = find_paper_quad(page) if opts.perspective else None
    paper_box: BBox | None = None
    if quad is not None:
        lo = np.floor(quad.corners.min(axis=0))
        hi = np.ceil(quad.corners.max(axis=0))
        paper_box = (
            max(0, int(lo[0])),
            max(0, int(lo[1])),
            min(page.shape[1], int(hi[0])),
            min(page.shape[0], int(hi[1])),
        )
        page, m = rectify(page, quad)
        from_original = compose_transform(m, from_original)

    up_h, up_w = page.shape[:2]
    box: BBox = (0, 0, up_w, up_h)
    if opts.crop and quad is None:  # the paper's outline was the crop
        page, box = crop_page(page)
        from_original = compose_transform(translate_affine(-box[0], -box[1]), from_original)
    crop_box = map_bbox(to_upright, paper_box or box)

    gutter = find_gutter(page, crop=False) if opts.split else None

    skew = 0.0
    side_skews: list[float] = []
    if opts.deskew:
        side_skews = _estimate_sides_skew(page, gutter)
        mean_skew = round(float(np.mean(side_skews)), 2)
        if abs(mean_skew) >= opts.min_skew_deg:
            page, m = deskew(page, mean_skew)
            from_original = compose_transform(m, from_original)
            if gutter is not None:
                mid = map_points(m, np.array([[gutter, page.shape[0] / 2]]))
                gutter = round(float(mid[0, 0]))
            skew = mean_skew

    ph, pw = page.shape[:2]
    if gutter is not None and 0 < gutter < pw:
        sides: list[BBox] = [(0, 0, gutter, ph), (gutter, 0, pw, ph)]
    else:
        gutter = None
        sides = [(0, 0, pw, ph)]

    if opts.contrast:
        page = normalise_contrast(page)
    elif np.shares_memory(page, img):
        page = page.copy()  # the result never aliases the caller's original

    return PreprocessResult(
        image=page,
        rotation=rotation,
        skew=skew,
        crop_box=crop_box,
        gutter_x=gutter,
        sides=sides,
        to_original=invert_transform(from_original),
        from_original=from_original,
        side_skews=side_skews,
    )
