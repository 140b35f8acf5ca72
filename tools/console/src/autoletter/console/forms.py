"""Pure translations between HTML forms and the services' JSON bodies (no rules of the product here)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

ADDRESS_PARTS = ("line1", "line2", "postal_code", "city", "country")
PROFILE_FIELDS = ("name", "email", *(f"address.{p}" for p in ADDRESS_PARTS))
LETTER_FIELDS = ("service", "recipient.name", *(f"recipient.address.{p}" for p in ADDRESS_PARTS))


def _clean(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def profile_values(profile: Mapping[str, Any]) -> dict[str, str]:
    """A profile as the flat values of the Settings form."""
    address = profile.get("address") or {}
    values = {"name": profile.get("name") or "", "email": profile.get("email") or ""}
    for part in ADDRESS_PARTS:
        values[f"address.{part}"] = address.get(part) or ""
    return values


def profile_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body: a blank field is sent as absent (cleared), the service judges the rest."""
    address = {part: _clean(form.get(f"address.{part}")) for part in ADDRESS_PARTS}
    return {
        "name": _clean(form.get("name")),
        "email": _clean(form.get("email")),
        "address": address if any(address.values()) else None,
    }


def letter_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in LETTER_FIELDS}


def letter_body(form: Mapping[str, Any], document: bytes) -> dict[str, Any]:
    """The JSON body of letters' POST: the PDF travels base64-encoded."""
    address = {part: _clean(form.get(f"recipient.address.{part}")) for part in ADDRESS_PARTS}
    return {
        "service": _clean(form.get("service")),
        "recipient": {
            "name": _clean(form.get("recipient.name")),
            "address": {k: v for k, v in address.items() if v is not None},
        },
        "document_base64": base64.b64encode(document).decode("ascii"),
    }


def field_errors(
    details: Mapping[str, Any], fields: tuple[str, ...], aliases: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Split a 422's details into messages next to form fields and the rest (shown above the form).

    A detail about `address` as a whole lands on its first line, so it is still seen.
    """
    by_field: dict[str, str] = {}
    rest: list[str] = []
    for raw_key, message in details.items():
        key = (aliases or {}).get(raw_key, raw_key)
        text = str(message)
        if key in fields:
            by_field[key] = text
            continue
        owner = next((f for f in fields if f.startswith(key + ".")), None)
        if owner is not None:
            by_field.setdefault(owner, text)
        else:
            rest.append(f"{key}: {text}")
    return by_field, rest
