"""Checks parsed JSON against the TypedDict that declares its shape to mypy."""

from __future__ import annotations

import types
import typing
from typing import (
    Any,
    NotRequired,
    Required,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)


def _keys(typed_dict: Any) -> tuple[dict[str, Any], set[str]]:
    """A TypedDict's value types and required keys. Read from the hints, not from
    ``__required_keys__``: under ``from __future__ import annotations`` Python 3.11 cannot see
    NotRequired in the string annotations and calls every key required."""
    hints: dict[str, Any] = {}
    required: set[str] = set()
    for key, key_hint in get_type_hints(typed_dict, include_extras=True).items():
        wrapper = get_origin(key_hint)
        if wrapper in (NotRequired, Required):
            (key_hint,) = get_args(key_hint)
        if wrapper is Required or (wrapper is not NotRequired and typed_dict.__total__):
            required.add(key)
        hints[key] = key_hint
    return hints, required


def shape_problems(value: Any, hint: Any, path: str) -> list[str]:
    """Where ``value`` (parsed JSON) does not fit the type ``hint``: missing, undeclared or
    mistyped keys, each with its path. Knows what the declared JSON types use: TypedDict,
    dict, list, tuple, unions, str/int/float/bool/None, and object/Any (anything goes)."""
    if hint is Any or hint is object:
        return []
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [shape_problems(value, h, path) for h in get_args(hint)]
        return [] if any(not o for o in options) else min(options, key=len)
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        hints, required = _keys(hint)
        out = [f"{path}.{k}: missing" for k in sorted(required) if k not in value]
        out += [f"{path}.{k}: not declared in {hint.__name__}" for k in value if k not in hints]
        for key, item in value.items():
            if key in hints:
                out += shape_problems(item, hints[key], f"{path}.{key}")
        return out
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        (item_hint,) = get_args(hint)
        return [
            p
            for i, item in enumerate(value)
            for p in shape_problems(item, item_hint, f"{path}[{i}]")
        ]
    if origin is tuple:
        args = get_args(hint)
        if not isinstance(value, list | tuple) or len(value) != len(args):
            return [f"{path}: expected {len(args)} items, got {value!r:.60}"]
        return [
            p
            for i, (item, item_hint) in enumerate(zip(value, args, strict=True))
            for p in shape_problems(item, item_hint, f"{path}[{i}]")
        ]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        _, item_hint = get_args(hint)
        return [
            p for k, item in value.items() for p in shape_problems(item, item_hint, f"{path}.{k}")
        ]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is types.NoneType or hint is None:
        ok = value is None
    else:
        ok = isinstance(value, hint)
    return [] if ok else [f"{path}: expected {getattr(hint, '__name__', hint)}, got {value!r:.60}"]
