"""`sohoa synth`: deterministic generator of realistic, labelled register books."""

from __future__ import annotations

from ocr_service.synth.book import REGISTER_LAYOUTS, generate_book, supported

__all__ = ["REGISTER_LAYOUTS", "generate_book", "supported"]
