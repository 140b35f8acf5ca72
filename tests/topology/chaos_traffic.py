"""The chaos soak's customers: accounts opened, letters sent by HTTP and by SendLetter commands."""

from __future__ import annotations

import asyncio
import random
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))  # the end-to-end journeys and system

import journeys as j
from chaos_plan import (
    COMMAND_BATCH,
    DOCUMENT,
    SERVICES,
    Account,
    Letter,
    Plan,
    Retry,
    retrying,
    say,
)
from system import System, body

from autoletter.contracts import new_event
from autoletter.contracts.letters import SendLetter
from autoletter.runtime.testing import publish


def plan_accounts(plan: Plan, rng: random.Random) -> list[Account]:
    declining = max(1, round(plan.accounts * plan.declining_share))
    accounts = []
    for i in range(plan.accounts):
        services = rng.choice([SERVICES, SERVICES, ("standard",), ("registered",)])
        card = j.DECLINING_CARD if i < declining else j.GOOD_CARD
        accounts.append(Account(f"soak-{uuid.uuid4().hex[:10]}", card, services))
    return accounts


async def open_accounts(system: System, accounts: list[Account], parallel: int = 10) -> None:
    """Profile, card and services for each account (before any fault: the journeys' own steps)."""
    gate = asyncio.Semaphore(parallel)

    async def one(account: Account) -> None:
        async with gate:
            account.customer_id = await j.complete_profile(system, account.account_id)
            await j.add_card(system, account.account_id, account.card)
            for service in account.services:
                await j.activate(system, account.account_id, service)

    await asyncio.gather(*(one(a) for a in accounts))


def plan_letters(plan: Plan, accounts: list[Account], rng: random.Random) -> list[Letter]:
    letters = []
    for i in range(plan.letters):
        account = accounts[i] if i < len(accounts) else rng.choice(accounts)  # every account sends
        letters.append(
            Letter(
                account, rng.choice(account.services), rng.random() < plan.http_share, f"soak-{uuid.uuid4()}"
            )
        )
    return letters


async def submit(system: System, letters: list[Letter], workers: int, progress: Counter[str]) -> None:
    """Every letter handed over, by HTTP (retried with its Idempotency-Key when the replica died) or
    as a `SendLetter` command (re-published with the same event and command id when a broker failed)."""
    queue: asyncio.Queue[list[Letter]] = asyncio.Queue()
    commands: list[Letter] = []
    for letter in letters:
        if letter.by_http:
            queue.put_nowait([letter])
        else:
            commands.append(letter)
            if len(commands) == COMMAND_BATCH:
                queue.put_nowait(commands)
                commands = []
    if commands:
        queue.put_nowait(commands)
    tenth = max(1, len(letters) // 10)

    async def work() -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            if batch[0].by_http:
                await _post(system, batch[0])
            else:
                await _command(system, batch)
            for letter in batch:
                letter.account.letters[letter.service] += 1
            before, progress["submitted"] = progress["submitted"], progress["submitted"] + len(batch)
            if before // tenth != progress["submitted"] // tenth:
                say(f"{progress['submitted']} of {len(letters)} letters handed over")

    await asyncio.gather(*(work() for _ in range(workers)))


async def _post(system: System, letter: Letter) -> None:
    account = letter.account.account_id

    async def post() -> dict[str, Any]:
        async with system.client("letters", account) as letters:
            response = await letters.post(
                f"/v1/accounts/{account}/letters",
                headers={"Idempotency-Key": letter.key},
                json={"service": letter.service, "recipient": j.RECIPIENT, "document_base64": DOCUMENT},
            )
        if response.status_code >= 500:
            raise Retry(response.text)
        assert response.status_code == 202, response.text
        return dict(body(response))

    receipt = await retrying(post, f"letter {letter.key}")
    assert receipt["status"] in ("accepted", "sent"), receipt  # every service is active while sending
    letter.account.http_letter_ids.add(str(receipt["letter_id"]))


async def _command(system: System, batch: list[Letter]) -> None:
    messages = [
        new_event(
            SendLetter,
            account_id=letter.account.account_id,
            producer="chaos-soak",
            occurred_at=j.now(system),
            command_id=letter.key,
            service=letter.service,
            recipient=j.RECIPIENT,
            document_base64=DOCUMENT,
        )
        for letter in batch
    ]
    await retrying(
        lambda: publish(system.kafka_bootstrap, system.topic(SendLetter.topic), *messages), "SendLetter"
    )
