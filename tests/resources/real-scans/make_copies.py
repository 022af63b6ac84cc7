"""Make the test copies of the real register scans from the published files.

Run from the repository root with the folder of the originals (see README.md beside this file):

    python3 tests/resources/real-scans/make_copies.py ORIGINALS [--quality 85]

Each scan with a long side over 3,600 px is shrunk exactly as the OCR benchmark shrinks it
(``ocr_service.bench.runner.prepare_image``: OpenCV INTER_AREA to a 3,600 px long side) and
saved as JPEG; its PAGE XML gets every coordinate multiplied by the same scale (rounded to
whole pixels, the text untouched); truth.json's pixel facts follow. Smaller scans are copied
unchanged. So the copies keep the originals' promise: coordinates are pixels of the image as
stored, and the benchmark reads the same pixels it read from the originals.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import cv2

from ocr_service.bench.runner import MAX_SIDE, prepare_image

HERE = Path(__file__).resolve().parent
QUALITY = 85  # the spreads come to ~1.2 MB each; OCR and preprocessing read them as before


def _scale_points(text: str, scale: float) -> str:
    def one(match: re.Match[str]) -> str:
        pairs = []
        for pair in match.group(1).split():
            x, y = pair.split(",")
            pairs.append(f"{round(float(x) * scale)},{round(float(y) * scale)}")
        return f'points="{" ".join(pairs)}"'

    return re.sub(r'points="([^"]*)"', one, text)


def scale_page_xml(text: str, scale: float, width: int, height: int) -> str:
    """A PAGE XML's coordinates multiplied by ``scale``, its page size set to the copy's."""
    text = re.sub(r'imageWidth="\d+"', f'imageWidth="{width}"', text, count=1)
    text = re.sub(r'imageHeight="\d+"', f'imageHeight="{height}"', text, count=1)
    return _scale_points(text, scale)


def _px(value: Any, scale: float) -> Any:
    if isinstance(value, list):
        return [round(v * scale) for v in value]
    return round(value * scale)


def _file_facts(path: Path) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "bytes": path.stat().st_size}


def copy_page(page: dict[str, Any], source: Path, out: Path, quality: int) -> dict[str, Any]:
    """Write one scan and its XML into ``out``; its truth.json entry for the copy."""
    image_path, xml_path = source / page["file"], source / page["xml"]
    published = {
        **_file_facts(image_path),
        "width": page["image"]["width"],
        "height": page["image"]["height"],
        "xml_sha256": _file_facts(xml_path)["sha256"],
    }
    image, scale = prepare_image(image_path, MAX_SIDE)
    if scale == 1.0:
        shutil.copyfile(image_path, out / page["file"])
        shutil.copyfile(xml_path, out / page["xml"])
        return {**page, "copy": {"scale": 1.0, "changed": "nothing: copied unchanged"}}
    height, width = image.shape[:2]
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1]
    ok, data = cv2.imencode(".jpg", image, params)
    if not ok:
        raise RuntimeError(f"cannot encode {image_path}")
    (out / page["file"]).write_bytes(data.tobytes())
    xml = scale_page_xml(xml_path.read_text("utf-8"), scale, width, height)
    (out / page["xml"]).write_text(xml, "utf-8")
    copied = copy.deepcopy(page)
    copied.update(_file_facts(out / page["file"]))
    image_facts = copied["image"]
    # The resolution the copy has on paper (OpenCV writes no density into the file).
    image_facts.update(
        width=width, height=height, dpi=[round(d * scale) for d in image_facts["dpi"]]
    )
    image_facts.pop("exif_orientation", None)
    image_facts.pop("exif_stated_size_differs", None)  # OpenCV writes no EXIF
    records = copied.get("records", {})
    if "column_x_range_at_header" in records:
        records["column_x_range_at_header"] = _px(records["column_x_range_at_header"], scale)
    gutter = copied["gutter"]
    gutter["x"] = _px(gutter["x"], scale)
    gutter["clear_range"] = _px(gutter["clear_range"], scale)
    if "photo_bbox" in copied:
        copied["photo_bbox"] = _px(copied["photo_bbox"], scale)
    copied["copy"] = {
        "scale": scale,
        "changed": (
            f"shrunk with OpenCV INTER_AREA to a {MAX_SIDE} px long side, JPEG quality "
            f"{quality}; XML coordinates and the pixel facts here multiplied by scale"
        ),
        "published": published,
    }
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("originals", type=Path, help="folder of the published scans + truth.json")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--quality", type=int, default=QUALITY)
    args = parser.parse_args()
    truth_path = args.originals / "truth.json"
    if not truth_path.is_file():
        parser.error(f"no truth.json in {args.originals}")
    truth = json.loads(truth_path.read_text("utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    truth["set"] = "tests/resources/real-scans"
    truth["pages"] = [copy_page(p, args.originals, args.out, args.quality) for p in truth["pages"]]
    text = json.dumps(truth, ensure_ascii=False, indent=1) + "\n"
    (args.out / "truth.json").write_text(text, "utf-8")


if __name__ == "__main__":
    main()
