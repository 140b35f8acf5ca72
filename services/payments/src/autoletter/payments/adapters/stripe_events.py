"""Reading Stripe event payloads (the shapes of the pinned API version) into our domain values.

Nothing here trusts more than it needs: ids are checked to look like Stripe ids, our metadata is
validated, and only display facts of payment methods are read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from autoletter.contracts.common import Service
from autoletter.contracts.payments import DisputeStatus
from autoletter.payments.domain.invoices import InvoiceOutcome, InvoiceRef, OutcomeKind
from autoletter.payments.domain.payment_methods import PaymentMethodFacts

CHECKOUT_COMPLETED = "checkout.session.completed"
SETUP_SUCCEEDED = "setup_intent.succeeded"
PM_ATTACHED = "payment_method.attached"
PM_DETACHED = "payment_method.detached"
CUSTOMER_UPDATED = "customer.updated"
INVOICE_PAID = "invoice.paid"
INVOICE_FAILED = "invoice.payment_failed"
INVOICE_UNCOLLECTIBLE = "invoice.marked_uncollectible"
INVOICE_ACTION_REQUIRED = "invoice.payment_action_required"
INVOICE_VOIDED = "invoice.voided"
INVOICE_FINALIZED = "invoice.finalized"  # only recovery invoices are of interest (they wait for a method)
PI_PROCESSING = "payment_intent.processing"
DISPUTE_CREATED = "charge.dispute.created"
DISPUTE_UPDATED = "charge.dispute.updated"
DISPUTE_CLOSED = "charge.dispute.closed"
DISPUTE_EVENTS = frozenset({DISPUTE_CREATED, DISPUTE_UPDATED, DISPUTE_CLOSED})

INVOICE_OUTCOMES = {
    INVOICE_PAID: OutcomeKind.PAID,
    INVOICE_FAILED: OutcomeKind.FAILED,
    INVOICE_UNCOLLECTIBLE: OutcomeKind.UNCOLLECTIBLE,
    INVOICE_ACTION_REQUIRED: OutcomeKind.ACTION_REQUIRED,
    INVOICE_VOIDED: OutcomeKind.VOIDED,
    PI_PROCESSING: OutcomeKind.PROCESSING,  # applied to the invoice found through Invoice Payments
}
_RETRYABLE = (OutcomeKind.FAILED, OutcomeKind.ACTION_REQUIRED)
HANDLED_TYPES = frozenset(
    {
        CHECKOUT_COMPLETED,
        SETUP_SUCCEEDED,
        PM_ATTACHED,
        PM_DETACHED,
        CUSTOMER_UPDATED,
        INVOICE_FINALIZED,
        *INVOICE_OUTCOMES,
        *DISPUTE_EVENTS,
    }
)
#: Stripe's dispute statuses (DESIGN §3): `warning_*` (inquiries) and the rest are ignored.
_DISPUTE_STATUSES = {
    "needs_response": DisputeStatus.OPENED,
    "under_review": DisputeStatus.OPENED,
    "won": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
}

_EVENT_ID = re.compile(r"^evt_[A-Za-z0-9_]{1,250}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class MalformedEvent(ValueError):
    """The body is not a Stripe event we can store."""


def parse_event(raw: Any) -> tuple[str, str, datetime, dict[str, Any]]:
    """Check the envelope of an event: (id, type, created, event as dict)."""
    if not isinstance(raw, dict):
        raise MalformedEvent("not a JSON object")
    event_id, event_type, created = raw.get("id"), raw.get("type"), raw.get("created")
    if not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
        raise MalformedEvent("no event id")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEvent("no event type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise MalformedEvent("no created timestamp")
    data = raw.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("no data.object")
    return event_id, event_type, from_unix(created), raw


def from_unix(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def _id(value: Any) -> str | None:
    """A Stripe reference may be an id or an expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def customer_of(event: Mapping[str, Any]) -> str | None:
    """The Stripe customer an event is about: the key that orders its processing."""
    data = event["data"]
    obj = data["object"]
    if obj.get("object") == "customer":
        return _id(obj.get("id"))
    customer = _id(obj.get("customer"))
    if customer is None and event.get("type") == PM_DETACHED:
        # A detached method no longer has a customer; Stripe names the former one here.
        customer = _id((data.get("previous_attributes") or {}).get("customer"))
    return customer


