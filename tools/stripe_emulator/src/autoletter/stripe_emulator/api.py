"""Stripe's /v1 paths, each a thin call into the domain modules through the gateway."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from autoletter.stripe_emulator import accounts, checkout, collection, debits, invoices
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import invalid
from autoletter.stripe_emulator.gateway import Call, Gateway, Handler
from autoletter.stripe_emulator.invoices import paginate
from autoletter.stripe_emulator.objects import empty_list, new_id
from autoletter.stripe_emulator.params import merge_metadata


def _get(kind: str, param: str) -> Handler:
    return lambda em, c: em.state.get(c.path[param], kind)


def _list_methods(em: Emulator, c: Call) -> dict[str, Any]:
    customer = c.path.get("customer") or c.params.get("customer")
    if not customer:
        raise invalid(
            "The emulator lists payment methods of one customer: pass `customer`.", param="customer"
        )
    return accounts.list_methods(em, customer, c.params, c.url_path)


def _list_events(em: Emulator, c: Call) -> dict[str, Any]:
    types = c.params.get("types") or ([c.params["type"]] if c.params.get("type") else None)
    found = [e for e in em.state.events.values() if not types or e["type"] in types]
    return paginate(found, c.params, "/v1/events")


def _create_endpoint(em: Emulator, c: Call) -> dict[str, Any]:
    events = c.params.get("enabled_events") or []
    secret = new_id("whsec_", 32)
    endpoint = em.add_endpoint(c.params["url"], secret, list(events))
    return {**endpoint, "secret": secret}  # the secret is shown once, at creation, as Stripe does


def _delete_endpoint(em: Emulator, c: Call) -> dict[str, Any]:
    endpoint = em.state.get(c.path["endpoint"], "webhook_endpoint")
    endpoint["status"] = "disabled"
    del em.state.webhook_endpoints[endpoint["id"]]
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}


def _update_invoice(em: Emulator, c: Call) -> dict[str, Any]:
    invoice = em.state.get(c.path["invoice"], "invoice")
    if "metadata" in c.params:
        invoice["metadata"] = merge_metadata(invoice["metadata"], c.params["metadata"])
    if invoice["status"] == "draft":
        for name in ("description", "collection_method", "default_payment_method"):
            if name in c.params:
                invoice[name] = c.params[name] or None
        if "auto_advance" in c.params:
            invoice["auto_advance"] = c.params["auto_advance"] == "true"
    return invoice


def _invoice_lines(em: Emulator, c: Call) -> dict[str, Any]:
    invoice = em.state.get(c.path["invoice"], "invoice")
    return paginate(list(reversed(invoice["lines"]["data"])), c.params, c.url_path)


def _invoice_payments(em: Emulator, c: Call) -> dict[str, Any]:
    """By invoice, or by PaymentIntent (`payment[type]=payment_intent&payment[payment_intent]=pi_…`):
    with the pinned API, PaymentIntents and charges name no invoice, so this is how they are mapped."""
    invoice_id = c.params.get("invoice")
    payment = c.params.get("payment")
    intent_id = payment.get("payment_intent") if isinstance(payment, dict) else None
    found = [
        p
        for p in em.state.invoice_payments.values()
        if (not invoice_id or p["invoice"] == invoice_id)
        and (not intent_id or p["payment"]["payment_intent"] == intent_id)
    ]
    return paginate(found, c.params, "/v1/invoice_payments")


def _on_invoice(action: Any) -> Handler:
    return lambda em, c: action(em, c.path["invoice"], c.params)


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v1/customers", lambda em, c: accounts.create_customer(em, c.params)),
    ("GET", "/v1/customers/search", lambda em, c: invoices.search_customers(em, c.params)),
    ("GET", "/v1/customers/{customer}", _get("customer", "customer")),
    ("POST", "/v1/customers/{customer}",
     lambda em, c: accounts.update_customer(em, c.path["customer"], c.params)),
    ("GET", "/v1/customers/{customer}/payment_methods", _list_methods),
    ("GET", "/v1/payment_methods", _list_methods),
    ("GET", "/v1/payment_methods/{pm}", _get("PaymentMethod", "pm")),
    ("POST", "/v1/payment_methods/{pm}/attach",
     lambda em, c: accounts.attach(em, c.path["pm"], c.params.get("customer", ""))),
    ("POST", "/v1/payment_methods/{pm}/detach", lambda em, c: accounts.detach(em, c.path["pm"])),
    ("GET", "/v1/setup_intents/{intent}", _get("setupintent", "intent")),
    ("POST", "/v1/checkout/sessions", lambda em, c: checkout.create_session(em, c.params)),
    ("GET", "/v1/checkout/sessions/{session}", _get("checkout.session", "session")),
    ("POST", "/v1/billing_portal/sessions", lambda em, c: checkout.create_portal_session(em, c.params)),
    ("POST", "/v1/invoices", lambda em, c: invoices.create_invoice(em, c.params)),
    ("GET", "/v1/invoices", lambda em, c: invoices.list_invoices(em, c.params, c.url_path)),
    ("GET", "/v1/invoices/search", lambda em, c: invoices.search_invoices(em, c.params)),
    ("GET", "/v1/invoices/{invoice}", _get("invoice", "invoice")),
    ("POST", "/v1/invoices/{invoice}", _update_invoice),
    ("GET", "/v1/invoices/{invoice}/lines", _invoice_lines),
    ("POST", "/v1/invoices/{invoice}/add_lines", _on_invoice(invoices.add_lines)),
    ("POST", "/v1/invoices/{invoice}/finalize", _on_invoice(collection.finalize)),
    ("POST", "/v1/invoices/{invoice}/pay", _on_invoice(collection.pay)),
    ("POST", "/v1/invoices/{invoice}/void", _on_invoice(lambda em, i, _: collection.void(em, i))),
    ("POST", "/v1/invoices/{invoice}/mark_uncollectible",
     _on_invoice(lambda em, i, _: collection.mark_uncollectible(em, i))),
    ("POST", "/v1/invoiceitems", lambda em, c: invoices.create_item(em, c.params)),
    ("GET", "/v1/invoiceitems/{item}", _get("invoiceitem", "item")),
    ("GET", "/v1/invoice_payments", _invoice_payments),
    ("GET", "/v1/invoice_payments/{payment}", _get("invoice_payment", "payment")),
    ("GET", "/v1/payment_intents/{intent}", _get("payment_intent", "intent")),
    ("GET", "/v1/charges", lambda em, c: paginate(debits.list_charges(em, c.params), c.params, c.url_path)),
    ("GET", "/v1/charges/{charge}", _get("charge", "charge")),
    ("GET", "/v1/disputes", lambda em, c: paginate(debits.list_disputes(em, c.params), c.params, c.url_path)),
    ("GET", "/v1/disputes/{dispute}", _get("dispute", "dispute")),
    ("GET", "/v1/mandates/{mandate}", _get("mandate", "mandate")),
    ("GET", "/v1/events", _list_events),
    ("GET", "/v1/events/{event}", _get("event", "event")),
    ("POST", "/v1/webhook_endpoints", _create_endpoint),
    ("GET", "/v1/webhook_endpoints",
     lambda em, c: empty_list("/v1/webhook_endpoints", list(em.state.webhook_endpoints.values()))),
    ("GET", "/v1/webhook_endpoints/{endpoint}", _get("webhook_endpoint", "endpoint")),
    ("DELETE", "/v1/webhook_endpoints/{endpoint}", _delete_endpoint),
]  # fmt: skip


def router(gateway: Gateway) -> APIRouter:
    """The /v1 routes, in an order where fixed paths (…/search) come before {id} paths."""
    api = APIRouter(include_in_schema=False)
    for method, path, handler in ROUTES:
        api.add_api_route(path, _endpoint(gateway, handler), methods=[method])
    return api


def _endpoint(gateway: Gateway, handler: Handler) -> Any:
    async def endpoint(request: Request) -> Response:
        return await gateway.handle(request, handler)

    return endpoint
