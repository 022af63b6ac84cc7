"""Field extraction: OCR lines → draft records (layouts, normalisers, rules); see records.py."""
