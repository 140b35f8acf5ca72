"""The life of one of our invoices: built by the close, then moved by payment outcomes."""

from __future__ import annotations

from enum import StrEnum


class InvoiceState(StrEnum):
    DRAFT = "draft"  # our row and (maybe) the Stripe draft exist; lines not all attached
    LINES_ADDED = "lines_added"  # every line is on the Stripe draft; not finalised yet
    ISSUED = "issued"  # finalised in Stripe for automatic collection
    PROCESSING = "processing"  # a bank debit was submitted; its outcome comes in days
    PAYMENT_FAILED = "payment_failed"  # an attempt failed; Stripe retries
    UNCOLLECTIBLE = "uncollectible"  # failed for good
    PAID = "paid"
    VOID = "void"
    DISPUTED = "disputed"  # paid, then a dispute was lost: the amount is owed again (recovery invoice)


class PaymentOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    FAILED_RETRYING = "failed_retrying"
    FAILED_FINAL = "failed_final"
    VOIDED = "voided"
    DISPUTE_LOST = "dispute_lost"
    DISPUTE_WON = "dispute_won"


#: States the close still has work to do on.
UNFINISHED = frozenset({InvoiceState.DRAFT, InvoiceState.LINES_ADDED})

_COLLECTING = frozenset(
    {
        InvoiceState.PROCESSING,
        InvoiceState.PAID,
        InvoiceState.PAYMENT_FAILED,
        InvoiceState.UNCOLLECTIBLE,
        InvoiceState.VOID,
    }
)
#: DESIGN §5: invoice states move only along this table; any other event is acknowledged and ignored.
TRANSITIONS: dict[InvoiceState, frozenset[InvoiceState]] = {
    InvoiceState.DRAFT: frozenset({InvoiceState.LINES_ADDED}),
    InvoiceState.LINES_ADDED: frozenset({InvoiceState.ISSUED}),
    InvoiceState.ISSUED: _COLLECTING,
    InvoiceState.PAYMENT_FAILED: _COLLECTING,
    InvoiceState.PROCESSING: frozenset({InvoiceState.PAID, InvoiceState.PAYMENT_FAILED}),
    InvoiceState.UNCOLLECTIBLE: frozenset({InvoiceState.PROCESSING, InvoiceState.PAID, InvoiceState.VOID}),
    InvoiceState.PAID: frozenset({InvoiceState.DISPUTED}),
    InvoiceState.DISPUTED: frozenset({InvoiceState.PAID}),
    InvoiceState.VOID: frozenset(),
}

_TARGET = {
    PaymentOutcome.SUCCEEDED: InvoiceState.PAID,
    PaymentOutcome.PROCESSING: InvoiceState.PROCESSING,
    PaymentOutcome.FAILED_RETRYING: InvoiceState.PAYMENT_FAILED,
    PaymentOutcome.FAILED_FINAL: InvoiceState.UNCOLLECTIBLE,
    PaymentOutcome.VOIDED: InvoiceState.VOID,
    PaymentOutcome.DISPUTE_LOST: InvoiceState.DISPUTED,
    PaymentOutcome.DISPUTE_WON: InvoiceState.PAID,
}


def after_payment_event(state: InvoiceState, outcome: PaymentOutcome) -> InvoiceState:
    """The state after a payment outcome, along TRANSITIONS only; anything else leaves it as it is
    (late or out-of-order outcomes never move it backwards).

    An outcome for an invoice whose close had not yet recorded the finalisation still applies: Stripe
    only reports outcomes of finalised invoices. A debit failing for good goes processing →
    payment_failed → uncollectible, both steps of the table. Disputed → paid is a dispute won only.
    """
    current = InvoiceState.ISSUED if state in UNFINISHED else state
    target = _TARGET[outcome]
    if current is InvoiceState.DISPUTED and outcome is not PaymentOutcome.DISPUTE_WON:
        return state
    if current is InvoiceState.PAID and outcome is PaymentOutcome.DISPUTE_WON:
        return state  # a dispute won while the invoice was still paid: nothing to change
    if current is InvoiceState.PROCESSING and target is InvoiceState.UNCOLLECTIBLE:
        return InvoiceState.UNCOLLECTIBLE  # via payment_failed
    return target if target in TRANSITIONS[current] else state


def after_finalised(state: InvoiceState) -> InvoiceState:
    """Finalising moves an unfinished invoice to issued; a later state is kept."""
    return InvoiceState.ISSUED if state in UNFINISHED else state
