"""Invoices in draft: create, invoice items and lines, list and search (collection is in collection.py)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import invalid
from autoletter.stripe_emulator.objects import build, empty_list, new_id
from autoletter.stripe_emulator.params import as_bool, as_int, merge_metadata

AUTO_FINALIZE_AFTER_S = 3600  # Stripe finalises an auto_advance draft about an hour after creation


def create_invoice(em: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = params.get("customer")
    if not customer_id:
        raise invalid("Missing required param: customer.", param="customer")
    customer = em.state.get(customer_id, "customer", param="customer")
    now = em.now()
    invoice_id = new_id("in_")
    auto_advance = as_bool(params.get("auto_advance", False), param="auto_advance")
    invoice = build(
        "invoice",
        id=invoice_id,
        object="invoice",
        created=now,
        customer=customer_id,
        customer_email=customer["email"],
        customer_name=customer["name"],
        customer_address=customer["address"],
        customer_tax_exempt="none",
        currency=params.get("currency") or customer["currency"] or em.config.default_currency,
        collection_method=params.get("collection_method", "charge_automatically"),
        auto_advance=auto_advance,
        automatically_finalizes_at=now + AUTO_FINALIZE_AFTER_S if auto_advance else None,
        metadata=merge_metadata({}, params.get("metadata")),
        description=params.get("description"),
        default_payment_method=params.get("default_payment_method"),
        status="draft",
        billing_reason="manual",
        period_start=now,
        period_end=now,
        starting_balance=0,
        ending_balance=None,
        lines=empty_list(f"/v1/invoices/{invoice_id}/lines"),
        total_taxes=[],
        customer_tax_ids=[],
    )
    invoice["status_transitions"] = dict.fromkeys(invoice["status_transitions"])
    if params.get("default_payment_method"):
        em.state.get(params["default_payment_method"], "PaymentMethod", param="default_payment_method")
    em.state.invoices[invoice_id] = invoice
    if params.get("pending_invoice_items_behavior") == "include":
        for item in em.state.invoice_items.values():
            if item["customer"] == customer_id and item["invoice"] is None:
                _attach_item(invoice, item)
    recompute(invoice)
    em.emit("invoice.created", invoice)
    return invoice


def create_item(em: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = params.get("customer")
    if not customer_id:
        raise invalid("Missing required param: customer.", param="customer")
    customer = em.state.get(customer_id, "customer", param="customer")
    invoice = None
    if params.get("invoice"):
        invoice = _editable(em, params["invoice"], param="invoice")
        if invoice["customer"] != customer_id:
            raise invalid(
                "The invoice's customer does not match the invoice item's customer.", param="invoice"
            )
    currency = (
        params.get("currency")
        or (invoice or {}).get("currency")
        or customer["currency"]
        or em.config.default_currency
    ).lower()
    quantity = as_int(params.get("quantity", 1), param="quantity")
    amount, unit = _amount(params, quantity)
    now = em.now()
    period = params.get("period") or {}
    item = build(
        "invoiceitem",
        id=new_id("ii_"),
        amount=amount,
        net_amount=amount,
        currency=currency,
        customer=customer_id,
        date=now,
        description=params.get("description"),
        invoice=None,
        metadata=merge_metadata({}, params.get("metadata")),
        period={
            "start": as_int(period.get("start", now), param="period[start]"),
            "end": as_int(period.get("end", now), param="period[end]"),
        },
        quantity=quantity,
        quantity_decimal=str(quantity),
        pricing={"type": "price_details", "price_details": None, "unit_amount_decimal": unit},
        parent=None,
        proration=False,
        discountable=True,
    )
    em.state.invoice_items[item["id"]] = item
    if invoice is not None:
        _attach_item(invoice, item)
        recompute(invoice)
    em.emit("invoiceitem.created", item)
    return item


def add_lines(em: Emulator, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
    invoice = _editable(em, invoice_id, param="id")
    lines = params.get("lines")
    if not isinstance(lines, list) or not lines:
        raise invalid("Missing required param: lines.", param="lines")
    for i, line in enumerate(lines):
        if line.get("invoice_item"):
            item = em.state.get(line["invoice_item"], "invoiceitem", param=f"lines[{i}][invoice_item]")
            _attach_item(invoice, item)
            continue
        price = line.get("price_data") or {}
        create_item(em, {
            "customer": invoice["customer"],
            "invoice": invoice_id,
            "amount": line.get("amount"),
            "unit_amount_decimal": price.get("unit_amount_decimal") or price.get("unit_amount"),
            "quantity": line.get("quantity", 1),
            "currency": price.get("currency") or invoice["currency"],
            "description": line.get("description"),
            "metadata": line.get("metadata"),
            "period": line.get("period"),
        })  # fmt: skip
    if "invoice_metadata" in params:
        invoice["metadata"] = merge_metadata(invoice["metadata"], params["invoice_metadata"])
    recompute(invoice)
    return invoice


def _amount(params: dict[str, Any], quantity: int) -> tuple[int, str]:
    """Integer cents and the unit amount as a decimal string, from amount or unit_amount_decimal."""
    if params.get("amount") is not None:
        amount = as_int(params["amount"], param="amount")
        return amount, str(Decimal(amount) / quantity if quantity else amount)
    raw = params.get("unit_amount_decimal")
    if raw is None:
        raise invalid("You must specify either `amount` or `unit_amount_decimal`.", param="amount")
    try:
        unit = Decimal(str(raw))
    except InvalidOperation:
        raise invalid(f"Invalid decimal: {raw}", param="unit_amount_decimal") from None
    total = (unit * quantity).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(total), str(raw)


def _editable(em: Emulator, invoice_id: str, *, param: str) -> dict[str, Any]:
    invoice = em.state.get(invoice_id, "invoice", param=param)
    if invoice["status"] != "draft":
        raise invalid(
            f"You can only add invoice items to draft invoices. This invoice is {invoice['status']}.",
            param=param,
            code="invoice_not_editable",
        )
    return invoice


def _attach_item(invoice: dict[str, Any], item: dict[str, Any]) -> None:
    if item["currency"] != invoice["currency"]:
        raise invalid(
            f"The currency of this invoice item ({item['currency']}) does not match the invoice's "
            f"currency ({invoice['currency']}).",
            param="currency",
        )
    item["invoice"] = invoice["id"]
    line = build(
        "line_item",
        id=new_id("il_"),
        amount=item["amount"],
        subtotal=item["amount"],
        currency=item["currency"],
        description=item["description"],
        invoice=invoice["id"],
        metadata=dict(item["metadata"]),
        period=dict(item["period"]),
        quantity=item["quantity"],
        quantity_decimal=item["quantity_decimal"],
        pricing=dict(item["pricing"]),
        discount_amounts=[],
        pretax_credit_amounts=[],
        taxes=[],
        parent={
            "type": "invoice_item_details",
            "invoice_item_details": {"invoice_item": item["id"], "proration": False,
                                     "proration_details": {"credited_items": None}, "subscription": None},
            "subscription_item_details": None,
        },
    )  # fmt: skip
    invoice["lines"]["data"].append(line)


def recompute(invoice: dict[str, Any]) -> None:
    """Totals from the lines; amount_due includes the customer balance applied at finalisation."""
    total = sum(line["amount"] for line in invoice["lines"]["data"])
    for name in ("subtotal", "subtotal_excluding_tax", "total", "total_excluding_tax"):
        invoice[name] = total
    invoice["amount_due"] = max(total + invoice["starting_balance"], 0)
    invoice["amount_remaining"] = max(invoice["amount_due"] - invoice["amount_paid"], 0)


def list_invoices(em: Emulator, params: dict[str, Any], url: str) -> dict[str, Any]:
    filters = {k: params[k] for k in ("customer", "status", "collection_method") if params.get(k)}
    found = [i for i in em.state.invoices.values() if all(i[k] == v for k, v in filters.items())]
    return paginate(found, params, url)


def paginate(objects: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Newest first, `limit` (1..100, default 10), `starting_after` / `ending_before` by id."""
    ordered = list(reversed(objects))
    limit = as_int(params.get("limit", 10), param="limit")
    ids = [o["id"] for o in ordered]
    if params.get("starting_after") in ids:
        ordered = ordered[ids.index(params["starting_after"]) + 1 :]
    elif params.get("ending_before") in ids:
        ordered = ordered[: ids.index(params["ending_before"])][-limit:]
    page = ordered[:limit]
    result = empty_list(url, [copy.deepcopy(o) for o in page])
    result["has_more"] = len(ordered) > limit
    return result


