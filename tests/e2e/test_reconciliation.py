"""Reconciliation finds and reports a difference (DESIGN §5): after a paid month adds up, a usage line
deleted by hand leaves a sent letter unbilled and its invoice short of its letters; the ops route, the
`autoletter reconcile` command and the `autoletter_reconciliation_differences` gauge all say so.

Its own system (module-scoped): the damage done here must not reach other journeys' reconciliations."""

from __future__ import annotations

import uuid
from datetime import timedelta

import journeys as j
from reconciliation_checks import assert_reconciled, reconcile
from sqlalchemy import text
from system import System
from test_cli_on_the_system import autoletter

from autoletter.runtime.db import create_engine
from autoletter.runtime.testing import wait_for


async def metric(system: System, name: str, kind: str) -> float | None:
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:
        exposition = (await invoicing.get("/metrics")).text
    for line in exposition.splitlines():
        if line.startswith(f'{name}{{kind="{kind}"}} '):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_a_usage_line_deleted_by_hand_is_found_printed_and_counted(
    system: System, database_url: str
) -> None:
    account = f"acc-{uuid.uuid4().hex[:10]}"
    await j.complete_profile(system, account)
    await j.add_card(system, account, j.GOOD_CARD)
    await j.activate(system, account, "standard")
    await j.consumer_caught_up(system, "letters.service-status", "payments.events")
    receipts = [await j.send_letter(system, account) for _ in range(2)]
    await j.events(system, "letters.events", account, "LetterSent", count=2)
    period = j.period_of(j.now(system))
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    await j.events(system, "payments.events", account, "PaymentSucceeded")
    await wait_for(
        lambda: _states(system, account, ["paid"]), 60, "the invoice to be paid (payments' event applied)"
    )
    await wait_for(lambda: _daily_report_clean(system, period), 60, "the daily run's clean report")
    await assert_reconciled(system, period)

    lost = receipts[0]["letter_id"]
    schema = f"{system.topic_prefix.rstrip('.')}_invoicing"  # the system's invoicing schema
    engine = create_engine(database_url, schema, pool_size=1)
    try:
        async with engine.begin() as connection:
            deleted = await connection.execute(
                text("DELETE FROM usage_lines WHERE letter_id = :id"), {"id": uuid.UUID(lost)}
            )
            assert deleted.rowcount == 1
    finally:
        await engine.dispose()

    report = await reconcile(system, period)
    found = {(d["kind"], d["ref"]) for d in report["differences"]}
    [invoice] = await j.invoices(system, account)
    assert found == {("letter_without_usage", lost), ("invoice_usage_mismatch", invoice["invoice_id"])}, (
        report
    )
    assert report["counts"]["letter_without_usage"] == 1

    code, out, err = await autoletter(system, "reconcile", "--period", period)
    assert code == 1, (out, err)
    assert f"letter_without_usage: account {account} {lost}: sent, no usage line" in out, out
    assert "2 difference(s)" in out, out

    async def gauge_shows_it() -> bool:
        return await metric(system, "autoletter_reconciliation_differences", "letter_without_usage") == 1

    await wait_for(gauge_shows_it, 30, "the gauge to count the unbilled letter")
    assert await metric(system, "autoletter_reconciliation_differences", "stripe_total_mismatch") == 0


async def test_a_period_that_has_not_ended_is_refused(system: System) -> None:
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:
        future = j.period_of(j.next_month_start(j.now(system)))
        response = await invoicing.post("/v1/ops/reconciliations", json={"period": future})
        assert response.status_code == 409 and response.json()["error"] == "period_not_ended", response.text
        response = await invoicing.post("/v1/ops/reconciliations", json={"period": "2026-13"})
        assert response.status_code == 422, response.text
    for service in ("profile", "payments", "letters", "invoicing"):  # the role first, then the input
        async with system.client(service, "a-customer") as customer:
            response = await customer.get("/v1/ops/reconciliation", params={"period": "not-a-month"})
            assert response.status_code == 403, (service, response.text)


async def _states(system: System, account: str, expected: list[str]) -> bool:
    return [i["state"] for i in await j.invoices(system, account)] == expected


async def _daily_report_clean(system: System, period: str) -> bool:
    """The daily run (every 2 s in these systems for a period not yet clean) stored a settled, clean
    report of the closed period, without anyone asking."""
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:
        response = await invoicing.get(f"/v1/ops/reconciliations/{period}")
    if response.status_code == 404:
        return False
    report = response.json()
    return bool(report["settled"]) and report["counts"] == {}


async def test_a_lost_dispute_and_its_paid_recovery_invoice_reconcile_without_difference(
    system: System,
) -> None:
    """Our `disputed` invoice sits beside Stripe's `paid` one (the dispute lost), and the recovery
    invoice, which bills no letters, is on every side: the month adds up (DESIGN §5)."""
    from test_sepa_journeys import DISPUTED, SETTLES, billed_and_debited, invoicing_view

    account = f"sepa-{uuid.uuid4().hex[:10]}"
    customer_id, _ = await billed_and_debited(system, account, DISPUTED)
    [issued] = await j.events(system, "invoicing.events", account, "InvoiceIssued")
    await system.advance(SETTLES + timedelta(days=15))  # paid, charged back 14 days later, lost a day after
    await j.events(system, "payments.events", account, "PaymentDisputed", dispute_status="lost")

    async def recovery_issued() -> bool:
        return len((await invoicing_view(system, account))["recovery_invoices"]) == 1

    await wait_for(recovery_issued, 30, "the recovery invoice")
    async with system.emulator() as emulator:  # a new method, made default after the dispute, pays it
        added = await emulator.post(
            f"/_emulator/portal/{customer_id}/payment-methods", json={"card": j.GOOD_CARD, "default": True}
        )
        assert added.status_code == 200, added.text
    await j.events(system, "payments.events", account, "PaymentSucceeded", count=2)

    async def recovery_paid() -> bool:
        view = await invoicing_view(system, account)
        return [i["state"] for i in view["recovery_invoices"]] == ["paid"]

    await j.consumer_caught_up(system, "invoicing.payments", "payments.events")
    await wait_for(recovery_paid, 30, "the recovery invoice paid in invoicing")
    report = await assert_reconciled(system, str(issued.period))  # type: ignore[attr-defined]
    assert report["checked"]["invoices"] >= 2, report  # the disputed invoice and its recovery
