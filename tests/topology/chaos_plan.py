"""The chaos soak's plan and figures: what a run will do, and what it did."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))  # the end-to-end journeys and system

import journeys as j

T = TypeVar("T")
SERVICES = ("standard", "registered")
BROKER = "broker"
COMMAND_BATCH = 20
DOCUMENT = j.pdf()
FINAL_STATES = {"payment_failed", "uncollectible"}  # a declined invoice once Stripe gave up


@dataclass(frozen=True)
class Plan:
    """What one soak does; everything random in it comes from `seed`."""

    letters: int
    accounts: int
    kills: int
    seed: int
    declining_share: float = 0.25
    http_share: float = 0.5
    submitters: int = 8

    def kills_per_phase(self) -> tuple[int, int, int]:
        """Kills during submission, during the close and during Stripe's retries."""
        later = self.kills // 5
        return self.kills - 2 * later, later, later


@dataclass
class Account:
    account_id: str
    card: str
    services: tuple[str, ...]
    customer_id: str = ""
    letters: Counter[str] = field(default_factory=Counter)
    http_letter_ids: set[str] = field(default_factory=set)

    @property
    def declines(self) -> bool:
        return self.card == j.DECLINING_CARD


@dataclass(frozen=True)
class Letter:
    account: Account
    service: str
    by_http: bool
    key: str


@dataclass
class Figures:
    """What a soak did and how long each part took (seconds)."""

    seed: int
    letters: int = 0
    by_http: int = 0
    by_command: int = 0
    accounts: int = 0
    declining_accounts: int = 0
    kills: list[str] = field(default_factory=list)
    #: Processes that exited while being started again (e.g. a broker was down) and were restarted.
    crashed_at_start: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    reconciliation: dict[str, Any] = field(default_factory=dict)

    def report(self) -> str:
        brokers = sum(1 for k in self.kills if k.startswith(BROKER))
        lines = [
            f"seed {self.seed}",
            f"letters {self.letters} ({self.by_http} by HTTP, {self.by_command} by SendLetter) across "
            f"{self.accounts} accounts ({self.declining_accounts} with a declining card)",
            f"kills {len(self.kills)} (brokers {brokers}): {', '.join(self.kills)}",
            f"processes that exited while starting again: {len(self.crashed_at_start)} "
            f"{self.crashed_at_start or ''}",
            *(f"{name}: {seconds:.1f} s" for name, seconds in self.timings.items()),
            f"reconciliation: {len(self.reconciliation.get('differences', []))} differences, "
            f"checked {self.reconciliation.get('checked')}",
        ]
        return "\n".join(lines)


def say(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


async def retrying(call: Callable[[], Awaitable[T]], what: str, timeout: float = 180) -> T:
    """`call` again after a lost connection, a 5xx or a broker error, until the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except AssertionError:
            raise
        except Exception as exc:  # a replica killed mid-request (its sibling answers next), a broker
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: still failing after {timeout:.0f}s") from exc
            await asyncio.sleep(0.2)


class Retry(Exception):
    """An answer worth asking again: the replica was going down."""