def payment_method_facts(pm: Mapping[str, Any]) -> PaymentMethodFacts:
    """Display facts of a payment method object: type, brand, last4, expiry. Nothing else."""
    kind = str(pm.get("type") or "unknown")
    found = pm.get(kind)
    details: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    last4 = details.get("last4")
    exp_month, exp_year = details.get("exp_month"), details.get("exp_year")
    bank_code, country = details.get("bank_code"), details.get("country")
    return PaymentMethodFacts(
        payment_method_id=str(pm["id"]),
        type=kind,
        brand=details.get("display_brand") or details.get("brand") or details.get("bank_name"),
        last4=last4 if isinstance(last4, str) and re.fullmatch(r"\d{4}", last4) else None,
        exp_month=exp_month if isinstance(exp_month, int) and 1 <= exp_month <= 12 else None,
        exp_year=exp_year if isinstance(exp_year, int) else None,
        attached_at=from_unix(pm.get("created") or 0),
        bank_code=bank_code if kind == "sepa_debit" and isinstance(bank_code, str) and bank_code else None,
        country=country if kind == "sepa_debit" and isinstance(country, str) and country else None,
    )


def default_payment_method(customer: Mapping[str, Any]) -> str | None:
    settings = customer.get("invoice_settings") or {}
    return _id(settings.get("default_payment_method"))


def default_changed(event: Mapping[str, Any]) -> bool:
    """customer.updated is about many things; we act only when the invoice default changed."""
    previous = event["data"].get("previous_attributes") or {}
    settings = previous.get("invoice_settings")
    return isinstance(settings, Mapping) and "default_payment_method" in settings


def invoice_ref(invoice: Mapping[str, Any]) -> InvoiceRef | None:
    """Our ids from the invoice metadata; None for invoices that are not ours."""
    meta = invoice.get("metadata") or {}
    try:
        service = Service(str(meta.get("service")))
        invoice_id = UUID(str(meta.get("invoice_id")))
    except ValueError:
        return None
    account_id, period = meta.get("account_id"), meta.get("period")
    if not isinstance(account_id, str) or not account_id or not isinstance(period, str):
        return None
    if not _PERIOD.match(period):
        return None
    return InvoiceRef(account_id=account_id, invoice_id=invoice_id, service=service, period=period)


def dispute_status(dispute: Mapping[str, Any]) -> DisputeStatus | None:
    return _DISPUTE_STATUSES.get(str(dispute.get("status")))


def ref_id(value: Any) -> str | None:
    """A Stripe reference (an id or an expanded object) as an id."""
    return _id(value)


def recovers_invoice_id(invoice: Mapping[str, Any]) -> UUID | None:
    """On a recovery invoice (invoicing's, after a lost dispute): our id of the invoice it recovers."""
    value = (invoice.get("metadata") or {}).get("recovers_invoice_id")
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def sepa_mandate(charge: Mapping[str, Any]) -> str | None:
    """The mandate a debit was collected under (the charge names it; the PaymentMethod does not)."""
    details = charge.get("payment_method_details") or {}
    mandate = (details.get("sepa_debit") or {}).get("mandate") if isinstance(details, Mapping) else None
    return mandate if isinstance(mandate, str) and mandate else None


def invoice_outcome(event_type: str, invoice: Mapping[str, Any]) -> InvoiceOutcome:
    kind = INVOICE_OUTCOMES[event_type]
    next_attempt = invoice.get("next_payment_attempt")
    paid = kind is OutcomeKind.PAID
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    return InvoiceOutcome(
        kind=kind,
        stripe_invoice_id=str(invoice["id"]),
        amount_cents=int(
            invoice.get("amount_paid" if paid else "amount_remaining") or invoice.get("amount_due") or 0
        ),
        currency=str(invoice.get("currency") or "eur").lower(),
        attempt_count=int(invoice.get("attempt_count") or 0),
        next_attempt_at=from_unix(next_attempt) if next_attempt and kind in _RETRYABLE else None,
        hosted_invoice_url=invoice.get("hosted_invoice_url"),
        failure_code="authentication_required" if kind is OutcomeKind.ACTION_REQUIRED else None,
        invoice_pdf=invoice.get("invoice_pdf"),
        paid_at=from_unix(paid_at) if paid and isinstance(paid_at, int) and paid_at else None,
    )
