"""Ops: only for the ops role; usage, held letters and statuses of one account, closing a period,
and the services' outbox backlog and dead letters from /metrics."""

from __future__ import annotations

import httpx
import pytest

from autoletter.console.testing import Upstreams, error, sign_in

OTHER = "acct-customer"

METRICS = """\
# HELP autoletter_outbox_backlog Unpublished outbox rows.
# TYPE autoletter_outbox_backlog gauge
autoletter_outbox_backlog{service="letters"} 17.0
# HELP autoletter_dead_letters_total Messages moved to a dead-letter topic.
# TYPE autoletter_dead_letters_total counter
autoletter_dead_letters_total{group="letters.service-status",reason="poison",service="letters"} 2.0
autoletter_dead_letters_total{group="letters.requests",reason="retries_exhausted",service="letters"} 1.0
"""
QUIET = '# TYPE autoletter_outbox_backlog gauge\nautoletter_outbox_backlog{service="%s"} 0.0\n'

USAGE = {
    "account_id": OTHER,
    "period": "2026-02",
    "services": [
        {
            "service": "standard",
            "letters": 3,
            "sheets": 4,
            "amount_cents": 300,
            "billed_letters": 0,
            "currency": "eur",
        },
        {
            "service": "registered",
            "letters": 0,
            "sheets": 0,
            "amount_cents": 0,
            "billed_letters": 0,
            "currency": "eur",
        },
    ],
}


@pytest.fixture
def quiet_services(upstreams: Upstreams) -> Upstreams:
    for service in ("profile", "payments", "invoicing"):
        upstreams.answer(service, "GET", "/metrics", QUIET % service)
    upstreams.answer("letters", "GET", "/metrics", METRICS)
    return upstreams


async def test_an_account_without_the_ops_role_cannot_open_ops(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, "acct-plain")

    page = await browser.get("/ops")
    run = await browser.post("/ops/billing-runs", data={"period": "2026-02"})

    assert page.status_code == 403
    assert "This page is for the operations team only." in page.text
    assert run.status_code == 403
    assert upstreams.recorded == []
    assert 'href="/ops"' not in (await browser.get("/letters")).text


async def test_ops_shows_outbox_backlog_and_dead_letters_per_service(
    browser: httpx.AsyncClient, quiet_services: Upstreams
) -> None:
    await sign_in(browser, "acct-ops", ops=True)

    page = await browser.get("/ops")

    assert page.status_code == 200
    row = page.text.split('<tr data-service="letters">')[1].split("</tr>")[0]
    assert '<td class="num">17</td>' in row
    assert '<td class="num bad">3</td>' in row
    assert "letters.service-status (poison): 2" in row


async def test_ops_shows_one_accounts_usage_statuses_and_held_letters(
    browser: httpx.AsyncClient, quiet_services: Upstreams
) -> None:
    upstreams = quiet_services
    await sign_in(browser, "acct-ops", ops=True)
    base = f"/v1/accounts/{OTHER}"
    upstreams.answer("invoicing", "GET", f"{base}/usage", USAGE)
    upstreams.answer(
        "payments",
        "GET",
        f"{base}/billing",
        {"services": [{"service": "standard", "status": "overdue", "reason": "invoice_failed"}]},
    )
    held = {"letter_id": "L-1", "service": "standard", "reason": "service_overdue", "hold_expires_at": None}
    upstreams.answer("letters", "GET", f"{base}/letters", {"items": [held], "next_cursor": None})

    page = await browser.get(f"/ops?account={OTHER}&period=2026-02")

    assert page.status_code == 200
    assert upstreams.calls("invoicing", "GET", f"{base}/usage")[0].query == {"period": "2026-02"}
    assert upstreams.calls("letters", "GET", f"{base}/letters")[0].query["status"] == "held"
    assert "Usage in February 2026" in page.text
    assert "€3.00" in page.text
    assert 'data-status="overdue"' in page.text
    assert "L-1" in page.text


async def test_closing_a_period_starts_a_billing_run_and_follows_it(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, "acct-ops", ops=True)
    run_id = "5f0c8f1e-0000-4000-8000-00000000abcd"
    upstreams.answer(
        "invoicing",
        "POST",
        "/v1/billing-runs",
        {"run_id": run_id, "period": "2026-02", "status": "pending"},
        202,
    )
    progress = {
        "run_id": run_id,
        "period": "2026-02",
        "status": "running",
        "started_at": "2026-03-01T00:00:01+00:00",
        "finished_at": None,
        "progress": {
            "candidates": 4,
            "done": 1,
            "issued": 1,
            "carried_over": 0,
            "no_customer": 0,
            "failed": 0,
        },
        "error": None,
    }
    upstreams.answer("invoicing", "GET", f"/v1/billing-runs/{run_id}", progress)

    response = await browser.post("/ops/billing-runs", data={"period": "2026-02"})

    assert response.status_code == 303
    assert upstreams.calls("invoicing", "POST", "/v1/billing-runs")[0].body == {"period": "2026-02"}
    page = await browser.get(response.headers["location"])
    assert "1 of 4 done" in page.text
    assert 'http-equiv="refresh"' in page.text  # it follows the run until it finishes
    assert 'style="width: 25%"' in page.text


async def test_a_refused_close_shows_invoicings_message(
    browser: httpx.AsyncClient, quiet_services: Upstreams
) -> None:
    await sign_in(browser, "acct-ops", ops=True)
    refusal = error(409, "period_not_ended", "March 2026 has not ended yet.", {"period": "2026-03"})
    quiet_services.answer("invoicing", "POST", "/v1/billing-runs", refusal)

    page = await browser.post("/ops/billing-runs", data={"period": "2026-03"})

    assert page.status_code == 409
    assert "This month has not ended yet." in page.text


async def test_a_service_down_shows_in_the_health_table(
    browser: httpx.AsyncClient, quiet_services: Upstreams
) -> None:
    await sign_in(browser, "acct-ops", ops=True)
    quiet_services.down.add("payments")

    page = await browser.get("/ops")

    assert page.status_code == 200
    row = page.text.split('<tr data-service="payments">')[1].split("</tr>")[0]
    assert "A service is not answering right now. Please try again in a moment." in row
