"""Register layouts: turn the OCR lines of a page into raw field readings."""
