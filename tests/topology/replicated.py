"""Steps the topology scenarios share on the replicated system (two processes per service, three
brokers): ready accounts, a rolling restart, the checks that every letter was sent and billed once, and
which replica holds a TCP connection (the one a held Stripe request came in on)."""

from __future__ import annotations

import asyncio
import json
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import journeys as j
from system import System, body

from autoletter.runtime.testing import wait_for


async def ready_account(system: System, card: str, service: str = "standard") -> tuple[str, str]:
    """A new account with a complete profile, a card and the service active; (account, customer id)."""
    account = f"acc-{os.urandom(5).hex()}"
    customer = await j.complete_profile(system, account)
    await j.add_card(system, account, card)
    await j.activate(system, account, service)
    return account, customer


async def ready_accounts(system: System, n: int, card: str) -> dict[str, str]:
    """n ready accounts, made side by side; {account: Stripe customer id}."""
    return dict(await asyncio.gather(*(ready_account(system, card) for _ in range(n))))


async def roll(system: System, names: Iterable[str]) -> None:
    """Restart the processes one at a time (SIGTERM, then started again and ready) without blocking
    the event loop, so the test's load keeps flowing meanwhile."""
    for name in names:
        await asyncio.to_thread(system.restart, name)


async def sent_once(system: System, letters: dict[str, set[str]]) -> None:
    """Every letter ({account: letter ids}) announced sent under one event id, posted once (one spool
    envelope) and recorded as one usage line of its account's current period."""
    for account, ids in letters.items():
        sent = await j.events(system, "letters.events", account, "LetterSent", count=len(ids), timeout=120)
        event_ids: dict[str, set[str]] = defaultdict(set)
        for event in sent:
            event_ids[str(event.letter_id)].add(str(event.event_id))  # type: ignore[attr-defined]
        assert set(event_ids) == ids, account
        assert all(len(e) == 1 for e in event_ids.values()), event_ids  # a re-publish keeps its id
    everyone = set().union(*letters.values())
    envelopes = [json.loads(p.read_text()).get("letter_id") for p in system.work.glob("spool-*/**/*.json")]
    mine = [letter for letter in envelopes if letter in everyone]
    assert len(mine) == len(everyone) == len(set(mine))  # whichever replica dispatched it, once
    period = j.period_of(j.now(system))
    for account, ids in letters.items():
        await wait_for(lambda a=account, n=len(ids): _usage(system, a, period, n), 120, f"usage of {account}")


async def _usage(system: System, account: str, period: str, expected: int) -> bool:
    async with system.client("invoicing", account) as invoicing:
        response = await invoicing.get(f"/v1/accounts/{account}/usage", params={"period": period})
    services = body(response).get("services", []) if response.status_code == 200 else []
    recorded = sum(s.get("letters", 0) for s in services)
    assert recorded <= expected, f"{account}: {recorded} usage lines for {expected} letters"
    return bool(recorded == expected)


async def invoices_in(system: System, accounts: Iterable[str], state: str) -> None:
    """Wait until each account has exactly one invoice, in that state (payments' outcome applied)."""

    async def there() -> bool:
        for account in accounts:
            found = await j.invoices(system, account)
            assert len(found) <= 1, found  # one invoice per account and service, never two
            if [i["state"] for i in found] != [state]:
                return False
        return True

    await wait_for(there, 120, f"one {state} invoice per account")


async def stripe_invoices(system: System, customer: str) -> list[dict[str, Any]]:
    """Every invoice Stripe (the emulator) holds for the customer, drafts included."""
    async with system.emulator() as emulator:
        response = await emulator.get(
            "/v1/invoices",
            params={"customer": customer, "limit": 100},
            headers={"Authorization": "Bearer sk_test_123"},
        )
    assert response.status_code == 200, response.text
    return list(body(response)["data"])


def replica_with_port(system: System, service: str, port: int) -> str:
    """The process of `service` (its name in system.processes) with a TCP socket on local `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    groups = {p.proc.pid: name for name, p in system.processes.items() if name.split("#")[0] == service}
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) in inodes and (group := os.getpgid(int(fd.parts[2]))) in groups:
                return groups[group]
        except OSError:  # a process or descriptor that went away meanwhile
            continue
    raise AssertionError(f"no {service} process has a socket on port {port}")
