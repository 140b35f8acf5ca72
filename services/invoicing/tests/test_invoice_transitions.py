"""DESIGN §5's invoice transition table in invoicing: debits processing, late failures, disputes."""

from __future__ import annotations

import pytest

from autoletter.invoicing.domain.invoice_state import (
    TRANSITIONS,
    InvoiceState,
    PaymentOutcome,
    after_payment_event,
)

S, P = InvoiceState, PaymentOutcome

CASES = [
    (S.ISSUED, P.PROCESSING, S.PROCESSING),
    (S.PAYMENT_FAILED, P.PROCESSING, S.PROCESSING),
    (S.UNCOLLECTIBLE, P.PROCESSING, S.PROCESSING),
    (S.PROCESSING, P.SUCCEEDED, S.PAID),
    (S.PROCESSING, P.FAILED_RETRYING, S.PAYMENT_FAILED),
    (S.PROCESSING, P.FAILED_FINAL, S.UNCOLLECTIBLE),  # processing → payment_failed → uncollectible
    (S.PROCESSING, P.VOIDED, S.PROCESSING),  # outside the table: ignored
    (S.PROCESSING, P.PROCESSING, S.PROCESSING),
    (S.PAID, P.PROCESSING, S.PAID),
    (S.PAID, P.FAILED_FINAL, S.PAID),
    (S.PAID, P.DISPUTE_LOST, S.DISPUTED),
    (S.PAID, P.DISPUTE_WON, S.PAID),
    (S.DISPUTED, P.SUCCEEDED, S.DISPUTED),  # a redelivered payment is not a dispute won
    (S.DISPUTED, P.FAILED_FINAL, S.DISPUTED),
    (S.DISPUTED, P.DISPUTE_WON, S.PAID),
    (S.ISSUED, P.DISPUTE_LOST, S.ISSUED),
    (S.UNCOLLECTIBLE, P.FAILED_RETRYING, S.UNCOLLECTIBLE),
    (S.VOID, P.SUCCEEDED, S.VOID),
    (S.DRAFT, P.PROCESSING, S.PROCESSING),  # the close stopped right after finalising
]


@pytest.mark.parametrize(("state", "outcome", "expected"), CASES)
def test_invoice_states_move_only_along_the_table(
    state: InvoiceState, outcome: PaymentOutcome, expected: InvoiceState
) -> None:
    assert after_payment_event(state, outcome) is expected


def test_every_state_has_its_row_in_the_table() -> None:
    assert set(TRANSITIONS) == set(InvoiceState)
