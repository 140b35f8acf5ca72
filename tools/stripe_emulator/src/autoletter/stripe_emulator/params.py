"""Stripe's form encoding: `a[b][c]=v`, `list[]=v`, `list[0][k]=v` to nested dicts and lists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from autoletter.stripe_emulator.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def parse(raw: str) -> dict[str, Any]:
    """Nested parameters from a query string or form body (empty string kept: it means 'unset')."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        _put(root, parts, value)
    parsed: dict[str, Any] = _listify(root)
    return parsed


def _put(node: dict[str, Any], parts: list[str], value: str) -> None:
    for i in range(len(parts)):
        part = parts[i] or str(len(node))  # `a[]=x` appends
        if i == len(parts) - 1:
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid array or hash for {parts[0]}", param=parts[0])
        node = child


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def as_bool(value: Any, *, param: str) -> bool:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise invalid(f"Invalid boolean: {value}", param=param)


def as_int(value: Any, *, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param=param) from None


def expand_paths(params: dict[str, Any]) -> list[str]:
    """The `expand[]` list of a request, whatever encoding it came in."""
    value = params.get("expand", [])
    return [value] if isinstance(value, str) else list(value)


def merge_metadata(current: dict[str, str] | None, update: Any) -> dict[str, str]:
    """Stripe's metadata update: keys merge, an empty value deletes a key, '' clears all."""
    if update == "":
        return {}
    merged = dict(current or {})
    for key, value in (update or {}).items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
