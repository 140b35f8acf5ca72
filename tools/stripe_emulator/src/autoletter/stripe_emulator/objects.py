"""New Stripe objects: the shape comes from stripe-mock's fixtures (templates.json), the values from us."""

from __future__ import annotations

import copy
import json
import secrets
import string
from functools import cache
from importlib import resources
from typing import Any

_ALPHABET = string.ascii_letters + string.digits


@cache
def _templates() -> dict[str, dict[str, Any]]:
    text = resources.files("autoletter.stripe_emulator").joinpath("templates.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def new_id(prefix: str, length: int = 24) -> str:
    """An id that looks like Stripe's (stripe-mock checks nothing more)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def build(kind: str, **fields: Any) -> dict[str, Any]:
    """A fresh object of `kind` (e.g. "invoice") with every field of Stripe's shape, `fields` set."""
    obj = copy.deepcopy(_templates()[kind])
    obj.update(fields)
    return obj


def empty_list(url: str, data: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"object": "list", "data": data or [], "has_more": False, "url": url}
