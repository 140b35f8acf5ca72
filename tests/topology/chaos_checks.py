"""What must hold after the chaos soak: every letter posted, sent, billed and paid for once."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))  # the end-to-end journeys and system

import journeys as j
from chaos_plan import (
    FINAL_STATES,
    SERVICES,
    Account,
    Retry,
    retrying,
    say,
)
from system import System, body

from autoletter.runtime.testing import read_all, wait_for


async def sent_by_account(system: System) -> dict[str, dict[str, set[uuid.UUID]]]:
    """account → letter id → the ids of its LetterSent events (a re-published event keeps its id)."""
    sent: dict[str, dict[str, set[uuid.UUID]]] = defaultdict(lambda: defaultdict(set))
    for event in await read_all(system.kafka_bootstrap, system.topic("letters.events")):
        if event.event_type == "LetterSent":
            sent[event.account_id][str(event.letter_id)].add(event.event_id)  # type: ignore[attr-defined]
    return sent


async def drain(system: System, accounts: list[Account], period: str, timeout: float) -> set[str]:
    """Wait until every letter is sent and billed; returns the sent letter ids."""
    sent: dict[str, dict[str, set[uuid.UUID]]] = {}

    async def all_sent() -> bool:
        nonlocal sent
        # A broker the soak killed may still be coming back: its metadata answers "not ready".
        sent = await retrying(partial(sent_by_account, system), "reading letters.events")
        return all(len(sent[a.account_id]) >= sum(a.letters.values()) for a in accounts)

    await wait_for(all_sent, timeout, "every letter sent")
    for a in accounts:  # announced once each, every HTTP letter among them, no extra letter
        letters = sent[a.account_id]
        assert len(letters) == sum(a.letters.values()), (a.account_id, len(letters), a.letters)
        assert a.http_letter_ids <= set(letters), a.account_id
        twice = {letter: ids for letter, ids in letters.items() if len(ids) != 1}
        assert not twice, f"LetterSent more than once: {twice}"
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events", timeout=timeout)
    for a in accounts:
        await wait_for(partial(_usage_is, system, a, period), 60, f"usage of {a.account_id}")
    return {letter for letters in sent.values() for letter in letters}


async def _usage_is(system: System, account: Account, period: str) -> bool:
    async def usage() -> dict[str, int]:
        async with system.client("invoicing", account.account_id) as invoicing:
            response = await invoicing.get(
                f"/v1/accounts/{account.account_id}/usage", params={"period": period}
            )
        if response.status_code >= 500:
            raise Retry(response.text)
        assert response.status_code == 200, response.text
        return {s["service"]: s["letters"] for s in body(response)["services"]}

    recorded = await retrying(usage, "usage")
    assert all(recorded[s] <= account.letters[s] for s in SERVICES), (account.account_id, recorded)
    return all(recorded[s] == account.letters[s] for s in SERVICES)


def assert_posted_once(system: System, letter_ids: set[str]) -> None:
    """One spool envelope per letter, whichever process dispatched it and however often."""
    envelopes = Counter(p.stem for p in system.work.glob("spool-*/*/*.json") if p.stem in letter_ids)
    assert set(envelopes) == letter_ids, f"{len(letter_ids - set(envelopes))} letters never posted"
    twice = [letter for letter, n in envelopes.items() if n > 1]
    assert not twice, f"posted more than once: {twice}"


async def close_until_completed(system: System, period: str, timeout: float = 600) -> int:
    """Ask for the close until a run completes; returns how many runs were asked for. A run whose
    process died reads `interrupted` once its lease lapses (or stays `pending` if it never started),
    one asked for while another holds the lease is `skipped`: the next request resumes the close."""
    deadline = time.monotonic() + timeout
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:

        async def request() -> str:
            response = await invoicing.post("/v1/billing-runs", json={"period": period})
            if response.status_code >= 500:
                raise Retry(response.text)
            assert response.status_code == 202, response.text
            return str(body(response)["run_id"])

        for attempt in range(1, 100):
            run_id = await retrying(request, "a billing run")
            status = "pending"

            async def ended(run_id: str = run_id) -> bool:
                nonlocal status
                response = await retrying(partial(invoicing.get, f"/v1/billing-runs/{run_id}"), "run")
                status = str(body(response).get("status")) if response.status_code == 200 else "unknown"
                return status in ("completed", "failed", "skipped", "interrupted")

            with contextlib.suppress(AssertionError):  # lease (30 s) and margin: then ask again
                await wait_for(ended, 45, f"billing run {run_id}")
            if status == "completed":
                return attempt
            assert time.monotonic() < deadline, f"no close of {period} completed in {timeout:.0f}s"
            say(f"billing run {run_id} {status}: asking again")
            if status == "skipped":  # another run holds the lease: pace the requests, it may end
                await asyncio.sleep(1)
    raise AssertionError("unreachable")


async def stripe_retries(system: System, accounts: list[Account], period: str, timeout: float) -> None:
    """Stripe's retries, a week in all: declined invoices fail for good, their services go overdue,
    the others' invoices are paid; wait until every side shows it."""
    for _ in range(3):
        await system.advance(timedelta(days=3))
    for account in accounts:
        await wait_for(partial(_outcome_shown, system, account, period), timeout, account.account_id)


async def _outcome_shown(system: System, account: Account, period: str) -> bool:
    async def invoices() -> list[dict[str, Any]]:
        return await j.invoices(system, account.account_id)

    async def statuses() -> dict[str, str]:
        async with system.client("payments", account.account_id) as payments:
            response = await payments.get(f"/v1/accounts/{account.account_id}/billing")
        if response.status_code >= 500:
            raise Retry(response.text)
        assert response.status_code == 200, response.text
        return {s["service"]: s["status"] for s in body(response)["services"]}

    billed = {s for s in SERVICES if account.letters[s]}
    mine = [i for i in await retrying(invoices, "invoices") if i["period"] == period]
    assert len(mine) == len({i["service"] for i in mine}), mine  # one invoice per service and month
    if {i["service"] for i in mine} != billed:
        return False
    assert all(i["letters"] == account.letters[i["service"]] for i in mine), (mine, account.letters)
    if not all(i["state"] in (FINAL_STATES if account.declines else {"paid"}) for i in mine):
        return False
    shown = await retrying(statuses, "billing overview")
    wanted = {s: "overdue" if account.declines and s in billed else "active" for s in account.services}
    return all(shown.get(s) == status for s, status in wanted.items())


async def assert_webhooks_delivered(system: System) -> int:
    """Stripe's deliveries all reached a payments process in the end (retried past the kills)."""
    async with system.emulator() as emulator:
        deliveries = body(await emulator.get("/_emulator/webhooks"))
    failed = [d for d in deliveries if d["status"] == "failed"]
    assert not failed, failed[:3]
    return len(deliveries)
