"""Every Stripe call payments makes, behind one class.

The client (`autoletter.stripe.client`) pins the API version and retries 429s and network errors with
backoff; every create carries an idempotency key, so a retry — ours or the client's — never makes a
second object. Every method raises Stripe's outages as TransientError (waited out, never dead-lettered)
and its other errors as they are.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any, cast

import stripe

from autoletter.contracts.common import PostalAddress
from autoletter.payments.adapters.stripe_events import payment_method_facts
from autoletter.payments.domain.payment_methods import PaymentMethodFacts
from autoletter.stripe import outages_transient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerDetails:
    """What Stripe gets to know about the account: name, billing e-mail, postal address."""

    name: str
    email: str
    address: PostalAddress

    def params(self) -> dict[str, Any]:
        a = self.address
        address = {"line1": a.line1, "postal_code": a.postal_code, "city": a.city, "country": a.country}
        address["line2"] = a.line2 or ""
        return {"name": self.name, "email": self.email, "address": address}


@dataclass(frozen=True)
class HostedPage:
    url: str
    session_id: str


@dataclass(frozen=True)
class PaymentFailure:
    code: str | None
    message: str | None


_SEARCHABLE = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")


class StripeGateway:
    """The adapter over stripe-python's async methods."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self._stripe = client

    @outages_transient
    async def create_customer(self, account_id: str, details: CustomerDetails) -> str:
        """The account's customer: found by our metadata first, because idempotency keys are forgotten
        after about a day and a replayed ProfileCompleted must not create a second customer."""
        if _SEARCHABLE.fullmatch(account_id):  # never let an id change the query's meaning
            found = await self._stripe.v1.customers.search_async(
                params={"query": f"metadata['account_id']:'{account_id}'", "limit": 10}
            )
            for existing in found.data:
                metadata = existing.metadata.to_dict() if existing.metadata else {}
                if metadata.get("account_id") == account_id:
                    return str(existing.id)
        customer = await self._stripe.v1.customers.create_async(
            params=cast(Any, {**details.params(), "metadata": {"account_id": account_id}}),
            options={"idempotency_key": f"customer:{account_id}"},
        )
        return str(customer.id)

    @outages_transient
    async def update_customer(self, customer_id: str, details: CustomerDetails, *, key: str) -> None:
        await self._stripe.v1.customers.update_async(
            customer_id,
            params=cast(Any, details.params()),
            options={"idempotency_key": key},
        )

    @outages_transient
    async def create_setup_checkout(
        self,
        *,
        account_id: str,
        customer_id: str,
        payment_method_types: list[str],
        success_url: str,
        cancel_url: str,
        key: str,
    ) -> HostedPage:
        """A Stripe-hosted page in setup mode: collects a method, charges nothing."""
        session = await self._stripe.v1.checkout.sessions.create_async(
            params={
                "mode": "setup",
                "customer": customer_id,
                "payment_method_types": cast(Any, payment_method_types),
                "success_url": success_url,
                "cancel_url": cancel_url,
                "client_reference_id": account_id,
                "metadata": {"account_id": account_id},
                "setup_intent_data": {"metadata": {"account_id": account_id}},
            },
            options={"idempotency_key": key},
        )
        return HostedPage(url=str(session.url), session_id=str(session.id))

    @outages_transient
    async def create_portal_session(self, *, customer_id: str, return_url: str, key: str) -> str:
        session = await self._stripe.v1.billing_portal.sessions.create_async(
            params={"customer": customer_id, "return_url": return_url}, options={"idempotency_key": key}
        )
        return str(session.url)

    @outages_transient
    async def checkout_payment_method(self, session_id: str) -> PaymentMethodFacts | None:
        """The method a completed setup Checkout collected (fresh from Stripe, expanded)."""
        session = await self._stripe.v1.checkout.sessions.retrieve_async(
            session_id, params={"expand": ["setup_intent.payment_method"]}
        )
        setup_intent = session.to_dict().get("setup_intent")
        if not isinstance(setup_intent, dict):
            return None
        pm = setup_intent.get("payment_method")
        # A debit's mandate is named by the SetupIntent that collected it, not by the PaymentMethod.
        mandate = setup_intent.get("mandate")
        mandate_id = mandate.get("id") if isinstance(mandate, dict) else mandate
        if isinstance(pm, str):
            facts: PaymentMethodFacts | None = await self.payment_method(pm)
        else:
            facts = payment_method_facts(pm) if isinstance(pm, dict) else None
        if facts is not None and isinstance(mandate_id, str):
            facts = replace(facts, mandate_id=mandate_id)
        return facts

    @outages_transient
    async def payment_method(self, payment_method_id: str) -> PaymentMethodFacts:
        pm = await self._stripe.v1.payment_methods.retrieve_async(payment_method_id)
        return payment_method_facts(pm.to_dict())

    @outages_transient
    async def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> None:
        """The method Stripe charges invoices to."""
        await self._stripe.v1.customers.update_async(
            customer_id,
            params={"invoice_settings": {"default_payment_method": payment_method_id}},
            options={"idempotency_key": f"default:{customer_id}:{payment_method_id}"},
        )

    @outages_transient
    async def pay_invoice(self, stripe_invoice_id: str, payment_method_id: str, setting: str) -> bool:
        """Ask Stripe to charge an unpaid invoice now, once per `setting` (the id of the event that made
        this method the default). False when Stripe refused (the outcome arrives as a webhook anyway);
        other errors raise so the caller retries."""
        try:
            await self._stripe.v1.invoices.pay_async(
                stripe_invoice_id,
                params={"payment_method": payment_method_id, "off_session": True},
                options={"idempotency_key": f"pay:{stripe_invoice_id}:{setting}"},
            )
        except (stripe.CardError, stripe.InvalidRequestError) as exc:
            log.info(
                "invoice_pay_refused",
                extra={"stripe_invoice_id": stripe_invoice_id, "code": getattr(exc, "code", None)},
            )
            return False
        return True

    async def payment_failure(self, stripe_invoice_id: str) -> PaymentFailure:
        """Why the latest payment of an invoice failed (decline code and Stripe's message): one call, the
        payment intent expanded. Nothing known when Stripe cannot tell us now: the outcome stands
        without its reason rather than waiting for one."""
        try:
            payments = await self._stripe.v1.invoice_payments.list_async(
                params={"invoice": stripe_invoice_id, "limit": 1, "expand": ["data.payment.payment_intent"]}
            )
        except stripe.StripeError:
            log.warning("payment_failure_lookup_failed", extra={"stripe_invoice_id": stripe_invoice_id})
            return PaymentFailure(None, None)
        for item in payments.data:
            intent = (item.to_dict().get("payment") or {}).get("payment_intent")
            error = (intent.get("last_payment_error") if isinstance(intent, dict) else None) or {}
            code = error.get("decline_code") or error.get("code")
            return PaymentFailure(code if isinstance(code, str) else None, error.get("message"))
        return PaymentFailure(None, None)

    @outages_transient
    async def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        """A PaymentIntent, fresh: whether a debit is still processing, its latest charge."""
        intent = await self._stripe.v1.payment_intents.retrieve_async(payment_intent_id)
        return intent.to_dict()

    @outages_transient
    async def charge(self, charge_id: str) -> dict[str, Any]:
        """A charge: its customer and, for a debit, the mandate it was collected under."""
        return (await self._stripe.v1.charges.retrieve_async(charge_id)).to_dict()

    @outages_transient
    async def invoice_of_payment_intent(self, payment_intent_id: str) -> dict[str, Any] | None:
        """The invoice a PaymentIntent pays, through Invoice Payments: with the pinned API version
        PaymentIntents and charges carry no `invoice`."""
        payments = await self._stripe.v1.invoice_payments.list_async(
            params={"payment": {"type": "payment_intent", "payment_intent": payment_intent_id}, "limit": 1}
        )
        for item in payments.data:
            invoice_id = item.to_dict().get("invoice")
            invoice_id = invoice_id.get("id") if isinstance(invoice_id, dict) else invoice_id
            if isinstance(invoice_id, str):
                return (await self._stripe.v1.invoices.retrieve_async(invoice_id)).to_dict()
        return None
