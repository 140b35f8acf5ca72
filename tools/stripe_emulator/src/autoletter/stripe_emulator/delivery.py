"""Webhook delivery in the background: one FIFO worker per endpoint, signed, retried on the test clock.

Each endpoint gets events in the order they happened (so in order per customer) as long as it answers.
A failed attempt does not hold the others up: like Stripe, the event is retried later — on the
emulator's test clock, with exponential backoff for up to three days (`webhook_retry_offsets`) — so
an endpoint that was down receives it out of order. Moving the clock (`/_emulator/clock/advance`,
`autoletter clock advance`) makes the retries that fell due run; `drain` then waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from autoletter.stripe_emulator.clock import EmulatorClock
from autoletter.stripe_emulator.config import EmulatorConfig, webhook_retry_offsets
from autoletter.stripe_emulator.signing import signature_header
from autoletter.stripe_emulator.state import Delivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    endpoint_id: str
    delivery: Delivery
    payload: bytes
    secret: str


@dataclass(order=True)
class _Scheduled:
    due: int
    seq: int
    job: Job = field(compare=False)


class Dispatcher:
    """Owns the delivery workers; `enqueue` never blocks the API request that caused the event."""

    def __init__(
        self, config: EmulatorConfig, clock: EmulatorClock, on_change: Callable[[], None] = lambda: None
    ) -> None:
        self._config = config
        self._clock = clock
        self._retries = webhook_retry_offsets(config)
        self._on_change = on_change  # each attempt changes a delivery: the state is saved
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._scheduled: list[_Scheduled] = []  # retries waiting for the test clock, soonest first
        self._seq = itertools.count()
        self._http: httpx.AsyncClient | None = None

    def enqueue(self, endpoint_id: str, delivery: Delivery, event: dict[str, Any], secret: str) -> None:
        """Send now (after what is already queued for that endpoint), or at its scheduled retry."""
        job = Job(endpoint_id, delivery, json.dumps(event, indent=2).encode(), secret)
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > self._clock.timestamp():
            self._schedule(job, delivery.next_attempt_at)
        else:
            self._put(job)

    def release_due(self) -> int:
        """Queue every retry the test clock has reached (called whenever the clock may have moved)."""
        now, released = self._clock.timestamp(), 0
        while self._scheduled and self._scheduled[0].due <= now:
            self._put(heapq.heappop(self._scheduled).job)
            released += 1
        return released

    async def drain(self, timeout: float) -> bool:
        """Wait until every queued event was delivered, given up or scheduled for a retry later on the
        test clock; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                for queue in list(self._queues.values()):
                    await queue.join()
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self._http is not None:
            await self._http.aclose()

    def _put(self, job: Job) -> None:
        job.delivery.next_attempt_at = None  # queued: not waiting for the clock any more
        queue = self._queues.get(job.endpoint_id)
        if queue is None:
            queue = self._queues[job.endpoint_id] = asyncio.Queue()
            self._workers.append(asyncio.get_running_loop().create_task(self._work(queue)))
        queue.put_nowait(job)

    def _schedule(self, job: Job, due: int) -> None:
        job.delivery.next_attempt_at = due
        heapq.heappush(self._scheduled, _Scheduled(due, next(self._seq), job))

    async def _work(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            job = await queue.get()
            try:
                if await self._attempt(job):
                    job.delivery.status = "delivered"
                else:
                    self._after_failure(job)
            except Exception:  # a worker must survive anything one delivery does
                log.exception("webhook delivery crashed")
                job.delivery.status = "failed"
            finally:
                self._on_change()
                queue.task_done()

    def _after_failure(self, job: Job) -> None:
        """The next retry of the schedule, counted from the first attempt; given up after the last."""
        delivery = job.delivery
        retry = len(delivery.attempts) - 1  # attempts made after the first one
        first = delivery.first_attempt_at or self._clock.timestamp()  # set by the first attempt
        if retry >= len(self._retries):
            delivery.status = "failed"
            log.warning("gave up delivering %s to %s", delivery.event_id, delivery.url)
            return
        due = first + int(self._retries[retry].total_seconds())
        if due <= self._clock.timestamp():  # the clock already passed it (it was moved ahead): now
            self._put(job)
        else:
            self._schedule(job, due)

    async def _attempt(self, job: Job) -> bool:
        """One POST to the endpoint, recorded; True on a 2xx answer."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._config.delivery_timeout_s)
        # Signed with the wall clock, as Stripe does, so receivers' tolerance checks pass even when the
        # emulator's test clock was moved ahead.
        now = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(job.payload, job.secret, now),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        status: int | None
        error: str | None = None
        clock = self._clock.timestamp()
        if job.delivery.first_attempt_at is None:
            job.delivery.first_attempt_at = clock
        try:
            response = await self._http.post(job.delivery.url, content=job.payload, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            status, error = None, type(exc).__name__
        job.delivery.attempts.append({"at": now, "clock": clock, "status": status, "error": error})
        return status is not None and 200 <= status < 300