def search_invoices(em: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/invoices/search`."""
    return search(em.state.invoices.values(), params, "/v1/invoices/search")


def search_customers(em: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/customers/search` (payments looks its customer up by our metadata before creating)."""
    return search(em.state.customers.values(), params, "/v1/customers/search")


_CLAUSE = re.compile(
    r"""^\s*(metadata\[['"](?P<key>[^'"]+)['"]\]|(?P<field>[a-z_]+))\s*:\s*['"](?P<value>[^'"]*)['"]\s*$"""
)


def search(objects: Iterable[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """A search_result of the objects matching every clause of `params["query"]`."""
    query = params.get("query") or ""
    clauses = [_CLAUSE.match(part) for part in re.split(r"\s+AND\s+", query.strip())]
    if not query.strip() or not all(clauses):
        raise invalid(f"The emulator cannot parse the search query: {query}", param="query")
    found = [obj for obj in objects if all(_matches(obj, m) for m in clauses if m is not None)]
    result = paginate(found, {"limit": params.get("limit", 10)}, url)
    result.update(object="search_result", next_page=None)
    return result


def _matches(obj: dict[str, Any], clause: re.Match[str]) -> bool:
    if clause.group("key"):
        return (obj.get("metadata") or {}).get(clause.group("key")) == clause.group("value")
    return str(obj.get(clause.group("field"))) == clause.group("value")
