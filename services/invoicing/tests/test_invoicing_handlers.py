"""invoicing's consumer handlers on a fake unit of work and an in-memory repository: no database, no
broker, no Stripe.

What a payment outcome does to our invoice (along DESIGN §5's table), when it announces an invoice,
what a lost dispute records, and what the ledger writes are decided here; test_invoicing_service.py
and test_recovery_invoices.py check the same through the real service, PostgreSQL and Kafka.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from invoicing_fakes import (
    ACCOUNT,
    EARLIER,
    NOW,
    PERIOD,
    InMemoryInvoicing,
    S,
    disputed,
    failed,
    invoice,
    payment_event,
    stored,
    succeeded,
    unit,
)
from invoicing_testkit import customer_created, letter_sent

from autoletter.contracts.common import Service
from autoletter.contracts.invoicing import InvoiceIssued
from autoletter.contracts.payments import (
    DisputeStatus,
    InvoiceVoided,
    PaymentProcessing,
)
from autoletter.invoicing.adapters.repository import RecoveryInvoice
from autoletter.invoicing.domain.invoice_state import InvoiceState
from autoletter.invoicing.domain.recovery import recovery_invoice_id
from autoletter.invoicing.handlers.ledger import record_usage, remember_customer
from autoletter.invoicing.handlers.payments import apply_payment_outcome
from autoletter.runtime.consumer import PoisonMessage


async def test_a_payment_succeeded_moves_an_issued_invoice_to_paid_under_its_row_lock() -> None:
    inv = invoice(S.ISSUED)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, succeeded(inv))
    assert repos.invoices[inv.invoice_id].state is S.PAID
    assert repos.locked == [inv.invoice_id]  # read FOR UPDATE: outcomes of one invoice never race
    assert uow.staged == []  # an issued invoice was announced already


async def test_a_late_payment_failed_after_paid_changes_nothing() -> None:
    inv = invoice(S.PAID)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, failed(inv, final=False))
    await apply_payment_outcome(uow, failed(inv, final=True))
    assert repos.invoices[inv.invoice_id] == inv
    assert repos.writes == [] and uow.staged == []


@pytest.mark.parametrize("before", [S.ISSUED, S.PAYMENT_FAILED, S.PROCESSING])
async def test_a_final_payment_failure_makes_the_invoice_uncollectible_with_its_code(
    before: InvoiceState,
) -> None:
    inv = invoice(before, last_failure_code="earlier_code")
    repos = stored(inv)
    await apply_payment_outcome(unit(repos), failed(inv, final=True, code="insufficient_funds"))
    after = repos.invoices[inv.invoice_id]
    assert (after.state, after.last_failure_code) == (S.UNCOLLECTIBLE, "insufficient_funds")


async def test_a_failure_stripe_retries_leaves_it_payment_failed_and_a_codeless_one_clears_the_code() -> None:
    inv = invoice(S.ISSUED, last_failure_code="earlier_code")
    repos = stored(inv)
    await apply_payment_outcome(unit(repos), failed(inv, final=False, code=None))
    after = repos.invoices[inv.invoice_id]
    assert (after.state, after.last_failure_code) == (S.PAYMENT_FAILED, None)


async def test_processing_then_voided_only_moves_along_the_table() -> None:
    inv = invoice(S.ISSUED)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, payment_event(PaymentProcessing, inv, amount_cents=1140, currency="eur"))
    assert repos.invoices[inv.invoice_id].state is S.PROCESSING
    # processing → void is not in the table
    await apply_payment_outcome(uow, payment_event(InvoiceVoided, inv))
    assert repos.invoices[inv.invoice_id].state is S.PROCESSING


# An outcome of an invoice the close finalised but did not announce.


@pytest.mark.parametrize("before", [S.DRAFT, S.LINES_ADDED])
async def test_an_outcome_of_an_unfinished_invoice_announces_it_exactly_once(before: InvoiceState) -> None:
    inv = invoice(before, stripe_invoice_id=None)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, succeeded(inv))
    await apply_payment_outcome(uow, succeeded(inv))  # redelivered
    await apply_payment_outcome(uow, failed(inv, final=True))  # late: paid stays paid

    after = repos.invoices[inv.invoice_id]
    assert (after.state, after.issued_at, after.stripe_invoice_id) == (S.PAID, NOW, "in_from_payments")
    [issued] = uow.staged
    assert isinstance(issued, InvoiceIssued)
    assert (issued.account_id, issued.producer, issued.occurred_at) == (ACCOUNT, "invoicing", NOW)
    assert (issued.invoice_id, issued.stripe_invoice_id) == (inv.invoice_id, "in_from_payments")
    assert (issued.service, issued.period, issued.letters, issued.amount_cents, issued.currency) == (
        Service.STANDARD,
        PERIOD,
        12,
        1140,
        "eur",
    )
    assert issued.causation_id is None and issued.correlation_id == issued.event_id


async def test_an_unfinished_invoice_announced_keeps_the_stripe_id_the_close_recorded() -> None:
    inv = invoice(S.LINES_ADDED, stripe_invoice_id="in_ours")
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, payment_event(PaymentProcessing, inv, amount_cents=1140, currency="eur"))
    [issued] = uow.staged
    assert isinstance(issued, InvoiceIssued) and issued.stripe_invoice_id == "in_ours"
    after = repos.invoices[inv.invoice_id]
    assert (after.state, after.stripe_invoice_id, after.issued_at) == (S.PROCESSING, "in_ours", NOW)


async def test_an_outcome_that_moves_nothing_does_not_announce_an_unfinished_invoice() -> None:
    inv = invoice(S.LINES_ADDED)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, disputed(inv, DisputeStatus.LOST))  # issued → disputed: not in table
    assert repos.invoices[inv.invoice_id] == inv
    assert uow.staged == [] and repos.recoveries == {}


# Outcomes that are not ours to apply.


async def test_an_outcome_naming_another_accounts_invoice_changes_nothing() -> None:
    inv = invoice(S.LINES_ADDED)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, succeeded(inv, account_id="acc-2"))
    assert repos.invoices[inv.invoice_id] == inv
    assert repos.writes == [] and uow.staged == []


async def test_an_outcome_of_an_unknown_invoice_changes_nothing() -> None:
    repos = stored()
    uow = unit(repos)
    await apply_payment_outcome(uow, succeeded(invoice(S.ISSUED)))
    assert repos.writes == [] and uow.staged == []


async def test_a_dispute_opened_changes_nothing() -> None:
    inv = invoice(S.PAID)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, disputed(inv, DisputeStatus.OPENED))
    assert repos.invoices[inv.invoice_id] == inv and repos.recoveries == {} and uow.staged == []


# Disputes and their recovery invoices.


async def test_a_lost_dispute_marks_the_invoice_disputed_and_records_its_recovery_once() -> None:
    inv = invoice(S.PAID)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, disputed(inv, DisputeStatus.LOST))
    await apply_payment_outcome(uow, disputed(inv, DisputeStatus.LOST))  # redelivered

    assert repos.invoices[inv.invoice_id].state is S.DISPUTED
    [recovery] = repos.recoveries.values()
    assert recovery == RecoveryInvoice(
        invoice_id=recovery_invoice_id("dp_1"),
        dispute_id="dp_1",
        recovers_invoice_id=inv.invoice_id,
        account_id=ACCOUNT,
        service=Service.STANDARD,
        period=PERIOD,
        amount_cents=900,  # the disputed amount, not the invoice's
        currency="eur",
        stripe_customer_id=f"cus_{ACCOUNT}",
        state=S.DRAFT,
        created_at=NOW,
        updated_at=NOW,
    )
    assert uow.staged == []  # the recovery worker issues it


async def test_a_won_dispute_moves_a_disputed_invoice_back_to_paid_and_records_no_recovery() -> None:
    inv = invoice(S.DISPUTED)
    repos = stored(inv)
    await apply_payment_outcome(unit(repos), disputed(inv, DisputeStatus.WON))
    assert repos.invoices[inv.invoice_id].state is S.PAID
    assert repos.recoveries == {}


async def test_an_outcome_of_a_recovery_invoice_moves_the_recovery() -> None:
    inv = invoice(S.PAID)
    repos = stored(inv)
    uow = unit(repos)
    await apply_payment_outcome(uow, disputed(inv, DisputeStatus.LOST))
    recovery = repos.recoveries[recovery_invoice_id("dp_1")]
    recovery_invoice = replace(inv, invoice_id=recovery.invoice_id, amount_cents=900)
    repos.recoveries[recovery.invoice_id] = replace(recovery, state=S.ISSUED)

    await apply_payment_outcome(uow, failed(recovery_invoice, final=False))
    assert repos.recoveries[recovery.invoice_id].state is S.PAYMENT_FAILED
    await apply_payment_outcome(uow, succeeded(recovery_invoice, account_id="acc-2"))  # not theirs
    assert repos.recoveries[recovery.invoice_id].state is S.PAYMENT_FAILED
    await apply_payment_outcome(uow, succeeded(recovery_invoice))
    assert repos.recoveries[recovery.invoice_id] == replace(recovery, state=S.PAID, updated_at=NOW)
    assert repos.writes.count(("set_recovery_state", recovery.invoice_id)) == 2
    assert repos.invoices[inv.invoice_id].state is S.DISPUTED
    assert uow.staged == []


# The ledger.


async def test_letters_sent_become_priced_usage_lines_once() -> None:
    repos = InMemoryInvoicing()
    uow = unit(repos)
    one, three = (
        letter_sent(ACCOUNT, "standard", EARLIER),
        letter_sent(ACCOUNT, "standard", EARLIER, sheets=3),
    )
    await record_usage(uow, [one, three])
    await record_usage(uow, [one])  # a letter already in the ledger is not written again

    assert {e.usage.letter_id: e.usage.amount_cents for e in repos.usage.values()} == {
        one.letter_id: 95,
        three.letter_id: 95 + 2 * 15,
    }
    entry = repos.usage[three.letter_id]
    assert (entry.account_id, entry.event_id, entry.currency) == (ACCOUNT, three.event_id, "eur")
    assert uow.staged == []


async def test_a_letter_without_a_price_in_force_is_a_poison_message() -> None:
    repos = InMemoryInvoicing()
    registered = letter_sent(ACCOUNT, "registered", EARLIER)  # only standard has a price here
    with pytest.raises(PoisonMessage):
        await record_usage(unit(repos), [letter_sent(ACCOUNT, "standard", EARLIER), registered])
    assert repos.usage == {}  # nothing of the batch written: the runtime retries message by message


async def test_the_customer_payments_created_is_remembered() -> None:
    repos = InMemoryInvoicing()
    event = customer_created(ACCOUNT, EARLIER)
    await remember_customer(unit(repos), event)
    assert repos.customers == {ACCOUNT: (f"cus_{ACCOUNT}", EARLIER)}
