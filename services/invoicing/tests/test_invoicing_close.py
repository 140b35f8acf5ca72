"""The monthly close at the service layer: real PostgreSQL, a stateful Stripe fake."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from conftest import Prepared
from invoicing_testkit import CrashAfter, FakeStripe, customer_created, letter_sent, until_crash

from autoletter.invoicing.bootstrap import close_period

NOV = datetime(2026, 11, 12, 10, tzinfo=UTC)
DEC = datetime(2026, 12, 3, 10, tzinfo=UTC)
EARLY = datetime(2026, 11, 1, tzinfo=UTC)


async def test_two_services_of_one_account_get_two_invoices_each_with_its_own_lines(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    acct = f"a{unique}"
    await prepared.deliver(
        customer_created(acct, EARLY),
        *[letter_sent(acct, "standard", NOV) for _ in range(3)],
        letter_sent(acct, "standard", NOV, sheets=3),
        *[letter_sent(acct, "registered", NOV) for _ in range(2)],
    )
    result = await close_period(prepared.runtime, "2026-11")

    assert (result.status, result.issued, result.failed) == ("completed", 2, 0)
    by_service = {i.metadata["service"]: i for i in fake_stripe.invoices_for(acct)}
    assert set(by_service) == {"standard", "registered"}
    assert [i["description"] for i in by_service["standard"].items] == [
        "Standard letters \u2013 November 2026: 4 \u00d7 \u20ac0.95",
        "Standard letters, extra sheets \u2013 November 2026: 2 \u00d7 \u20ac0.15",
    ]
    assert by_service["standard"].total == 4 * 95 + 2 * 15
    assert [i["description"] for i in by_service["registered"].items] == [
        "Registered letters \u2013 November 2026: 2 \u00d7 \u20ac4.20"
    ]
    assert all(i.status == "open" for i in by_service.values())
    assert by_service["standard"].metadata == {
        "account_id": acct,
        "service": "standard",
        "period": "2026-11",
        "invoice_id": by_service["standard"].metadata["invoice_id"],
    }
    rows = await prepared.rows(
        "SELECT service, state, letters, amount_cents FROM invoices WHERE account_id = :a ORDER BY service",
        a=acct,
    )
    assert [tuple(r) for r in rows] == [("registered", "issued", 2, 840), ("standard", "issued", 4, 410)]
    staged = await prepared.scalar(
        "SELECT count(*) FROM outbox WHERE account_id = :a AND event_type = 'InvoiceIssued'", a=acct
    )
    assert staged == 2


async def test_no_usage_means_no_invoice(prepared: Prepared, fake_stripe: FakeStripe, unique: str) -> None:
    await prepared.deliver(customer_created(f"a{unique}", EARLY))
    result = await close_period(prepared.runtime, "2026-11")
    assert (result.status, result.candidates, result.issued) == ("completed", 0, 0)
    assert fake_stripe.stats.total_requests == 0


async def test_an_amount_below_the_minimum_carries_over_then_is_billed(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    acct = f"a{unique}"
    await prepared.deliver(customer_created(acct, EARLY), letter_sent(acct, "standard", NOV))  # €0.95
    prepared.runtime.deps.close._config = prepared.runtime.deps.close._config.__class__(
        minimum_cents=100, currency="eur", concurrency=2
    )
    november = await close_period(prepared.runtime, "2026-11")
    assert (november.carried_over, november.issued) == (1, 0)
    assert fake_stripe.invoices_for(acct) == []

    await prepared.deliver(letter_sent(acct, "standard", DEC))
    december = await close_period(prepared.runtime, "2026-12")
    assert december.issued == 1
    (invoice,) = fake_stripe.invoices_for(acct)
    assert invoice.metadata["period"] == "2026-12"
    assert [i["description"] for i in invoice.items] == [
        "Standard letters \u2013 November 2026: 1 \u00d7 \u20ac0.95",
        "Standard letters \u2013 December 2026: 1 \u00d7 \u20ac0.95",
    ]


async def test_a_letter_sent_after_its_period_closed_lands_on_the_next_invoice_of_its_service(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    acct = f"a{unique}"
    await prepared.deliver(customer_created(acct, EARLY), letter_sent(acct, "standard", NOV))
    assert (await close_period(prepared.runtime, "2026-11")).issued == 1

    late = letter_sent(acct, "standard", NOV)  # sent in November, reported after the close
    await prepared.deliver(late, letter_sent(acct, "registered", DEC))
    again = await close_period(prepared.runtime, "2026-11")
    assert (again.issued, again.candidates) == (0, 0), "a re-run of a closed period bills nothing new"

    assert (await close_period(prepared.runtime, "2026-12")).issued == 2
    invoices = {(i.metadata["period"], i.metadata["service"]): i for i in fake_stripe.invoices_for(acct)}
    assert set(invoices) == {("2026-11", "standard"), ("2026-12", "standard"), ("2026-12", "registered")}
    assert [i["description"] for i in invoices[("2026-12", "standard")].items] == [
        "Standard letters \u2013 November 2026: 1 \u00d7 \u20ac0.95"
    ]
    billed = await prepared.rows(
        "SELECT i.period FROM usage_lines u JOIN invoices i USING (invoice_id) WHERE u.letter_id = :l",
        l=late.letter_id,
    )
    assert [r[0] for r in billed] == ["2026-12"]


async def test_an_account_without_a_stripe_customer_is_reported_and_its_usage_kept(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    await prepared.deliver(letter_sent(f"a{unique}", "standard", NOV))
    result = await close_period(prepared.runtime, "2026-11")
    assert (result.no_customer, result.issued) == (1, 0)
    assert await prepared.scalar("SELECT count(*) FROM usage_lines WHERE invoice_id IS NULL") == 1


async def test_only_one_close_of_a_period_runs_at_a_time(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    accounts = [f"a{unique}{n}" for n in range(6)]
    for acct in accounts:
        await prepared.deliver(customer_created(acct, EARLY), letter_sent(acct, "standard", NOV))
    first, second = await asyncio.gather(
        close_period(prepared.runtime, "2026-11"), close_period(prepared.runtime, "2026-11")
    )
    assert sorted([first.status, second.status]) == ["completed", "skipped"]
    assert first.issued + second.issued == 6
    assert all(n == 1 for n in fake_stripe.stats.drafts_created_for.values())


@pytest.mark.parametrize("after_sending", [True, False], ids=["answer-lost", "before-sending"])
@pytest.mark.parametrize("crash_after", [0, 1, 2, 4, 7, 11, 16])
async def test_a_close_killed_half_way_and_run_again_never_makes_a_second_invoice(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str, crash_after: int, after_sending: bool
) -> None:
    accounts = [f"a{unique}{n}" for n in range(4)]
    for acct in accounts:
        await prepared.deliver(
            customer_created(acct, EARLY),
            letter_sent(acct, "standard", NOV, sheets=2),
            letter_sent(acct, "registered", NOV),
        )
    crashing = CrashAfter(fake_stripe, crash_after, after_sending=after_sending)
    prepared.runtime.deps.close._billing = crashing
    await until_crash(close_period(prepared.runtime, "2026-11"))

    prepared.runtime.deps.close._billing = fake_stripe  # the process restarts
    result = await close_period(prepared.runtime, "2026-11")
    assert result.failed == 0

    assert sorted(fake_stripe.stats.drafts_created_for.values()) == [1] * 8, "one create per invoice"
    assert len(fake_stripe.invoices) == 8
    for invoice in fake_stripe.invoices.values():
        keys = [i["line_key"] for i in invoice.items]
        assert len(keys) == len(set(keys)), "a line attached twice"
        assert invoice.status == "open"
        expected = 95 + 15 if invoice.metadata["service"] == "standard" else 420
        assert invoice.total == expected
    states = await prepared.rows("SELECT state, count(*) FROM invoices GROUP BY state")
    assert [tuple(r) for r in states] == [("issued", 8)]
    assert await prepared.scalar("SELECT count(*) FROM usage_lines WHERE invoice_id IS NULL") == 0
    issued_events = await prepared.scalar("SELECT count(*) FROM outbox WHERE event_type = 'InvoiceIssued'")
    assert issued_events == 8
