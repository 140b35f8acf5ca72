"""Two processes of every service sharing each port (SO_REUSEPORT), as replicas behind a load
balancer: kill -9 of one replica of letters, invoicing and payments while letters flow. The survivors
take the partitions over (rebalance); every letter is posted once, announced sent once and recorded
as usage once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import journeys as j
import pytest
from system import System, running_system

from autoletter.runtime.testing import wait_for

LETTERS = 30


@pytest.fixture(scope="module")
def replicated(
    server_workdir: Path, database_url: str, kafka_bootstrap: str, stripe_api_base: str
) -> Iterator[System]:
    with running_system(server_workdir, database_url, kafka_bootstrap, stripe_api_base, replicas=2) as system:
        yield system


async def send(system: System, account: str, key: str) -> dict[str, Any]:
    """POST a letter as a client would: a reset connection (its replica died) is retried with the
    same Idempotency-Key, which answers with the first decision."""
    for _ in range(10):
        try:
            async with system.client("letters", account) as letters:
                response = await letters.post(
                    f"/v1/accounts/{account}/letters",
                    headers={"Idempotency-Key": key},
                    json={"service": "standard", "recipient": j.RECIPIENT, "document_base64": j.pdf()},
                )
            if response.status_code == 202:
                return dict(response.json())
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"letter {key} was never accepted")


async def test_replicas_killed_mid_stream_post_bill_and_announce_every_letter_once(
    replicated: System,
) -> None:
    system = replicated
    account = f"acc-{uuid.uuid4().hex[:10]}"
    await j.complete_profile(system, account)
    await j.add_card(system, account, j.GOOD_CARD)
    await j.activate(system, account, "standard")

    receipts = [await send(system, account, f"k{i}") for i in range(LETTERS // 3)]
    for name in ("letters", "invoicing", "payments"):
        system.kill(name)  # the first process of each: the second takes its partitions over
    receipts += [await send(system, account, f"k{i}") for i in range(LETTERS // 3, LETTERS)]
    letter_ids = {r["letter_id"] for r in receipts}
    assert len(letter_ids) == LETTERS

    sent = await j.events(system, "letters.events", account, "LetterSent", count=LETTERS, timeout=120)
    assert {str(e.letter_id) for e in sent} == letter_ids  # type: ignore[attr-defined]
    assert len({e.event_id for e in sent}) == LETTERS  # one LetterSent per letter (a re-publish keeps its id)

    async def usage_recorded() -> bool:
        async with system.client("invoicing", account) as invoicing:
            period = j.period_of(j.now(system))
            response = await invoicing.get(f"/v1/accounts/{account}/usage", params={"period": period})
        services = response.json().get("services", []) if response.status_code == 200 else []
        return sum(s.get("letters", 0) for s in services) == LETTERS

    await wait_for(usage_recorded, 120, f"{LETTERS} usage lines")
    envelopes = [
        json.loads(p.read_text())
        for p in (system.work).glob("spool-*/**/*.json")
        if json.loads(p.read_text()).get("letter_id") in letter_ids
    ]
    assert len(envelopes) == LETTERS  # posted once each, whatever replica dispatched it
