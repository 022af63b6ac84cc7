"""Exceptions carrying their CLI exit code and HTTP status, so every surface reports alike."""

from __future__ import annotations


class SohoaError(Exception):
    """Base class: a failure the user can act on (bad input, missing model, conflict)."""

    code = "error"
    http_status = 400
    exit_code = 2

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadInput(SohoaError):
    """The input is unusable: wrong type, damaged, empty, over a limit."""

    code = "bad_input"
    http_status = 422


class InvalidField(BadInput):
    """One input field is unusable; `field` names it for the client."""

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class UnsupportedType(BadInput):
    code = "unsupported_type"
    http_status = 415


class TooLarge(BadInput):
    code = "too_large"
    http_status = 413


class EncryptedDocument(BadInput):
    code = "encrypted"
    http_status = 422


class NotFound(SohoaError):
    code = "not_found"
    http_status = 404


class Conflict(SohoaError):
    code = "conflict"
    http_status = 409


class Forbidden(SohoaError):
    code = "forbidden"
    http_status = 403


class Unauthorized(SohoaError):
    code = "unauthorized"
    http_status = 401


class ConfigError(SohoaError):
    """Configuration is missing or wrong (no secret key in production, unknown engine)."""

    code = "config"
    http_status = 500


class EngineUnavailable(ConfigError):
    """An OCR engine or its model package is not installed."""

    code = "engine_unavailable"


class PageFailed(Exception):
    """One page could not be processed; the reason is stored on the page and the book goes on.

    Like a SohoaError it is permanent: the page job fails the page without another attempt
    (`jobs.lifecycle.is_permanent`); any other exception, a timeout included, is retried.
    """
