"""The processor of stored Stripe events: jobs of the runtime, in every replica.

Each worker claims the oldest due event at the head of one customer's queue (FOR UPDATE SKIP LOCKED),
applies it, and marks it done in the same transaction as its effects and outbox rows. A failure rolls
all of that back; the event is retried with exponential backoff and given up after a bounded number
of attempts (kept, counted and logged for an operator).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.payments import metrics
from autoletter.payments.adapters import event_store
from autoletter.payments.adapters.event_store import StoredEvent
from autoletter.payments.adapters.repository import PaymentsRepository
from autoletter.payments.adapters.tables import services, stripe_events
from autoletter.payments.handlers.common import Context
from autoletter.payments.handlers.webhooks import process
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime import tracing
from autoletter.runtime.failures import Failure, classify
from autoletter.runtime.jobs import Job
from autoletter.runtime.uow import Units

log = logging.getLogger(__name__)


class WebhookProcessor:
    def __init__(self, units: Units[PaymentsRepository], ctx: Context, settings: PaymentsSettings) -> None:
        self._units = units
        self._ctx = ctx
        self._settings = settings
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """A new event was stored here: don't wait for the next poll."""
        self._woken.set()

    def jobs(self) -> list[Job]:
        """The runtime's jobs: N workers, each draining the due events, then waiting to be woken."""
        every = self._settings.webhook_poll_interval_s
        count = max(self._settings.webhook_workers, 1)
        return [Job(f"stripe-events-{n}", self.drain, every, self._woken) for n in range(count)]

    async def drain(self) -> None:
        """Process due events until there is none."""
        while await self.process_one():
            pass

    async def process_one(self) -> bool:
        """Process one due event; False when there was none."""
        claimed: StoredEvent | None = None
        started = time.perf_counter()
        try:
            async with self._units.begin() as uow:  # one event, its effects and its outbox rows
                claimed = await uow.repos.claim_event(uow.now())
                if claimed is None:
                    return False
                # The webhook request's trace goes on: its effects (and their outbox rows) are in it.
                with tracing.continued(
                    f"process stripe {claimed.type}",
                    claimed.trace,
                    kind=tracing.CONSUMER,
                    attributes={"stripe.event_id": claimed.event_id, "stripe.event_type": claimed.type},
                ):
                    outcome = await process(uow, self._ctx, claimed)
                await uow.repos.finish_event(claimed.event_id, outcome, uow.now())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if claimed is None:
                log.warning("stripe_event_claim_failed", exc_info=True)
                await asyncio.sleep(self._settings.webhook_poll_interval_s)
                return False
            await self._postpone(claimed, exc)
            return True
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)
        metrics.EVENTS_PROCESSED.labels(metrics.type_label(claimed.type), outcome).inc()
        log.info(
            "stripe_event_processed",
            extra={"stripe_event_id": claimed.event_id, "type": claimed.type, "outcome": outcome},
        )
        return True

    async def _postpone(self, event: StoredEvent, exc: Exception) -> None:
        # The error's class and message only: Stripe errors carry no card data, and the body is not logged.
        error = f"{type(exc).__name__}: {exc}"[:1000]
        # An outage (database, network, Stripe unreachable, 429, 5xx) is waited out: it never uses
        # up the event's attempts, or a Stripe blip would leave events failed for an operator.
        outage = classify(exc) in (Failure.OUTAGE, Failure.CONFLICT)
        async with self._units.begin() as uow:
            gave_up = await uow.repos.postpone_event(
                event.event_id,
                attempts=event.attempts + 1,
                error=error,
                now=uow.now(),
                max_attempts=sys.maxsize if outage else self._settings.webhook_max_attempts,
                max_backoff_s=self._settings.webhook_max_backoff_s,
            )
        outcome = "failed" if gave_up else "retried"
        metrics.EVENTS_PROCESSED.labels(metrics.type_label(event.type), outcome).inc()
        level = logging.ERROR if gave_up else logging.WARNING
        log.log(
            level,
            "stripe_event_" + outcome,
            extra={
                "stripe_event_id": event.event_id,
                "type": event.type,
                "attempt": event.attempts + 1,
                "error": error,
            },
        )


async def update_gauges(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Services by status and the event backlog, for /metrics (a job of the runtime)."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(services.c.service, services.c.status, func.count()).group_by(
                    services.c.service, services.c.status
                )
            )
        ).all()
        by_state = select(stripe_events.c.state, func.count()).group_by(stripe_events.c.state)
        states = {state: count for state, count in (await session.execute(by_state)).all()}
    metrics.SERVICES.clear()
    for service, status, count in rows:
        metrics.SERVICES.labels(service, status).set(count)
    metrics.EVENTS_PENDING.set(states.get(event_store.PENDING, 0))
    metrics.EVENTS_FAILED.set(states.get(event_store.FAILED, 0))
