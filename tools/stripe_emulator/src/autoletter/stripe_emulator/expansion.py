"""`expand[]`: replace ids by the objects they name, along dotted paths (`data.` walks lists)."""

from __future__ import annotations

from typing import Any

from autoletter.stripe_emulator.objects import empty_list
from autoletter.stripe_emulator.state import State


def expand(obj: dict[str, Any], paths: list[str], state: State) -> dict[str, Any]:
    for path in paths:
        _walk(obj, path.split("."), state)
    return obj


def _walk(node: Any, parts: list[str], state: State) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, parts, state)
        return
    if not isinstance(node, dict) or not parts:
        return
    key, rest = parts[0], parts[1:]
    if key not in node and key in _INCLUDABLE.get(node.get("object", ""), {}):
        node[key] = _INCLUDABLE[node["object"]][key](node, state)
    value = node.get(key)
    if isinstance(value, str):
        found = state.lookup(value)
        if found is not None:
            node[key] = value = found
    _walk(value, rest, state)


def _invoice_payments(invoice: dict[str, Any], state: State) -> dict[str, Any]:
    payments = [p for p in state.invoice_payments.values() if p["invoice"] == invoice["id"]]
    return empty_list(f"/v1/invoices/{invoice['id']}/payments", [dict(p) for p in payments])


#: Fields Stripe returns only when asked for with expand[] ("includable"), and how to build them.
_INCLUDABLE: dict[str, dict[str, Any]] = {"invoice": {"payments": _invoice_payments}}
