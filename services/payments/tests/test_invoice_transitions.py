"""DESIGN §5's invoice transition table in payments: debits processing, late failures, disputes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from autoletter.contracts.common import Service
from autoletter.contracts.payments import DisputeStatus
from autoletter.payments.domain.invoices import (
    TRANSITIONS,
    InvoiceOutcome,
    InvoiceRecord,
    InvoiceRef,
    InvoiceState,
    OutcomeKind,
    apply_dispute,
    apply_outcome,
)

REF = InvoiceRef("acc", uuid4(), Service.STANDARD, "2026-10")
RETRY_AT = datetime(2026, 11, 5, tzinfo=UTC)
LOST_AT = datetime(2026, 11, 20, tzinfo=UTC)


def outcome(kind: OutcomeKind, attempts: int = 1, next_at: datetime | None = None) -> InvoiceOutcome:
    return InvoiceOutcome(kind, "in_1", 1234, "eur", attempts, next_at, None)


def record_in(state: InvoiceState, attempts: int = 1, failed_for_good: bool = False) -> InvoiceRecord:
    return InvoiceRecord(REF, "in_1", state, 1234, "eur", attempts, None, None, None, failed_for_good)


#: (state, what happened) → the state after it, or None when the table ignores it.
CASES = [
    (InvoiceState.OPEN, outcome(OutcomeKind.PROCESSING, 2), InvoiceState.PROCESSING),
    (InvoiceState.FAILED, outcome(OutcomeKind.PROCESSING, 1), InvoiceState.PROCESSING),
    (InvoiceState.PROCESSING, outcome(OutcomeKind.PAID), InvoiceState.PAID),
    (InvoiceState.PROCESSING, outcome(OutcomeKind.FAILED, 1, RETRY_AT), InvoiceState.OPEN),
    (InvoiceState.PROCESSING, outcome(OutcomeKind.FAILED, 4), InvoiceState.FAILED),
    (InvoiceState.PROCESSING, outcome(OutcomeKind.VOIDED), None),
    (InvoiceState.PROCESSING, outcome(OutcomeKind.UNCOLLECTIBLE), None),
    (InvoiceState.PROCESSING, outcome(OutcomeKind.PROCESSING), None),
    (InvoiceState.PAID, outcome(OutcomeKind.PROCESSING, 2), None),
    (InvoiceState.PAID, outcome(OutcomeKind.FAILED, 2), None),
    (InvoiceState.VOID, outcome(OutcomeKind.PAID), None),
    (InvoiceState.DISPUTED, outcome(OutcomeKind.FAILED, 2), None),
    (InvoiceState.DISPUTED, outcome(OutcomeKind.PAID), None),  # a redelivered invoice.paid: not a won dispute
    (InvoiceState.FAILED, outcome(OutcomeKind.FAILED, 1, RETRY_AT), None),
]


@pytest.mark.parametrize(("state", "event", "expected"), CASES)
def test_invoice_states_move_only_along_the_table(
    state: InvoiceState, event: InvoiceOutcome, expected: InvoiceState | None
) -> None:
    after = apply_outcome(record_in(state), REF, event)
    assert (after.state if after else None) is expected
    if after is not None:
        assert after.state in TRANSITIONS[state]


def test_a_debit_processing_changes_no_status() -> None:
    after = apply_outcome(record_in(InvoiceState.OPEN), REF, outcome(OutcomeKind.PROCESSING, 1))
    assert after is not None and not after.unpaid_final
    owed = apply_outcome(record_in(InvoiceState.FAILED, 4, True), REF, outcome(OutcomeKind.PROCESSING, 4))
    assert owed is not None and owed.unpaid_final  # still overdue until the debit succeeds


def test_a_late_failure_of_a_debit_is_an_ordinary_failure() -> None:
    processing = apply_outcome(None, REF, outcome(OutcomeKind.PROCESSING, 1))
    retrying = apply_outcome(processing, REF, outcome(OutcomeKind.FAILED, 1, RETRY_AT))
    assert retrying is not None and retrying.state is InvoiceState.OPEN and not retrying.unpaid_final
    final = apply_outcome(retrying, REF, outcome(OutcomeKind.FAILED, 4))
    assert final is not None and final.state is InvoiceState.FAILED and final.unpaid_final


def test_an_earlier_attempts_failure_after_a_newer_debit_was_submitted_is_ignored() -> None:
    processing = record_in(InvoiceState.PROCESSING, attempts=3)
    assert apply_outcome(processing, REF, outcome(OutcomeKind.FAILED, 2, RETRY_AT)) is None


def test_a_lost_dispute_is_owed_until_its_recovery_is_paid() -> None:
    paid = record_in(InvoiceState.PAID)
    opened = apply_dispute(paid, "dp_1", DisputeStatus.OPENED, LOST_AT)
    assert opened is not None and opened.state is InvoiceState.PAID and not opened.unpaid_final
    lost = apply_dispute(opened, "dp_1", DisputeStatus.LOST, LOST_AT)
    assert lost is not None and lost.state is InvoiceState.DISPUTED and lost.unpaid_final
    assert lost.disputed_at == LOST_AT
    assert not replace(lost, recovered_at=LOST_AT).unpaid_final


def test_dispute_news_arriving_late_or_twice_changes_nothing() -> None:
    lost = apply_dispute(record_in(InvoiceState.PAID), "dp_1", DisputeStatus.LOST, LOST_AT)
    assert lost is not None
    assert apply_dispute(lost, "dp_1", DisputeStatus.OPENED, LOST_AT) is None
    assert apply_dispute(lost, "dp_1", DisputeStatus.LOST, LOST_AT) is None


def test_a_dispute_of_an_invoice_that_is_not_paid_is_outside_the_table() -> None:
    for state in (InvoiceState.OPEN, InvoiceState.FAILED, InvoiceState.PROCESSING, InvoiceState.VOID):
        assert apply_dispute(record_in(state), "dp_1", DisputeStatus.LOST, LOST_AT) is None


def test_a_won_dispute_makes_the_invoice_paid_again() -> None:
    disputed = replace(
        record_in(InvoiceState.DISPUTED), dispute_id="dp_1", dispute_status=DisputeStatus.OPENED
    )
    won = apply_dispute(disputed, "dp_1", DisputeStatus.WON, LOST_AT)
    assert won is not None and won.state is InvoiceState.PAID and not won.unpaid_final
