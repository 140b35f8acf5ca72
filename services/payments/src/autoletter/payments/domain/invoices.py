"""What a Stripe invoice outcome means for our record of that invoice: forward only, never back.

Stripe does not guarantee the order of webhook deliveries and retries them for days, so an outcome is
applied only when it moves the invoice forward along DESIGN §5's transition table (`TRANSITIONS`): any
other event for the invoice is acknowledged and ignored. A failure for good is never undone by an earlier,
non-final failure, a duplicate fact changes nothing, and a debit still processing is never charged again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from autoletter.contracts.common import Service
from autoletter.contracts.payments import DisputeStatus


class InvoiceState(StrEnum):
    """Our view of a Stripe invoice's collection."""

    OPEN = "open"  # a payment failed or needs action; Stripe will retry or the customer may act
    FAILED = "failed"  # failed for good: no retry scheduled, or marked uncollectible
    PAID = "paid"
    VOID = "void"
    PROCESSING = "processing"  # a bank debit was submitted; its outcome comes in days
    DISPUTED = "disputed"  # paid, then a dispute was lost: the amount is owed again (recovery invoice)


#: DESIGN §5's table in our states: `open` is issued or failing with retries left, `failed` is failed
#: for good or uncollectible. Anything else is acknowledged and ignored.
TRANSITIONS: dict[InvoiceState, frozenset[InvoiceState]] = {
    InvoiceState.OPEN: frozenset(
        {
            InvoiceState.PROCESSING,
            InvoiceState.PAID,
            InvoiceState.OPEN,
            InvoiceState.FAILED,
            InvoiceState.VOID,
        }
    ),
    InvoiceState.FAILED: frozenset(
        {InvoiceState.PROCESSING, InvoiceState.PAID, InvoiceState.FAILED, InvoiceState.VOID}
    ),
    InvoiceState.PROCESSING: frozenset({InvoiceState.PAID, InvoiceState.OPEN, InvoiceState.FAILED}),
    InvoiceState.PAID: frozenset({InvoiceState.DISPUTED}),
    InvoiceState.DISPUTED: frozenset({InvoiceState.PAID}),
    InvoiceState.VOID: frozenset(),
}
#: Still to be charged (invoices.pay on a new default); never a processing debit, never a disputed one.
UNPAID = frozenset({InvoiceState.OPEN, InvoiceState.FAILED})


