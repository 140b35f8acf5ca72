"""Webhook delivery in the background: one FIFO worker per endpoint, signed, retried with backoff.

Each endpoint gets events in the order they happened (so in order per customer); a failing event is
retried a bounded number of times before the next one is sent, which keeps that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from autoletter.stripe_emulator.config import EmulatorConfig
from autoletter.stripe_emulator.signing import signature_header
from autoletter.stripe_emulator.state import Delivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    delivery: Delivery
    payload: bytes
    secret: str


class Dispatcher:
    """Owns the delivery workers; `enqueue` never blocks the API request that caused the event."""

    def __init__(self, config: EmulatorConfig, on_change: Callable[[], None] = lambda: None) -> None:
        self._config = config
        self._on_change = on_change  # each attempt changes a delivery: the state is saved
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None

    def enqueue(self, endpoint_id: str, delivery: Delivery, event: dict[str, Any], secret: str) -> None:
        payload = json.dumps(event, indent=2).encode()
        queue = self._queues.get(endpoint_id)
        if queue is None:
            queue = self._queues[endpoint_id] = asyncio.Queue()
            self._workers.append(asyncio.get_running_loop().create_task(self._work(queue)))
        queue.put_nowait(Job(delivery, payload, secret))

    async def drain(self, timeout: float) -> bool:
        """Wait until every queued event has been delivered or given up; False on timeout."""
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

    async def _work(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            job = await queue.get()
            try:
                await self._deliver(job)
            except Exception:  # a worker must survive anything one delivery does
                log.exception("webhook delivery crashed")
                job.delivery.status = "failed"
            finally:
                self._on_change()
                queue.task_done()

    async def _deliver(self, job: Job) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._config.delivery_timeout_s)
        backoff = self._config.delivery_backoff_s
        for attempt in range(1, self._config.delivery_attempts + 1):
            # Signed with the wall clock, as Stripe does, so receivers' tolerance checks pass even
            # when the emulator's test clock was moved ahead.
            now = int(time.time())
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature_header(job.payload, job.secret, now),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            }
            status: int | None
            error: str | None
            try:
                response = await self._http.post(job.delivery.url, content=job.payload, headers=headers)
                status = response.status_code
            except httpx.HTTPError as exc:
                status, error = None, type(exc).__name__
            else:
                error = None
            job.delivery.attempts.append({"at": now, "status": status, "error": error})
            self._on_change()
            if status is not None and 200 <= status < 300:
                job.delivery.status = "delivered"
                return
            if attempt < self._config.delivery_attempts:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
        job.delivery.status = "failed"
        log.warning("gave up delivering %s to %s", job.delivery.event_id, job.delivery.url)
