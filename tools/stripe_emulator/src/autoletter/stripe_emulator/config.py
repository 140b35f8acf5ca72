"""What an emulator run is told: where webhooks go, how charges are retried, whether time is frozen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from autoletter.stripe import API_VERSION

DAY = timedelta(days=1)


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook endpoint known from the start (the services' webhook route and its signing secret)."""

    url: str
    secret: str
    enabled_events: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything an emulator instance needs; all of it has a sensible local default."""

    #: stripe-mock base URL; every /v1 request is validated there first when set.
    stripe_mock: str | None = None
    webhooks: tuple[WebhookTarget, ...] = ()
    #: Base of the hosted pages' URLs; by default the URL the request came in on.
    public_url: str | None = None
    #: Automatic retries after the first failed attempt, as offsets from that first attempt
    #: (Stripe's default smart-retry policy: up to 3 retries within a week).
    retry_schedule: tuple[timedelta, ...] = (1 * DAY, 3 * DAY, 7 * DAY)
    #: What Stripe's "subscriptions and emails" setting does after the last retry failed.
    after_final_failure: Literal["leave_open", "mark_uncollectible"] = "leave_open"
    #: Delay between finalisation and the first automatic attempt (Stripe: about an hour; 0 = at once).
    first_attempt_delay: timedelta = timedelta(0)
    #: A SEPA debit is `processing` this long before it succeeds or fails; the "after a delay" test
    #: IBANs take the longer one. A disputed debit's dispute opens, then closes `lost`, after these.
    debit_settlement: timedelta = 2 * DAY
    debit_late_settlement: timedelta = 5 * DAY
    dispute_opens_after: timedelta = 14 * DAY
    dispute_closes_after: timedelta = 1 * DAY
    #: Smallest amount Stripe charges (EUR/USD: 50 cents); a smaller invoice goes to the balance.
    minimum_charge: int = 50
    #: The account's default currency, used by invoices created without one.
    default_currency: str = "eur"
    api_version: str = API_VERSION
    #: Webhook delivery, as Stripe in live mode: a failed delivery (non-2xx or no answer) is retried on
    #: the test clock with exponential backoff (the first retry this long after the first attempt, each
    #: wait doubled up to the cap) for up to `webhook_retry_for`, then given up.
    webhook_retry_first: timedelta = timedelta(minutes=1)
    webhook_retry_cap: timedelta = timedelta(hours=12)
    webhook_retry_for: timedelta = 3 * DAY
    delivery_timeout_s: float = 10.0
    #: A frozen clock moves only through /_emulator/clock/advance (tests); otherwise it runs with
    #: the wall clock, shifted by whatever was advanced.
    frozen_clock: bool = False
    clock_start: datetime | None = None
    #: How often due retries are looked for without a request (a running clock makes them due).
    tick_s: float = 1.0
    debug_limit: int = field(default=200)
    #: SQLite file keeping the state across restarts (None: memory only, a restart starts empty).
    state_path: Path | None = None


def webhook_retry_offsets(config: EmulatorConfig) -> tuple[timedelta, ...]:
    """When a failing delivery is tried again, as offsets from its first attempt: exponential backoff,
    each wait capped, the last retry exactly at the end of the window (Stripe: three days)."""
    offsets: list[timedelta] = []
    at, wait = timedelta(0), config.webhook_retry_first
    while wait > timedelta(0) and at + wait < config.webhook_retry_for:
        at += wait
        offsets.append(at)
        wait = min(wait * 2, config.webhook_retry_cap)
    return (*offsets, config.webhook_retry_for) if config.webhook_retry_for > timedelta(0) else ()
