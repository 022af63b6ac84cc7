"""ASGI middleware at the edge: refuse input no route can store, and never let an error escape.

`InputGuard` checks what every route would otherwise have to: the path and query string (no NUL,
valid UTF-8, a sane length) and JSON bodies (size, nesting depth, no NUL or lone surrogate in any
string), answering the project's JSON error before a route or the database meets them.

`LastResort` turns any exception that got past the exception handlers into a logged error id
and a JSON 500. Starlette's own ServerErrorMiddleware answers but then re-raises, and uvicorn
closes the connection of an app that raised: the client saw a reset instead of an answer.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.limits import MAX_JSON_BODY, MAX_JSON_DEPTH, MAX_TARGET_LEN
from ocr_service.limits import json_depth, json_problem, text_problem

log = logging.getLogger("ocr_service.api")


def error_body(code: str, message: str, **extra: str) -> dict[str, Any]:
    """The project's error shape, `{"error": {"code", "message"}}`, safe to encode as UTF-8."""
    # A message may quote client input: a lone surrogate in it would fail the encoder.
    safe = message[:1000].encode("utf-8", "backslashreplace").decode("utf-8")
    return {"error": {"code": code, "message": safe, **extra}}


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def target_problem(scope: Scope) -> str | None:
    """Why the request's path or query string is refused, or None."""
    path: str = scope.get("path", "")
    query: bytes = scope.get("query_string", b"")
    if len(path) + len(query) > MAX_TARGET_LEN:
        return f"the URL is longer than {MAX_TARGET_LEN} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "the path must not contain control characters"
    problem = text_problem(path)
    if problem:
        return f"path: {problem}"
    raw = unquote_to_bytes(query.replace(b"+", b" "))
    if b"\x00" in raw:
        return "query: text must not contain NUL characters"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "query: not valid UTF-8"
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def body_problem(body: bytes) -> str | None:
    """Why a JSON body is refused, or None (malformed JSON is left to the route's 422)."""
    if json_depth(body) > MAX_JSON_DEPTH:
        return f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return json_problem(data)


class HttpMiddleware:
    """A plain ASGI middleware that handles HTTP requests and passes everything else
    (lifespan, websockets) through untouched; subclasses implement `handle`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class InputGuard(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = target_problem(scope)
        if problem:
            await send_json(send, 422, error_body("bad_input", problem))
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)  # a disconnect: let it through
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BODY:
                limit = f"{MAX_JSON_BODY // 1024} kB"
                await send_json(send, 413, error_body("too_large", f"JSON body over {limit}"))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = body_problem(body)
        if problem:
            await send_json(send, 422, error_body("bad_input", problem))
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


class LastResort(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            error_id = uuid.uuid4().hex
            log.exception(
                "unhandled error %s on %s %s", error_id, scope.get("method"), scope.get("path")
            )
            if started:
                return  # the answer is on its way and cannot be changed now
            message = f"internal error; it has been logged under the id {error_id}"
            await send_json(send, 500, error_body("internal", message, id=error_id))
