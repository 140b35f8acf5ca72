"""A lost dispute's recovery invoice: one per dispute, for the disputed amount, no fee, not collected
automatically, and found again from our row and Stripe's metadata wherever the issuing crashed."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest
from conftest import NOW, Prepared
from invoicing_testkit import CrashAfter, FakeStripe, until_crash

from autoletter.contracts import new_event
from autoletter.contracts.payments import PaymentDisputed, PaymentSucceeded
from autoletter.invoicing.adapters.tables import invoices
from autoletter.invoicing.handlers import recovery

AMOUNT = 475


async def paid_invoice(prepared: Prepared, account: str) -> UUID:
    invoice_id = uuid.uuid4()
    async with prepared.runtime.sessions.begin() as session:
        await session.execute(
            invoices.insert().values(
                invoice_id=invoice_id,
                account_id=account,
                service="standard",
                period="2026-11",
                state="paid",
                currency="eur",
                letters=5,
                amount_cents=AMOUNT,
                stripe_customer_id=f"cus_{account}",
                stripe_invoice_id="in_disputed",
                created_at=NOW,
                updated_at=NOW,
                issued_at=NOW,
            )
        )
    return invoice_id


def dispute(account: str, invoice_id: UUID, status: str, dispute_id: str = "dp_1") -> PaymentDisputed:
    return new_event(
        PaymentDisputed,
        account_id=account,
        producer="payments",
        occurred_at=NOW,
        invoice_id=invoice_id,
        stripe_invoice_id="in_disputed",
        dispute_id=dispute_id,
        service="standard",
        period="2026-11",
        amount_cents=AMOUNT,
        currency="eur",
        dispute_status=status,
    )


async def recovery_rows(prepared: Prepared) -> list[object]:
    return await prepared.rows("SELECT invoice_id, state, stripe_invoice_id FROM recovery_invoices")


@pytest.mark.parametrize("crash_at", [1, 3, 4])  # create, add the line, finalise: each reaches Stripe
async def test_issuing_a_recovery_resumes_after_a_crash_without_a_second_invoice(
    prepared: Prepared, fake_stripe: FakeStripe, crash_at: int
) -> None:
    account = f"acc-{uuid.uuid4().hex[:8]}"
    invoice_id = await paid_invoice(prepared, account)
    await prepared.deliver(dispute(account, invoice_id, "opened"))
    assert await recovery_rows(prepared) == []  # an opened dispute changes nothing
    await prepared.deliver(dispute(account, invoice_id, "lost"))
    await prepared.deliver(dispute(account, invoice_id, "lost"))  # the same news again
    [(recovery_id, _, _)] = await recovery_rows(prepared)  # type: ignore[misc]
    state = await prepared.scalar("SELECT state FROM invoices WHERE invoice_id = :i", i=invoice_id)
    assert state == "disputed"
    runtime = prepared.runtime
    # the call reaches Stripe and the process dies before it hears the answer
    crashing = CrashAfter(fake_stripe, crash_at, after_sending=True)
    await until_crash(recovery.issue(runtime.deps.units, crashing, recovery_id))  # type: ignore[arg-type]
    assert await recovery.issue(runtime.deps.units, fake_stripe, recovery_id)

    [stripe_invoice] = fake_stripe.invoices_for(account)
    assert stripe_invoice.metadata["recovers_invoice_id"] == str(invoice_id)
    assert stripe_invoice.metadata["dispute_id"] == "dp_1"
    assert stripe_invoice.total == AMOUNT and len(stripe_invoice.items) == 1  # no fee
    assert stripe_invoice.status == "open"
    assert await recovery_rows(prepared) == [(recovery_id, "issued", stripe_invoice.id)]
    assert not await recovery.issue(runtime.deps.units, fake_stripe, recovery_id)  # done is done


async def test_the_recovery_is_paid_when_payments_says_so(
    prepared: Prepared, fake_stripe: FakeStripe
) -> None:
    account = f"acc-{uuid.uuid4().hex[:8]}"
    invoice_id = await paid_invoice(prepared, account)
    await prepared.deliver(dispute(account, invoice_id, "lost"))
    [(recovery_id, _, _)] = await recovery_rows(prepared)  # type: ignore[misc]
    await recovery.issue(prepared.runtime.deps.units, fake_stripe, recovery_id)
    paid = new_event(
        PaymentSucceeded,
        account_id=account,
        producer="payments",
        occurred_at=NOW,
        invoice_id=recovery_id,
        stripe_invoice_id=fake_stripe.invoices_for(account)[0].id,
        service="standard",
        period="2026-11",
        amount_cents=AMOUNT,
        currency="eur",
    )
    await prepared.deliver(paid)
    assert [r[1] for r in await recovery_rows(prepared)] == ["paid"]  # type: ignore[index]
    state = await prepared.scalar("SELECT state FROM invoices WHERE invoice_id = :i", i=invoice_id)
    assert state == "disputed"  # the disputed invoice keeps its state; its amount was recovered
