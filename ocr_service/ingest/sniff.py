"""Tell what an upload really is from its bytes, never from its name."""

from __future__ import annotations

from pathlib import Path

from ocr_service.errors import BadInput, UnsupportedType

PDF = "application/pdf"
TIFF = "image/tiff"
JPEG = "image/jpeg"
PNG = "image/png"
ACCEPTED = (PDF, TIFF, JPEG, PNG)
_EXT_TYPES = {
    ".pdf": PDF,
    ".tif": TIFF,
    ".tiff": TIFF,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".jpe": JPEG,
    ".png": PNG,
}
_NAMES = {PDF: "PDF", TIFF: "TIFF", JPEG: "JPEG", PNG: "PNG"}
ACCEPTED_TEXT = "accepted: PDF, TIFF, JPEG, PNG"


def _describe_other(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text[:1024] or (text.startswith(b"<?xml") and b"svg" in text[:1024]):
        return "an SVG drawing"
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return "an XML/markup file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (or Office document)"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF image"
    if head.startswith(b"BM"):
        return "a BMP image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    try:
        head.decode("utf-8")
        return "plain text"
    except UnicodeDecodeError:
        return "an unknown binary format"


def sniff_media_type(path: Path, declared_name: str | None = None) -> str:
    """Return the media type of the file at `path`, or raise a one-line BadInput."""
    with path.open("rb") as fh:
        head = fh.read(2048)
    if not head:
        raise BadInput("file is empty (0 bytes)", code="empty_file")
    found: str | None = None
    if head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head[:4] in (b"II*\x00", b"MM\x00*"):
        found = TIFF
    elif b"%PDF-" in head[:1024]:
        found = PDF
    declared = _EXT_TYPES.get(Path(declared_name or "").suffix.lower())
    if found is None:
        what = _describe_other(head)
        if declared:
            raise UnsupportedType(
                f"file named .{Path(declared_name or '').suffix.lower().lstrip('.')} is "
                f"{what}, not a {_NAMES[declared]} ({ACCEPTED_TEXT})"
            )
        raise UnsupportedType(f"file is {what}, not a scan ({ACCEPTED_TEXT})")
    return found


def type_name(media_type: str) -> str:
    return _NAMES.get(media_type, media_type)
