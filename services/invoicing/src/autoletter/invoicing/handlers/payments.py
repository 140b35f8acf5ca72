"""Payment outcomes (from payments.events) move our invoices' states along DESIGN §5's table only; a
lost dispute also records the dispute's recovery invoice (issued by the recovery worker)."""

from __future__ import annotations

import logging

from autoletter.contracts.payments import (
    DisputeStatus,
    InvoiceVoided,
    PaymentDisputed,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
)
from autoletter.invoicing.domain.invoice_state import (
    UNFINISHED,
    InvoiceState,
    PaymentOutcome,
    after_payment_event,
)
from autoletter.invoicing.handlers import recovery
from autoletter.invoicing.handlers.issue import InvoicingWork, issued_event

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


async def apply_payment_outcome(uow: InvoicingWork, event: PaymentEvent) -> None:
    """The handler of PaymentSucceeded, PaymentFailed, InvoiceVoided, PaymentProcessing, PaymentDisputed."""
    outcome = outcome_of(event)
    if outcome is None:
        return  # a dispute opened changes no state
    invoice = await uow.repos.invoice(event.invoice_id, for_update=True)
    if invoice is None:
        await _recovery_outcome(uow, event, outcome)
        return
    if invoice.account_id != event.account_id:
        log.warning("payment_event_for_unknown_invoice", extra={"event_type": event.event_type})
        return
    state = invoice.state
    new_state = after_payment_event(state, outcome)
    now = uow.now()
    if isinstance(event, PaymentDisputed) and new_state is InvoiceState.DISPUTED:
        await recovery.record(uow, event, invoice, now)
    if new_state == state:
        return
    if isinstance(event, PaymentFailed):
        await uow.repos.set_failed(event.invoice_id, new_state, now, event.failure_code)
    else:
        await uow.repos.set_state(event.invoice_id, new_state, now)
    if invoice.issued_at is None and state in UNFINISHED:
        # Stripe reports outcomes of finalised invoices only: a close stopped right after
        # finalising has not announced it yet. Announce it here, exactly once.
        stripe_invoice_id = invoice.stripe_invoice_id or event.stripe_invoice_id
        await uow.repos.mark_issued(event.invoice_id, now, stripe_invoice_id=stripe_invoice_id)
        await uow.stage(issued_event(uow, invoice, stripe_invoice_id, now))


async def _recovery_outcome(uow: InvoicingWork, event: PaymentEvent, outcome: PaymentOutcome) -> None:
    """A payment outcome of a recovery invoice (payments names it by our id, as any invoice)."""
    found = await uow.repos.recovery(event.invoice_id, for_update=True)
    if found is None or found.account_id != event.account_id:
        log.warning("payment_event_for_unknown_invoice", extra={"event_type": event.event_type})
        return
    new_state = after_payment_event(found.state, outcome)
    if new_state != found.state:
        await uow.repos.set_recovery_state(event.invoice_id, new_state, uow.now())
