"""A lost dispute's recovery invoice: recorded with the dispute (once), then issued in Stripe by a
worker that resumes from our row and Stripe's metadata after any crash. No fee is added, and it is
finalised without automatic collection: payments charges it only to a method made default after the
dispute."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol
from uuid import UUID

from autoletter.contracts.payments import PaymentDisputed
from autoletter.invoicing.adapters.repository import Invoice, InvoicingRepository, RecoveryInvoice
from autoletter.invoicing.adapters.stripe_billing import DraftRequest, LineRequest
from autoletter.invoicing.domain.invoice_state import InvoiceState
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.recovery import LINE_KEY, recovery_invoice_id, stripe_key
from autoletter.invoicing.handlers.issue import InvoicingWork
from autoletter.runtime.uow import Units

log = logging.getLogger(__name__)


class RecoveryBilling(Protocol):
    async def find_invoice(self, invoice_id: UUID, customer: str) -> str | None: ...
    async def create_draft(self, draft: DraftRequest) -> str: ...
    async def attached_lines(self, stripe_invoice_id: str, invoice_id: UUID) -> dict[str, str]: ...
    async def add_line(self, stripe_invoice_id: str, draft: DraftRequest, line: LineRequest) -> str: ...
    async def finalize(self, stripe_invoice_id: str, invoice_id: UUID, *, automatic: bool = True) -> None: ...


async def record(uow: InvoicingWork, event: PaymentDisputed, disputed: Invoice, now: datetime) -> bool:
    """The recovery of this dispute, for the disputed amount; False when recorded before."""
    created = await uow.repos.request_recovery(
        RecoveryInvoice(
            invoice_id=recovery_invoice_id(event.dispute_id),
            dispute_id=event.dispute_id,
            recovers_invoice_id=event.invoice_id,
            account_id=event.account_id,
            service=disputed.service,
            period=disputed.period,
            amount_cents=event.amount_cents,
            currency=event.currency,
            stripe_customer_id=disputed.stripe_customer_id,
            state=InvoiceState.DRAFT,
            created_at=now,
            updated_at=now,
        )
    )
    if created:
        log.info("recovery_invoice_requested", extra={"dispute_id": event.dispute_id})
    return created


def _draft(recovery: RecoveryInvoice) -> DraftRequest:
    service = recovery.service.value
    label = Period.parse(recovery.period).label
    return DraftRequest(
        invoice_id=recovery.invoice_id,
        account_id=recovery.account_id,
        service=service,
        period=recovery.period,
        customer=recovery.stripe_customer_id,
        currency=recovery.currency,
        description=f"{service.capitalize()} letters {label}: disputed payment",
        extra_metadata=(
            ("recovers_invoice_id", str(recovery.recovers_invoice_id)),
            ("dispute_id", recovery.dispute_id),
        ),
        key=stripe_key(recovery.dispute_id),
    )


async def issue(units: Units[InvoicingRepository], billing: RecoveryBilling, invoice_id: UUID) -> bool:
    """Take one recovery to issued: find or create its draft, its one line, finalise. Idempotent.

    Each step is recorded in its own unit of work before the next Stripe request (a crash resumes)."""
    async with units.begin() as uow:
        found = await uow.repos.recovery(invoice_id)
    if found is None or found.state is not InvoiceState.DRAFT:
        return False
    draft = _draft(found)
    stripe_id = found.stripe_invoice_id or await billing.find_invoice(invoice_id, draft.customer)
    if stripe_id is None:
        stripe_id = await billing.create_draft(draft)
    async with units.begin() as uow:
        await uow.repos.set_recovery_stripe_id(invoice_id, stripe_id, uow.now())
    if LINE_KEY not in await billing.attached_lines(stripe_id, invoice_id):
        line = LineRequest(
            LINE_KEY, draft.description, found.amount_cents, found.created_at, found.created_at
        )
        await billing.add_line(stripe_id, draft, line)
    await billing.finalize(stripe_id, invoice_id, automatic=False)
    async with units.begin() as uow:
        await uow.repos.set_recovery_state(invoice_id, InvoiceState.ISSUED, uow.now())
    log.info(
        "recovery_invoice_issued", extra={"dispute_id": found.dispute_id, "stripe_invoice_id": stripe_id}
    )
    return True
