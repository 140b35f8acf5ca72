"""The life of one of our invoices: built by the close, then moved by payment outcomes."""

from __future__ import annotations

from enum import StrEnum


class InvoiceState(StrEnum):
    DRAFT = "draft"  # our row and (maybe) the Stripe draft exist; lines not all attached
    LINES_ADDED = "lines_added"  # every line is on the Stripe draft; not finalised yet
    ISSUED = "issued"  # finalised in Stripe for automatic collection
    PAYMENT_FAILED = "payment_failed"  # an attempt failed; Stripe retries
    UNCOLLECTIBLE = "uncollectible"  # failed for good
    PAID = "paid"
    VOID = "void"


class PaymentOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED_RETRYING = "failed_retrying"
    FAILED_FINAL = "failed_final"
    VOIDED = "voided"


#: States the close still has work to do on.
UNFINISHED = frozenset({InvoiceState.DRAFT, InvoiceState.LINES_ADDED})
#: No event moves an invoice out of these.
FINAL = frozenset({InvoiceState.PAID, InvoiceState.VOID})

_TARGET = {
    PaymentOutcome.SUCCEEDED: InvoiceState.PAID,
    PaymentOutcome.FAILED_RETRYING: InvoiceState.PAYMENT_FAILED,
    PaymentOutcome.FAILED_FINAL: InvoiceState.UNCOLLECTIBLE,
    PaymentOutcome.VOIDED: InvoiceState.VOID,
}

_RANK = {
    InvoiceState.DRAFT: 0,
    InvoiceState.LINES_ADDED: 1,
    InvoiceState.ISSUED: 2,
    InvoiceState.PAYMENT_FAILED: 3,
    InvoiceState.UNCOLLECTIBLE: 4,
    InvoiceState.PAID: 5,
    InvoiceState.VOID: 5,
}


def after_payment_event(state: InvoiceState, outcome: PaymentOutcome) -> InvoiceState:
    """The state after a payment outcome; late or out-of-order outcomes never move it backwards.

    issued → payment_failed (retrying) → paid | uncollectible → paid; void from anything not paid.
    A paid or void invoice stays so. An outcome for an invoice whose close had not yet recorded
    the finalisation still applies: Stripe only reports outcomes of finalised invoices.
    """
    if state in FINAL:
        return state
    target = _TARGET[outcome]
    return target if _RANK[target] > _RANK[state] else state


def after_finalised(state: InvoiceState) -> InvoiceState:
    """Finalising moves an unfinished invoice to issued; a later state is kept."""
    return InvoiceState.ISSUED if state in UNFINISHED else state
