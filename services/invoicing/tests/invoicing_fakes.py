"""Invoicing's fakes for the fast handler tests: an in-memory repository and builders of invoices and
payment events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from autoletter.contracts import Envelope, new_event
from autoletter.contracts.common import Service
from autoletter.contracts.payments import (
    DisputeStatus,
    PaymentDisputed,
    PaymentFailed,
    PaymentSucceeded,
)
from autoletter.invoicing.adapters.repository import Invoice, RecoveryInvoice, UsageEntry
from autoletter.invoicing.domain.invoice_state import InvoiceState
from autoletter.invoicing.domain.pricing import Price, PriceList
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.uow import FakeUnitOfWork

NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
EARLIER = NOW - timedelta(days=3)
ACCOUNT = "acc-1"
PERIOD = "2026-11"
S = InvoiceState
E = TypeVar("E", bound=Envelope)


@dataclass
class InMemoryInvoicing:
    """What the handlers use of InvoicingRepository, over dicts (the `Invoicing` protocol)."""

    prices: PriceList = field(
        default_factory=lambda: PriceList(
            (Price(Service.STANDARD, datetime(2020, 1, 1, tzinfo=UTC), 95, 15),)
        )
    )
    invoices: dict[UUID, Invoice] = field(default_factory=dict)
    recoveries: dict[UUID, RecoveryInvoice] = field(default_factory=dict)
    usage: dict[UUID, UsageEntry] = field(default_factory=dict)
    customers: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    locked: list[UUID] = field(default_factory=list)
    writes: list[tuple[str, UUID]] = field(default_factory=list)

    async def price_list(self) -> PriceList:
        return self.prices

    async def add_usage(self, entries: Sequence[UsageEntry]) -> Counter[str]:
        written: Counter[str] = Counter()
        for e in entries:
            if e.usage.letter_id not in self.usage:
                self.usage[e.usage.letter_id] = e
                written[e.usage.service.value] += 1
        return written

    async def save_customer(self, account_id: str, stripe_customer_id: str, at: datetime) -> None:
        self.customers[account_id] = (stripe_customer_id, at)

    async def invoice(self, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        if for_update:
            self.locked.append(invoice_id)
        return self.invoices.get(invoice_id)

    async def set_state(self, invoice_id: UUID, state: InvoiceState, at: datetime) -> None:
        self.writes.append(("set_state", invoice_id))
        self.invoices[invoice_id] = replace(self.invoices[invoice_id], state=state)

    async def set_failed(
        self, invoice_id: UUID, state: InvoiceState, at: datetime, failure_code: str | None
    ) -> None:
        self.writes.append(("set_failed", invoice_id))
        self.invoices[invoice_id] = replace(
            self.invoices[invoice_id], state=state, last_failure_code=failure_code
        )

    async def mark_issued(
        self,
        invoice_id: UUID,
        at: datetime,
        *,
        stripe_invoice_id: str | None = None,
        state: InvoiceState | None = None,
    ) -> None:
        self.writes.append(("mark_issued", invoice_id))
        before = self.invoices[invoice_id]
        self.invoices[invoice_id] = replace(
            before,
            issued_at=at,
            stripe_invoice_id=stripe_invoice_id or before.stripe_invoice_id,
            state=state or before.state,
        )

    async def recovery(self, invoice_id: UUID, *, for_update: bool = False) -> RecoveryInvoice | None:
        if for_update:
            self.locked.append(invoice_id)
        return self.recoveries.get(invoice_id)

    async def request_recovery(self, recovery: RecoveryInvoice) -> bool:
        if any(r.dispute_id == recovery.dispute_id for r in self.recoveries.values()):
            return False
        self.recoveries[recovery.invoice_id] = recovery
        return True

    async def set_recovery_state(self, invoice_id: UUID, state: InvoiceState, at: datetime) -> None:
        self.writes.append(("set_recovery_state", invoice_id))
        self.recoveries[invoice_id] = replace(self.recoveries[invoice_id], state=state, updated_at=at)


def unit(repos: InMemoryInvoicing) -> FakeUnitOfWork[InMemoryInvoicing]:
    return FakeUnitOfWork(producer="invoicing", clock=FrozenClock(NOW), repos=repos)


def invoice(state: InvoiceState, *, account_id: str = ACCOUNT, **kw: Any) -> Invoice:
    values: dict[str, Any] = {
        "invoice_id": uuid4(),
        "account_id": account_id,
        "service": Service.STANDARD,
        "period": PERIOD,
        "state": state,
        "currency": "eur",
        "letters": 12,
        "amount_cents": 1140,
        "stripe_customer_id": f"cus_{account_id}",
        "stripe_invoice_id": "in_ours",
        "issued_at": None if state in (S.DRAFT, S.LINES_ADDED) else EARLIER,
    }
    values.update(kw)
    return Invoice(**values)


def stored(*invoices: Invoice) -> InMemoryInvoicing:
    return InMemoryInvoicing(invoices={i.invoice_id: i for i in invoices})


def payment_event(cls: type[E], inv: Invoice, account_id: str | None = None, **payload: Any) -> E:
    return new_event(
        cls,
        account_id=account_id or inv.account_id,
        producer="payments",
        occurred_at=NOW - timedelta(minutes=1),
        invoice_id=inv.invoice_id,
        stripe_invoice_id="in_from_payments",
        service=inv.service,
        period=inv.period,
        **payload,
    )


def succeeded(inv: Invoice, account_id: str | None = None) -> PaymentSucceeded:
    return payment_event(PaymentSucceeded, inv, account_id, amount_cents=inv.amount_cents, currency="eur")


def failed(inv: Invoice, *, final: bool, code: str | None = "card_declined") -> PaymentFailed:
    return payment_event(
        PaymentFailed,
        inv,
        amount_cents=inv.amount_cents,
        currency="eur",
        attempt_count=4 if final else 1,
        next_attempt_at=None if final else NOW + timedelta(days=3),
        final=final,
        failure_code=code,
    )


def disputed(inv: Invoice, status: DisputeStatus, dispute_id: str = "dp_1") -> PaymentDisputed:
    return payment_event(
        PaymentDisputed, inv, dispute_id=dispute_id, amount_cents=900, currency="eur", dispute_status=status
    )


# Payment outcomes move our invoice along the table.
