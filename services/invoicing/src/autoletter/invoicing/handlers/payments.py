"""Payment outcomes (from payments.events) move our invoices' states, never backwards."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.payments import InvoiceVoided, PaymentFailed, PaymentSucceeded
from autoletter.invoicing.adapters import invoice_repo
from autoletter.invoicing.domain.invoice_state import (
    UNFINISHED,
    InvoiceState,
    PaymentOutcome,
    after_payment_event,
)
from autoletter.invoicing.handlers.issue import issued_event
from autoletter.runtime import outbox
from autoletter.runtime.clock import Clock
from autoletter.runtime.consumer import Handler

log = logging.getLogger(__name__)

PaymentEvent = PaymentSucceeded | PaymentFailed | InvoiceVoided


def outcome_of(event: PaymentEvent) -> PaymentOutcome:
    if isinstance(event, PaymentSucceeded):
        return PaymentOutcome.SUCCEEDED
    if isinstance(event, InvoiceVoided):
        return PaymentOutcome.VOIDED
    return PaymentOutcome.FAILED_FINAL if event.final else PaymentOutcome.FAILED_RETRYING


def apply_payment_outcome(clock: Clock, producer: str) -> Handler:
    """The handler of PaymentSucceeded, PaymentFailed and InvoiceVoided."""

    async def on_payment_event(session: AsyncSession, event: PaymentEvent) -> None:
        row = await invoice_repo.get(session, event.invoice_id, for_update=True)
        if row is None or row.account_id != event.account_id:
            log.warning("payment_event_for_unknown_invoice", extra={"event_type": event.event_type})
            return
        state = InvoiceState(row.state)
        new_state = after_payment_event(state, outcome_of(event))
        now = clock.now()
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
