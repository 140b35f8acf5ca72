"""Invoice outcomes move our record forward only: late and duplicate facts change nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from autoletter.contracts.common import Service
from autoletter.payments.domain.invoices import (
    TRANSITIONS,
    InvoiceOutcome,
    InvoiceRef,
    InvoiceState,
    OutcomeKind,
    apply_outcome,
)

REF = InvoiceRef("acc", uuid4(), Service.STANDARD, "2026-10")
LATER = datetime(2026, 11, 5, tzinfo=UTC)


def outcome(kind: OutcomeKind, attempts: int = 1, next_at: datetime | None = None) -> InvoiceOutcome:
    return InvoiceOutcome(kind, "in_1", 1234, "eur", attempts, next_at, "https://invoice.stripe.com/i/x")


def test_a_payment_failed_after_paid_changes_nothing() -> None:
    paid = apply_outcome(None, REF, outcome(OutcomeKind.PAID))
    assert paid is not None and paid.state is InvoiceState.PAID
    assert apply_outcome(paid, REF, outcome(OutcomeKind.FAILED, attempts=4)) is None


def test_a_failure_with_a_retry_scheduled_is_not_final() -> None:
    record = apply_outcome(None, REF, outcome(OutcomeKind.FAILED, next_at=LATER))
    assert record is not None and record.state is InvoiceState.OPEN and not record.unpaid_final


def test_an_earlier_retrying_failure_delivered_late_does_not_undo_the_final_one() -> None:
    final = apply_outcome(None, REF, outcome(OutcomeKind.FAILED, attempts=4))
    assert final is not None and final.state is InvoiceState.FAILED
    assert apply_outcome(final, REF, outcome(OutcomeKind.FAILED, attempts=2, next_at=LATER)) is None


def test_marked_uncollectible_after_the_final_failure_is_the_same_fact() -> None:
    final = apply_outcome(None, REF, outcome(OutcomeKind.FAILED, attempts=4))
    assert apply_outcome(final, REF, outcome(OutcomeKind.UNCOLLECTIBLE, attempts=4)) is None


def test_action_required_is_not_final_and_asks_for_authentication() -> None:
    result = outcome(OutcomeKind.ACTION_REQUIRED)
    assert not result.final and result.target_state is InvoiceState.OPEN


kinds = st.sampled_from(list(OutcomeKind))


@given(st.lists(st.tuples(kinds, st.integers(0, 6), st.booleans()), min_size=1, max_size=20))
def test_state_never_moves_backwards(sequence: list[tuple[OutcomeKind, int, bool]]) -> None:
    record = None
    for kind, attempts, retry in sequence:
        new = apply_outcome(record, REF, outcome(kind, attempts, LATER if retry else None))
        if new is None:
            continue
        if record is not None:
            assert record.state not in (InvoiceState.PAID, InvoiceState.VOID)
            assert new.state in TRANSITIONS[record.state]  # DESIGN §5's table, nothing else
            assert not (record.state is InvoiceState.FAILED and new.state is InvoiceState.OPEN)
            assert new.attempt_count >= record.attempt_count
        record = new
