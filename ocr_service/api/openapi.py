"""The OpenAPI schema, complete: every status an operation can answer, in the project's error shape.

FastAPI documents a route's own success response, what its decorator lists, and a 422 in its
own `{"detail": [...]}` shape, which this API never sends. The errors every route shares come
from the same few places (authentication in `deps.current_user`, the input guard, the exception
handlers in `app`), so they are added here, once, from what each operation declares.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from models.schemas import ErrorResponse, InternalErrorResponse

API_PREFIX = "/api/v1"

# Operations whose own failures are not visible from their declaration.
EXTRA_STATUSES: dict[tuple[str, str], tuple[int, ...]] = {
    # Logging in: a wrong password, and too many tries (throttled per user and address).
    ("post", f"{API_PREFIX}/session"): (401, 429),
    # The next draft: none left in the book, or no such book.
    ("get", f"{API_PREFIX}/records/next"): (404,),
    # An upload: too large, not a PDF/TIFF/JPEG/PNG.
    ("post", f"{API_PREFIX}/ledgers"): (413, 415),
}

DESCRIPTIONS = {
    400: "the body could not be read",
    401: "not authenticated: no, a wrong or a revoked token or session",
    403: "not allowed: wrong role, another commune's book, or a missing CSRF token",
    404: "no such resource, or not one this user may see",
    409: "conflict with the current state",
    413: "the request body is over its limit",
    415: "unsupported file type",
    422: "bad input: a parameter or body out of its limits, malformed, NUL or lone surrogate",
    429: "too many attempts: retry after the Retry-After header's seconds",
    500: "unexpected error: logged on the server under the id in the body",
}


def _ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _error(status: int) -> dict[str, Any]:
    name = "InternalErrorResponse" if status == 500 else "ErrorResponse"
    return {"description": DESCRIPTIONS[status], **_ref(name)}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses to every operation of `schema`, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorResponse, InternalErrorResponse):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            statuses = {422, 500}  # the input guard and the last-resort handler answer anywhere
            if operation.get("security"):
                statuses |= {401, 403}
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                statuses.add(404)
            if "requestBody" in operation:
                statuses.add(400)
                body_types = operation["requestBody"].get("content", {})
                if "application/json" in body_types:
                    statuses.add(413)
            statuses |= set(EXTRA_STATUSES.get((method, path), ()))
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                key = str(status)
                if key == "422" or key not in responses:
                    responses[key] = _error(status)
    # FastAPI's own validation-error shapes are referenced no more.
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
