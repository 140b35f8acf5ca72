"""Payment outcomes (from payments.events) move our invoices' states along DESIGN §5's table only; a
lost dispute also records the dispute's recovery invoice (issued by the recovery worker)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.payments import (
    DisputeStatus,
    InvoiceVoided,
    PaymentDisputed,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
)
from autoletter.invoicing.adapters import invoice_repo, recovery_repo
from autoletter.invoicing.domain.invoice_state import (
    UNFINISHED,
    InvoiceState,
    PaymentOutcome,
    after_payment_event,
)
from autoletter.invoicing.handlers import recovery
from autoletter.invoicing.handlers.issue import issued_event
from autoletter.runtime import outbox
from autoletter.runtime.clock import Clock
from autoletter.runtime.consumer import Handler
from autoletter.runtime.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

PaymentEvent = PaymentSucceeded | PaymentFailed | InvoiceVoided | PaymentProcessing | PaymentDisputed

_DISPUTE_OUTCOMES = {
    DisputeStatus.LOST: PaymentOutcome.DISPUTE_LOST,
    DisputeStatus.WON: PaymentOutcome.DISPUTE_WON,
}


def outcome_of(event: PaymentEvent) -> PaymentOutcome | None:
    """What the event means for the invoice; None when nothing (a dispute opened, an unknown status)."""
    if isinstance(event, PaymentSucceeded):
        return PaymentOutcome.SUCCEEDED
    if isinstance(event, InvoiceVoided):
        return PaymentOutcome.VOIDED
    if isinstance(event, PaymentProcessing):
        return PaymentOutcome.PROCESSING
    if isinstance(event, PaymentDisputed):
        if event.dispute_status == DisputeStatus.LOST:
            return PaymentOutcome.DISPUTE_LOST
        return PaymentOutcome.DISPUTE_WON if event.dispute_status == DisputeStatus.WON else None
    return PaymentOutcome.FAILED_FINAL if event.final else PaymentOutcome.FAILED_RETRYING


def apply_payment_outcome(clock: Clock, producer: str) -> Handler:
    """The handler of PaymentSucceeded, PaymentFailed, InvoiceVoided, PaymentProcessing, PaymentDisputed."""

    async def on_payment_event(uow: SqlUnitOfWork[Any], event: PaymentEvent) -> None:
        session = uow.session
        outcome = outcome_of(event)
        if outcome is None:
            return  # a dispute opened changes no state
        row = await invoice_repo.get(session, event.invoice_id, for_update=True)
        if row is None:
            await _recovery_outcome(session, event, outcome, clock.now())
            return
        if row.account_id != event.account_id:
            log.warning("payment_event_for_unknown_invoice", extra={"event_type": event.event_type})
            return
        state = InvoiceState(row.state)
        new_state = after_payment_event(state, outcome)
        now = clock.now()
        if isinstance(event, PaymentDisputed) and new_state is InvoiceState.DISPUTED:
            await recovery.record(session, event, row, now)
        values: dict[str, str | datetime | None] = {}
        if new_state != state:
            values.update(state=new_state.value, updated_at=now)
        if isinstance(event, PaymentFailed) and new_state != state:
            values["last_failure_code"] = event.failure_code
        if row.issued_at is None and state in UNFINISHED and new_state != state:
            # Stripe reports outcomes of finalised invoices only: a close stopped right after
            # finalising has not announced it yet. Announce it here, exactly once.
            values.update(issued_at=now, stripe_invoice_id=row.stripe_invoice_id or event.stripe_invoice_id)
            await outbox.add(session, issued_event(row, values["stripe_invoice_id"], producer, now))
        if values:
            await invoice_repo.set_values(session, event.invoice_id, **values)

    return on_payment_event


async def _recovery_outcome(
    session: AsyncSession, event: PaymentEvent, outcome: PaymentOutcome, now: datetime
) -> None:
    """A payment outcome of a recovery invoice (payments names it by our id, as any invoice)."""
    row = await recovery_repo.get(session, event.invoice_id, for_update=True)
    if row is None or row.account_id != event.account_id:
        log.warning("payment_event_for_unknown_invoice", extra={"event_type": event.event_type})
        return
    state = InvoiceState(row.state)
    new_state = after_payment_event(state, outcome)
    if new_state != state:
        await recovery_repo.set_values(session, event.invoice_id, state=new_state.value, updated_at=now)
