"""SEPA Direct Debit end to end (issue 16): a debit processing for days, a late failure after the
letters went out, a lost dispute and its recovery invoice; and no IBAN anywhere at rest or in a log.

The services run as processes on real Kafka and PostgreSQL, the Stripe emulator behind stripe-mock;
time moves with the system's clock (every service and the emulator's test clock together)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import journeys as j
from system import System, body

from autoletter.runtime.testing import wait_for

SUCCEEDS = "DE89370400440532013000"
FAILS_LATE = "DE78370400440532013004"
DISPUTED = "DE35370400440532013002"
TEST_IBANS = (
    SUCCEEDS,
    "DE08370400440532013003",
    "DE62370400440532013001",
    FAILS_LATE,
    DISPUTED,
)
#: The emulator's settlement delays (tools/stripe_emulator README): 2 days, 5 for the late IBANs;
#: a dispute 14 days after the debit succeeded, closed lost a day later.
SETTLES, SETTLES_LATE = timedelta(days=2, hours=1), timedelta(days=5, hours=1)


def new_account() -> str:
    return f"sepa-{uuid.uuid4().hex[:10]}"


async def add_iban(system: System, account: str, iban: str) -> None:
    """Checkout on the hosted page with a test IBAN (the mandate accepted), and back."""
    async with system.client("payments", account) as payments:
        response = await payments.post(
            f"/v1/accounts/{account}/payment-method/checkout",
            json={},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code in (200, 201), response.text
        session = body(response)
    async with system.emulator() as emulator:
        done = await emulator.post(
            f"/_emulator/checkout/{session['session_id']}/complete", json={"iban": iban}
        )
        assert done.status_code == 200, done.text
    await j.events(system, "payments.events", account, "PaymentMethodAttached", type="sepa_debit")


async def billed_and_debited(system: System, account: str, iban: str) -> tuple[str, dict[str, Any]]:
    """Profile, a debit method, standard active, one letter sent, its month closed: the debit is
    processing. Returns the Stripe customer and the letter."""
    customer_id = await j.complete_profile(system, account)
    await add_iban(system, account, iban)
    await j.activate(system, account, "standard")
    letter = await j.send_letter(system, account, "standard")
    await j.events(system, "letters.events", account, "LetterSent")
    period = j.period_of(j.now(system))
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    await j.events(system, "payments.events", account, "PaymentProcessing")
    return customer_id, letter


async def overview(system: System, account: str) -> dict[str, Any]:
    async with system.client("payments", account) as payments:
        return dict(body(await payments.get(f"/v1/accounts/{account}/billing")))


async def invoicing_view(system: System, account: str) -> dict[str, Any]:
    async with system.client("invoicing", account) as invoicing:
        return dict(body(await invoicing.get(f"/v1/accounts/{account}/invoices")))


async def invoice_state_becomes(system: System, account: str, state: str) -> None:
    async def reached() -> bool:
        return [i["state"] for i in (await invoicing_view(system, account))["invoices"]] == [state]

    await j.consumer_caught_up(system, "invoicing.payments", "payments.events")
    await wait_for(reached, 30, f"invoicing's invoice {state}")


async def statuses_of(system: System, account: str, service: str) -> list[tuple[str, str]]:
    """The service's status changes after its first announcement (inactive, not_activated)."""
    await j.consumer_caught_up(system, "letters.service-status", "payments.events")  # all published
    changed = await j.events(system, "payments.events", account, "ServiceStatusChanged", service=service)
    pairs = [(str(e.status), str(e.reason)) for e in changed]  # type: ignore[attr-defined]
    return [p for p in pairs if p[1] != "not_activated"]


async def test_a_debit_succeeds_after_processing_and_the_service_stays_active(system: System) -> None:
    account = new_account()
    await billed_and_debited(system, account, SUCCEEDS)

    method = (await overview(system, account))["payment_method"]
    assert (method["type"], method["last4"], method["country"]) == ("sepa_debit", "3000", "DE")
    assert method["bank_code"] == "37040044" and method["mandate_id"].startswith("mandate_")
    await invoice_state_becomes(system, account, "processing")
    assert [i["state"] for i in (await overview(system, account))["outstanding_invoices"]] == ["processing"]

    await system.advance(SETTLES)
    [paid] = await j.events(system, "payments.events", account, "PaymentSucceeded")
    await invoice_state_becomes(system, account, "paid")
    assert paid.amount_cents == 95  # type: ignore[attr-defined]
    assert await statuses_of(system, account, "standard") == [("active", "activated")]  # throughout
    assert not (await overview(system, account))["outstanding_invoices"]
    # The receipt: Stripe's hosted page and a PDF the emulator serves.
    [receipt] = (await overview(system, account))["paid_invoices"]
    assert receipt["invoice_id"] == str(paid.invoice_id) and receipt["paid_at"]  # type: ignore[attr-defined]
    assert receipt["invoice_pdf"].endswith(f"/invoice/{receipt['stripe_invoice_id']}/pdf")
    async with system.emulator() as emulator:
        pdf = await emulator.get(receipt["invoice_pdf"])
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


