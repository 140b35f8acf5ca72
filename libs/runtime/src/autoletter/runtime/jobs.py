"""Periodic jobs: a step run every interval (or sooner when woken), which the runtime spawns and
stops. A failing step is logged and tried again at the next turn: a job never dies of one error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """`step` every `interval` seconds, or as soon as `wake` is set (e.g. by a NOTIFY listener).

    A step may also run for as long as it likes (a queue worker): the runtime cancels it at stop.
    With `repeat=False` the job ends after its first step that succeeds (a catch-up at start).
    `on_stop` runs once the job has stopped (e.g. letting a thread pool go)."""

    name: str
    step: Callable[[], Awaitable[object]]
    interval: float
    wake: asyncio.Event | None = None
    repeat: bool = True
    on_stop: Callable[[], object] | None = field(default=None, compare=False)

    async def run(self) -> None:
        """Run the step forever (until cancelled), whatever it raises."""
        try:
            while True:
                if await self.run_once() and not self.repeat:
                    return
                await self._pause()
        finally:
            if self.on_stop is not None:
                self.on_stop()

    async def run_once(self) -> bool:
        """One step now; False when it failed (logged, never raised)."""
        try:
            await self.step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job_failed", extra={"job": self.name})
            return False
        return True

    async def _pause(self) -> None:
        if self.wake is None:
            await asyncio.sleep(self.interval)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), self.interval)
        self.wake.clear()
