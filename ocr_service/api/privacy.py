"""Browser hardening and quiet logs: security headers on every response, no query strings logged."""

from __future__ import annotations

import logging

from starlette.types import Message, Receive, Scope, Send

from ocr_service.api.guard import HttpMiddleware

# The review UI's scripts and styles are files the app serves; nothing inline, nothing
# from elsewhere. Page images are plain URLs; data:/blob: for the favicon and any canvas.
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders(HttpMiddleware):
    """Adds COMMON_HEADERS to every response and UI_CSP to the review UI's; a header a route
    set itself (the docs page's own CSP) is kept. Plain ASGI, so errors and streamed
    downloads pass through untouched."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        extra = dict(COMMON_HEADERS)
        if path == "/" or path.startswith("/ui"):
            extra["Content-Security-Policy"] = UI_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in extra.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class NoQueryStrings(logging.Filter):
    """Cuts the query string off the paths uvicorn's access log prints: typed text
    (/suggest?q=…, searches) may be personal data and must not land in log files."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access: (client, method, path with query, http version, status)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            record.args = (args[0], args[1], path + ("?…" if sep else ""), *args[3:])
        return True


def hide_query_strings() -> None:
    """Install NoQueryStrings on uvicorn's access logger (once; logging config keeps it)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, NoQueryStrings) for f in access.filters):
        access.addFilter(NoQueryStrings())