async def test_a_debit_failing_late_after_the_letters_went_out_holds_then_recovers_with_a_card(
    system: System,
) -> None:
    account = new_account()
    customer_id, first_letter = await billed_and_debited(system, account, FAILS_LATE)
    await system.advance(SETTLES_LATE)  # the bank returns the debit days after the letters went out
    [retrying] = await j.events(system, "payments.events", account, "PaymentFailed")
    assert not retrying.final and retrying.failure_code == "insufficient_funds"  # type: ignore[attr-defined]
    assert await statuses_of(system, account, "standard") == [("active", "activated")]

    for _ in range(7):  # every retry is a debit that is processing, then returned: ~3 weeks
        await system.advance(timedelta(days=3, hours=1))
    await j.events(system, "payments.events", account, "PaymentFailed", final=True)
    await j.events(
        system, "payments.events", account, "ServiceStatusChanged", service="standard", status="overdue"
    )
    held = await j.held_while_overdue(system, account)

    await j.recover_with_a_card_in_the_portal(
        system, account, customer_id
    )  # the customer adds a card in the portal
    sent = await j.events(system, "letters.events", account, "LetterSent", count=2)
    assert [str(e.letter_id) for e in sent] == [first_letter["letter_id"], held["letter_id"]]  # type: ignore[attr-defined]

    period = j.period_of(j.now(system))
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    issued = await j.events(system, "invoicing.events", account, "InvoiceIssued", count=2)
    assert [e.letters for e in issued] == [1, 1]  # type: ignore[attr-defined]  # the held letter, once
    async with system.client("invoicing", account) as invoicing:
        charge = body(await invoicing.get(f"/v1/accounts/{account}/letters/{held['letter_id']}/charge"))
    assert charge["invoice_id"] == str(issued[1].invoice_id), charge  # type: ignore[attr-defined]
    await wait_for(
        lambda: _only_sent_once(system, account, held["letter_id"]), 10, "the held letter sent once"
    )


async def _only_sent_once(system: System, account: str, letter_id: str) -> bool:
    sent = await j.events(system, "letters.events", account, "LetterSent", count=2)
    return [str(e.letter_id) for e in sent].count(letter_id) == 1  # type: ignore[attr-defined]


async def kill_invoicing_once_the_recovery_is_recorded(
    system: System, database_url: str, account: str
) -> str:
    """SIGKILL invoicing the moment its recovery row exists (most often before or while the worker
    issues it in Stripe); returns the row's state then."""
    schema = f"{system.topic_prefix.removesuffix('.')}_invoicing"
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row = await connection.fetchrow(
                f'SELECT state FROM "{schema}".recovery_invoices WHERE account_id = $1', account
            )
            if row is not None:
                system.kill("invoicing")
                return str(row["state"])
            await asyncio.sleep(0.005)
    finally:
        await connection.close()
    raise AssertionError("no recovery invoice recorded")


