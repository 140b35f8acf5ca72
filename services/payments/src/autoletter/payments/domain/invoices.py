"""What a Stripe invoice outcome means for our record of that invoice: forward only, never back.

Stripe does not guarantee the order of webhook deliveries and retries them for days, so an outcome is
applied only when it moves the invoice forward: `paid` and `void` are final, a failure for good is never
undone by an earlier, non-final failure, and a duplicate fact changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from autoletter.contracts.common import Service


class InvoiceState(StrEnum):
    """Our view of a Stripe invoice's collection."""

    OPEN = "open"  # a payment failed or needs action; Stripe will retry or the customer may act
    FAILED = "failed"  # failed for good: no retry scheduled, or marked uncollectible
    PAID = "paid"
    VOID = "void"


_RANK = {InvoiceState.OPEN: 0, InvoiceState.FAILED: 1, InvoiceState.PAID: 2, InvoiceState.VOID: 2}
UNPAID = frozenset({InvoiceState.OPEN, InvoiceState.FAILED})


class OutcomeKind(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    ACTION_REQUIRED = "action_required"
    UNCOLLECTIBLE = "uncollectible"
    VOIDED = "voided"


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

    @property
    def unpaid_final(self) -> bool:
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
        )
    if current.state in (InvoiceState.PAID, InvoiceState.VOID):
        return None  # final: a late failure or a second settlement changes nothing
    if _RANK[target] < _RANK[current.state]:
        return None  # a non-final failure delivered after the failure for good
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
        amount_cents=outcome.amount_cents,
        attempt_count=max(outcome.attempt_count, current.attempt_count),
        next_attempt_at=outcome.next_attempt_at,
        hosted_invoice_url=outcome.hosted_invoice_url or current.hosted_invoice_url,
        failure_code=(outcome.failure_code or current.failure_code)
        if target in UNPAID
        else current.failure_code,
    )
