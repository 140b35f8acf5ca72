"""Everything the emulator remembers, in memory: Stripe objects by id, events, deliveries, keys."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from autoletter.stripe_emulator.errors import missing

#: Id prefix → (collection, the name Stripe's errors use).
KINDS: dict[str, tuple[str, str]] = {
    "cus_": ("customers", "customer"),
    "pm_": ("payment_methods", "PaymentMethod"),
    "seti_": ("setup_intents", "setupintent"),
    "cs_": ("checkout_sessions", "checkout.session"),
    "bps_": ("portal_sessions", "billing_portal.session"),
    "in_": ("invoices", "invoice"),
    "ii_": ("invoice_items", "invoiceitem"),
    "pi_": ("payment_intents", "payment_intent"),
    "inpay_": ("invoice_payments", "invoice_payment"),
    "ch_": ("charges", "charge"),
    "dp_": ("disputes", "dispute"),
    "mandate_": ("mandates", "mandate"),
    "evt_": ("events", "event"),
    "we_": ("webhook_endpoints", "webhook_endpoint"),
}


@dataclass
class Collection:
    """Automatic collection of one invoice (the retry schedule's bookkeeping, not a Stripe field)."""

    first_attempt_at: int | None = None
    due_at: int | None = None


@dataclass(frozen=True, order=True)
class DebitStep:
    """A bank debit's next step on the test clock: settle a charge, open or close its dispute."""

    when: int
    object_id: str  # the charge (settle, dispute_open) or the dispute (dispute_close)
    kind: str  # settle | dispute_open | dispute_close
    #: Of the attempt that submitted the debit: what the retry schedule needs when it fails late.
    manual: bool = False
    first: bool = False


@dataclass
class Delivery:
    """One event sent (or being sent) to one endpoint, with each attempt's response code."""

    event_id: str
    event_type: str
    customer: str | None
    url: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    status: str = "pending"  # pending | delivered | failed (given up after the retry window)
    #: On the test clock: the first attempt, and the next retry while one is scheduled.
    first_attempt_at: int | None = None
    next_attempt_at: int | None = None


@dataclass
class Idempotent:
    fingerprint: tuple[str, str, str]
    status: int
    body: dict[str, Any]


@dataclass
class State:
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    setup_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkout_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoice_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoice_payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    mandates: dict[str, dict[str, Any]] = field(default_factory=dict)
    debit_steps: list[DebitStep] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhook_endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Card behaviour of each payment method ("succeed", "decline", "authenticate"); never the number.
    behaviours: dict[str, str] = field(default_factory=dict)
    detached: set[str] = field(default_factory=set)
    collections: dict[str, Collection] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    idempotency: dict[str, Idempotent] = field(default_factory=dict)
    endpoint_secrets: dict[str, str] = field(default_factory=dict)

    def __setstate__(self, saved: dict[str, Any]) -> None:
        # A snapshot from before a field existed gets that field's default (the file outlives versions).
        self.__dict__.update({**State().__dict__, **saved})

    def table(self, object_id: str) -> tuple[dict[str, dict[str, Any]], str]:
        for prefix, (name, kind) in KINDS.items():
            if object_id.startswith(prefix):
                return getattr(self, name), kind
        raise missing("object", object_id)

    def get(self, object_id: str, kind: str | None = None, *, param: str = "id") -> dict[str, Any]:
        """The stored object (mutable); a Stripe resource_missing error when unknown or of another kind."""
        try:
            table, found_kind = self.table(object_id)
        except Exception:
            raise missing(kind or "object", object_id, param=param) from None
        obj = table.get(object_id)
        if obj is None or (kind and found_kind != kind):
            raise missing(kind or found_kind, object_id, param=param)
        return obj

    def lookup(self, object_id: str) -> dict[str, Any] | None:
        """A copy of any stored object by id, for expansion; None when unknown."""
        try:
            table, _ = self.table(object_id)
        except Exception:
            return None
        obj = table.get(object_id)
        return copy.deepcopy(obj) if obj is not None else None
