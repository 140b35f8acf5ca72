"""Stripe's real shapes, signed the way Stripe signs them.

Objects come from the running stripe-mock (its embedded fixtures of the pinned API version), fetched
with ordinary GET requests; tests change only ids, customer, metadata and the fields an event is about.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx

from autoletter.stripe import API_VERSION

RESOURCES = {
    "event": "/v1/events/evt_fixture",
    "invoice": "/v1/invoices/in_fixture",
    "checkout.session": "/v1/checkout/sessions/cs_fixture",
    "payment_method": "/v1/payment_methods/pm_fixture",
    "customer": "/v1/customers/cus_fixture",
    "setup_intent": "/v1/setup_intents/seti_fixture",
}


def stripe_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def sign(payload: bytes, secrets: list[str], timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix>,v1=<hmac-sha256(secret, "t.payload")> per secret."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    v1 = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([f"t={t}", *(f"v1={sig}" for sig in v1)])


class StripeShapes:
    """Fixture objects from stripe-mock, and events built from them."""

    def __init__(self, api_base: str) -> None:
        self._fixtures: dict[str, dict[str, Any]] = {}
        with httpx.Client(base_url=api_base, headers={"Authorization": "Bearer sk_test_123"}) as http:
            for name, path in RESOURCES.items():
                response = http.get(path)
                response.raise_for_status()
                self._fixtures[name] = response.json()

    def fixture(self, name: str) -> dict[str, Any]:
        return copy.deepcopy(self._fixtures[name])

    def event(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        previous: dict[str, Any] | None = None,
        created: int | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        event = self.fixture("event")
        event.update(
            id=event_id or stripe_id("evt"),
            type=event_type,
            api_version=API_VERSION,
            created=created if created is not None else int(time.time()),
        )
        event["data"] = {"object": obj}
        if previous is not None:
            event["data"]["previous_attributes"] = previous
        return event

    def checkout_session(self, customer: str) -> dict[str, Any]:
        session = self.fixture("checkout.session")
        session.update(
            id=stripe_id("cs_test"),
            customer=customer,
            mode="setup",
            status="complete",
            setup_intent=stripe_id("seti"),
            payment_intent=None,
            subscription=None,
        )
        return session

    def setup_intent(self, customer: str, payment_method: str) -> dict[str, Any]:
        intent = self.fixture("setup_intent")
        intent.update(
            id=stripe_id("seti"), customer=customer, payment_method=payment_method, status="succeeded"
        )
        return intent

    def payment_method(
        self, customer: str | None, pm_id: str | None = None, created: int | None = None
    ) -> dict[str, Any]:
        pm = self.fixture("payment_method")
        pm.update(id=pm_id or stripe_id("pm"), customer=customer)
        if created is not None:
            pm["created"] = created
        return pm

    def customer(self, customer: str, default_payment_method: str | None) -> dict[str, Any]:
        obj = self.fixture("customer")
        obj["id"] = customer
        obj["invoice_settings"]["default_payment_method"] = default_payment_method
        return obj

    def invoice(
        self,
        customer: str,
        *,
        account_id: str,
        service: str,
        period: str = "2026-10",
        invoice_id: str | None = None,
        stripe_invoice_id: str | None = None,
        status: str = "open",
        attempt_count: int = 1,
        next_payment_attempt: int | None = None,
        amount: int = 950,
        with_metadata: bool = True,
    ) -> dict[str, Any]:
        inv = self.fixture("invoice")
        inv.update(
            id=stripe_invoice_id or stripe_id("in"),
            customer=customer,
            status=status,
            currency="eur",
            amount_due=amount,
            amount_remaining=0 if status == "paid" else amount,
            amount_paid=amount if status == "paid" else 0,
            attempt_count=attempt_count,
            attempted=True,
            next_payment_attempt=next_payment_attempt,
            collection_method="charge_automatically",
            hosted_invoice_url="https://invoice.stripe.com/i/acct_test/" + uuid.uuid4().hex,
            metadata={
                "account_id": account_id,
                "service": service,
                "period": period,
                "invoice_id": invoice_id or str(uuid.uuid4()),
            }
            if with_metadata
            else {},
        )
        return inv


def body(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()