class OutcomeKind(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    ACTION_REQUIRED = "action_required"
    UNCOLLECTIBLE = "uncollectible"
    VOIDED = "voided"
    PROCESSING = "processing"


@dataclass(frozen=True)
class InvoiceRef:
    """Our ids of an invoice, read from the Stripe invoice's metadata."""

    account_id: str
    invoice_id: UUID
    service: Service
    period: str


@dataclass(frozen=True)
class InvoiceOutcome:
    """One Stripe invoice event, reduced to the facts we keep."""

    kind: OutcomeKind
    stripe_invoice_id: str
    amount_cents: int
    currency: str
    attempt_count: int
    next_attempt_at: datetime | None
    hosted_invoice_url: str | None
    failure_code: str | None = None
    failure_message: str | None = None
    #: Stripe's PDF of the invoice (a receipt once paid) and when it was paid, when Stripe says.
    invoice_pdf: str | None = None
    paid_at: datetime | None = None

    @property
    def final(self) -> bool:
        """Failed for good: Stripe schedules no further attempt, or the invoice is uncollectible."""
        if self.kind is OutcomeKind.UNCOLLECTIBLE:
            return True
        return self.kind is OutcomeKind.FAILED and self.next_attempt_at is None

    @property
    def target_state(self) -> InvoiceState:
        if self.kind is OutcomeKind.PAID:
            return InvoiceState.PAID
        if self.kind is OutcomeKind.VOIDED:
            return InvoiceState.VOID
        if self.kind is OutcomeKind.PROCESSING:
            return InvoiceState.PROCESSING
        return InvoiceState.FAILED if self.final else InvoiceState.OPEN


@dataclass(frozen=True)
class InvoiceRecord:
    """Our row for one Stripe invoice."""

    ref: InvoiceRef
    stripe_invoice_id: str
    state: InvoiceState
    amount_cents: int
    currency: str
    attempt_count: int
    next_attempt_at: datetime | None
    hosted_invoice_url: str | None
    failure_code: str | None
    #: It failed for good and is not settled: a debit submitted since keeps it owed until it succeeds.
    failed_for_good: bool = False
    dispute_id: str | None = None
    dispute_status: DisputeStatus | None = None
    disputed_at: datetime | None = None
    #: When the recovery invoice of a lost dispute was paid: the amount is no longer owed.
    recovered_at: datetime | None = None
    #: On a recovery invoice: our id of the invoice whose lost dispute it recovers.
    recovers_invoice_id: UUID | None = None
    #: Stripe's PDF of the invoice (the receipt once paid), and when it was paid if Stripe said so.
    invoice_pdf: str | None = None
    paid_at: datetime | None = None

    @property
    def unpaid_final(self) -> bool:
        """Counts as an unpaid invoice failed for good (DESIGN §5), so the service is overdue."""
        if self.state is InvoiceState.PROCESSING:
            return self.failed_for_good
        if self.state is InvoiceState.DISPUTED:
            return self.recovered_at is None
        return self.state is InvoiceState.FAILED


def apply_outcome(
    current: InvoiceRecord | None, ref: InvoiceRef, outcome: InvoiceOutcome
) -> InvoiceRecord | None:
    """The record after the outcome, or None when the outcome is stale or changes nothing."""
    target = outcome.target_state
    if current is None:
        return InvoiceRecord(
            ref=ref,
            stripe_invoice_id=outcome.stripe_invoice_id,
            state=target,
            amount_cents=outcome.amount_cents,
            currency=outcome.currency,
            attempt_count=outcome.attempt_count,
            next_attempt_at=outcome.next_attempt_at,
            hosted_invoice_url=outcome.hosted_invoice_url,
            failure_code=outcome.failure_code,
            failed_for_good=target is InvoiceState.FAILED,
            invoice_pdf=outcome.invoice_pdf,
            paid_at=outcome.paid_at if target is InvoiceState.PAID else None,
        )
    if current.state is InvoiceState.DISPUTED:
        return None  # disputed → paid is the dispute won (apply_dispute), not a redelivered invoice.paid
    if target not in TRANSITIONS[current.state]:
        return None  # outside the table: e.g. a late failure after paid, a failure for good undone
    if current.state is InvoiceState.PROCESSING and outcome.kind is OutcomeKind.UNCOLLECTIBLE:
        return None  # processing → paid or payment_failed only
    stale = outcome.attempt_count < current.attempt_count
    if stale and InvoiceState.PROCESSING in (current.state, target):
        return None  # an earlier attempt's news, delivered after a newer debit was submitted
    if target is current.state:
        if outcome.attempt_count < current.attempt_count:
            return None  # an older attempt delivered late
        same = (
            outcome.attempt_count == current.attempt_count
            # the decline code is looked up after this check: an outcome without one carries no news
            and (outcome.failure_code or current.failure_code) == current.failure_code
            and outcome.next_attempt_at == current.next_attempt_at
        )
        if same:
            return None  # the same fact again (e.g. payment_failed then marked_uncollectible)
    return replace(
        current,
        state=target,
        failed_for_good=target is InvoiceState.FAILED
        or (target is InvoiceState.PROCESSING and current.unpaid_final),
        amount_cents=outcome.amount_cents,
        attempt_count=max(outcome.attempt_count, current.attempt_count),
        next_attempt_at=outcome.next_attempt_at,
        hosted_invoice_url=outcome.hosted_invoice_url or current.hosted_invoice_url,
        invoice_pdf=outcome.invoice_pdf or current.invoice_pdf,
        paid_at=(outcome.paid_at or current.paid_at) if target is InvoiceState.PAID else current.paid_at,
        failure_code=(outcome.failure_code or current.failure_code)
        if target in UNPAID
        else current.failure_code,
    )


_DISPUTE_RANK = {DisputeStatus.OPENED: 0, DisputeStatus.WON: 1, DisputeStatus.LOST: 1}


def apply_dispute(
    current: InvoiceRecord, dispute_id: str, dispute_status: DisputeStatus, when: datetime
) -> InvoiceRecord | None:
    """A dispute of a paid invoice: opened changes no state, lost → disputed (owed again until its
    recovery invoice is paid), won → paid. None when stale, a duplicate, or outside the table."""
    if current.state not in (InvoiceState.PAID, InvoiceState.DISPUTED):
        return None
    known = current.dispute_status if current.dispute_id == dispute_id else None
    if known is not None and _DISPUTE_RANK[dispute_status] <= _DISPUTE_RANK[known]:
        return None  # the same news again, or `opened` delivered after the dispute closed
    state = current.state
    if dispute_status is DisputeStatus.LOST:
        state = InvoiceState.DISPUTED
    elif dispute_status is DisputeStatus.WON:
        state = InvoiceState.PAID
    if state is not current.state and state not in TRANSITIONS[current.state]:
        return None
    return replace(
        current,
        state=state,
        dispute_id=dispute_id,
        dispute_status=dispute_status,
        disputed_at=when if dispute_status is DisputeStatus.LOST else current.disputed_at,
    )