async def test_a_lost_dispute_is_overdue_until_its_recovery_is_paid_from_a_new_method(
    system: System, database_url: str
) -> None:
    account = new_account()
    customer_id, _ = await billed_and_debited(system, account, DISPUTED)
    await system.advance(SETTLES)
    [paid] = await j.events(system, "payments.events", account, "PaymentSucceeded")

    await system.advance(timedelta(days=14))  # the customer's bank charges the debit back
    await j.events(system, "payments.events", account, "PaymentDisputed", dispute_status="opened")
    assert await statuses_of(system, account, "standard") == [("active", "activated")]  # opened: a warning
    [warning] = (await overview(system, account))["open_disputes"]
    assert warning["invoice_id"] == str(paid.invoice_id)  # type: ignore[attr-defined]

    await system.advance(timedelta(days=1))  # SEPA chargebacks cannot be contested: lost
    # Invoicing is killed in the middle; started again, it still makes exactly one recovery invoice.
    await kill_invoicing_once_the_recovery_is_recorded(system, database_url, account)
    await asyncio.to_thread(system.start_again, "invoicing")
    [lost] = await j.events(system, "payments.events", account, "PaymentDisputed", dispute_status="lost")
    assert lost.amount_cents == paid.amount_cents  # type: ignore[attr-defined]
    assert (await statuses_of(system, account, "standard"))[-1] == ("overdue", "payment_disputed")
    assert not (await overview(system, account))["open_disputes"]  # decided: now it is owed again

    async def recovery_issued() -> bool:
        found = (await invoicing_view(system, account))["recovery_invoices"]
        return len(found) == 1 and found[0]["state"] == "issued"

    await wait_for(recovery_issued, 30, "the recovery invoice issued")
    [recovery] = (await invoicing_view(system, account))["recovery_invoices"]
    assert recovery["amount_cents"] == paid.amount_cents  # type: ignore[attr-defined]  # no fee
    assert recovery["recovers_invoice_id"] == str(paid.invoice_id)  # type: ignore[attr-defined]
    assert (await invoicing_view(system, account))["invoices"][0]["state"] == "disputed"

    async def waiting_for_a_method() -> bool:
        view = await overview(system, account)
        return view["new_payment_method_needed"] and len(view["outstanding_invoices"]) == 2

    await wait_for(waiting_for_a_method, 30, "the overview asking for a new method")
    await system.advance(timedelta(days=2))  # nobody charges the recovery to the charged-back account
    assert len(await j.events(system, "payments.events", account, "PaymentSucceeded")) == 1

    async with system.emulator() as emulator:  # a new method, made default after the dispute
        added = await emulator.post(
            f"/_emulator/portal/{customer_id}/payment-methods", json={"card": j.GOOD_CARD, "default": True}
        )
        assert added.status_code == 200, added.text
    recovered = await j.events(system, "payments.events", account, "PaymentSucceeded", count=2)
    assert str(recovered[-1].invoice_id) == recovery["invoice_id"]  # type: ignore[attr-defined]
    assert (await statuses_of(system, account, "standard"))[-1] == ("active", "invoices_settled")
    assert not (await overview(system, account))["new_payment_method_needed"]
    async with system.emulator() as emulator:  # exactly one recovery invoice in Stripe too
        listed = body(
            await emulator.get(
                "/v1/invoices",
                params={"customer": customer_id, "limit": 100},
                headers={"Authorization": "Bearer sk_test_123"},
            )
        )
    recoveries = [i for i in listed["data"] if i["metadata"].get("dispute_id") == lost.dispute_id]  # type: ignore[attr-defined]
    assert len(recoveries) == 1 and recoveries[0]["status"] == "paid"


async def test_no_test_iban_is_stored_in_any_schema_or_written_to_any_log(
    system: System, database_url: str
) -> None:
    """Runs last in this module, after the journeys above put every kind of debit through."""
    prefix = system.topic_prefix.removesuffix(".")  # the services' schemas are <prefix>_<service>
    found: list[str] = []
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        schemas = [
            r["schema_name"]
            for r in await connection.fetch(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1",
                f"{prefix}\\_%",
            )
        ]
        assert len(schemas) == 4, schemas
        for schema in schemas:
            tables = await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
            )
            for table in (t["table_name"] for t in tables):
                for row in await connection.fetch(f'SELECT * FROM "{schema}"."{table}"'):
                    text = " ".join(_readable(v) for v in row.values())
                    found += [f"{schema}.{table}" for iban in TEST_IBANS if iban in text]
    finally:
        await connection.close()
    assert system.logs is not None
    found += _logs_naming(Path(system.logs), TEST_IBANS)
    assert not found


def _logs_naming(directory: Path, needles: tuple[str, ...]) -> list[str]:
    """Every log file under the directory that contains one of the needles (there must be logs)."""
    logs = [p for p in directory.rglob("*") if p.is_file()]
    assert logs, directory
    return [str(log) for log in logs for needle in needles if needle in log.read_text(errors="replace")]


def _readable(value: Any) -> str:
    """A column's value as text; bytea decoded, PDFs (the letters' documents) left out."""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return "" if raw.startswith(b"%PDF") else raw.decode("latin-1")
    return str(value)
