"""Limits on what a client may send: sizes, integer ranges, JSON depth, and text a database keeps.

One place for the numbers, so the API's parameter constraints, the input guard and ingest agree.
Every limit is refused with a 4xx (`BadInput`, `TooLarge`), never left to overflow in SQLite or
PostgreSQL or to exhaust the parser's recursion.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from models.limits import MAX_JSON_DEPTH
from ocr_service.errors import BadInput


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored as it is (a NUL byte, a lone surrogate), or None.

    PostgreSQL refuses NUL in text, and a lone surrogate has no UTF-8 form: both fail deep in
    the database driver or the response encoder unless refused here.
    """
    if "\x00" in text:
        return "text must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text must be valid Unicode (no lone surrogates)"
    return None


def json_depth(text: str | bytes, *, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep arrays and objects nest in JSON `text`, scanning without recursion.

    Stops counting once past `limit` (returns limit + 1), so a document nested 100,000 deep is
    refused before `json.loads`, whose C scanner recurses and can raise RecursionError.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def value_depth(value: object, *, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep lists and dicts nest in a parsed value (a TOML layout file), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children)
    return deepest


def strings_in(value: object) -> Iterator[str]:
    """Every string in a parsed JSON value, object keys included, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield str(key)
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def json_problem(value: object) -> str | None:
    """Why a parsed JSON value cannot be stored (see `text_problem`), or None."""
    for text in strings_in(value):
        problem = text_problem(text)
        if problem:
            return problem
    return None


def load_json_limited(text: str, what: str) -> object:
    """`json.loads` for client-supplied JSON: depth and text checked, BadInput if refused."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BadInput(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"{what}: not valid JSON ({str(exc)[:200]})") from None
    problem = json_problem(data)
    if problem:
        raise BadInput(f"{what}: {problem}")
    return data


def load_toml_limited(text: str, what: str) -> dict[str, object]:
    """`tomllib.loads` for client-supplied TOML: depth and text checked, BadInput if refused.

    tomllib recurses into nested arrays and inline tables, so a deep document ends in
    RecursionError there; it is bad input like any other.
    """
    import tomllib

    try:
        data: dict[str, object] = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"{what}: not valid TOML ({str(exc)[:200]})") from None
    if value_depth(data) > MAX_JSON_DEPTH:
        raise BadInput(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels")
    problem = json_problem(data)
    if problem:
        raise BadInput(f"{what}: {problem}")
    return data


def check_nesting(text: str, *, toml: bool, what: str) -> None:
    """Refuse a JSON or TOML document nested deeper than MAX_JSON_DEPTH, before a recursive
    parser (json.loads, tomllib) meets it; other faults are left to the document's reader."""
    if not toml:
        if json_depth(text) > MAX_JSON_DEPTH:
            raise BadInput(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels")
        return
    import tomllib

    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise BadInput(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        return  # the reader says what is wrong, in its own words
    if value_depth(data) > MAX_JSON_DEPTH:
        raise BadInput(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels")
