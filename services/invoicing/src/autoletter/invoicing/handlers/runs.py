"""Billing runs: a close requested by ops, the schedule or the CLI, followed through its row."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from autoletter.invoicing import metrics
from autoletter.invoicing.adapters import runs_repo
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.handlers.close import CloseProgress, PeriodClose
from autoletter.runtime.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """How a close ended: ``completed`` (nothing failed), ``failed`` (a re-run resumes) or ``skipped``."""

    run_id: UUID
    period: str
    status: str
    candidates: int
    issued: int
    carried_over: int
    no_customer: int
    failed: int
    errors: tuple[str, ...]


class CloseRunner:
    """Runs closes one period at a time per process and one at a time per period across replicas."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        close: PeriodClose,
        clock: Clock,
        *,
        stripe_requests: Callable[[], int] = lambda: 0,
        progress_every_s: float = 1.0,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._close = close
        self._clock = clock
        self._stripe_requests = stripe_requests
        self._progress_every_s = progress_every_s
        self._requested: asyncio.Queue[tuple[UUID, Period]] = asyncio.Queue()

    async def request(self, period: Period, trigger: str, requested_by: str | None = None) -> UUID:
        """Record a run and queue it for this process's run worker; returns at once."""
        run_id = await self._create(period, trigger, requested_by)
        self._requested.put_nowait((run_id, period))
        return run_id

    async def close_period(self, period: Period, trigger: str = "cli") -> RunResult:
        """Record a run and execute it now (CLI, tests, benchmarks)."""
        return await self.execute(await self._create(period, trigger, None), period)

    async def serve(self) -> None:
        """Execute requested runs one after another (a background job of the service)."""
        while True:
            run_id, period = await self._requested.get()
            try:
                await self.execute(run_id, period)
            except Exception:
                log.exception("billing_run_crashed")

    async def completed(self, period: Period) -> bool:
        async with self._sessions.begin() as session:
            return await runs_repo.completed(session, str(period))

    async def _create(self, period: Period, trigger: str, requested_by: str | None) -> UUID:
        run_id = uuid4()
        async with self._sessions.begin() as session:
            await runs_repo.create(session, run_id, str(period), trigger, requested_by, self._clock.now())
        return run_id

    async def execute(self, run_id: UUID, period: Period) -> RunResult:
        progress = CloseProgress()
        async with runs_repo.period_lock(self._engine, str(period)) as locked:
            if not locked:
                await self._update(
                    run_id,
                    status="skipped",
                    finished_at=self._clock.now(),
                    error="another close of this period is running",
                )
                return _result(run_id, period, "skipped", progress)
            await self._update(run_id, status="running", started_at=self._clock.now())
            metrics.CLOSE_RUNNING.inc()
            requests_before = self._stripe_requests()
            reporter = asyncio.create_task(self._report(run_id, progress, requests_before))
            status = "failed"
            error: str | None = "interrupted"
            try:
                await self._close.run(period, run_id, progress)
                status = "completed" if progress.failed == 0 else "failed"
                error = "; ".join(progress.errors[:3]) or None
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("billing_run_failed")
            finally:
                metrics.CLOSE_RUNNING.dec()
                reporter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reporter
                # Shielded: even a cancelled run leaves an honest row behind.
                await asyncio.shield(
                    self._update(
                        run_id,
                        status=status,
                        finished_at=self._clock.now(),
                        error=error,
                        stripe_requests=self._stripe_requests() - requests_before,
                        **self._counts(progress),
                    )
                )
        for outcome, n in self._counts(progress).items():
            metrics.CLOSE_INVOICES.labels(outcome).set(n)
        if status == "completed":
            metrics.CLOSE_LAST_COMPLETED.set(time.time())
        log.info(
            "billing_run_finished", extra={"period": str(period), "status": status, **self._counts(progress)}
        )
        return _result(run_id, period, status, progress)

    async def _report(self, run_id: UUID, progress: CloseProgress, requests_before: int) -> None:
        while True:
            await asyncio.sleep(self._progress_every_s)
            for outcome, n in self._counts(progress).items():
                metrics.CLOSE_INVOICES.labels(outcome).set(n)
            await self._update(
                run_id, stripe_requests=self._stripe_requests() - requests_before, **self._counts(progress)
            )

    @staticmethod
    def _counts(progress: CloseProgress) -> dict[str, int]:
        return {
            "candidates": progress.candidates,
            "issued": progress.issued,
            "carried_over": progress.carried_over,
            "no_customer": progress.no_customer,
            "failed": progress.failed,
        }

    async def _update(self, run_id: UUID, **values: object) -> None:
        async with self._sessions.begin() as session:
            await runs_repo.set_values(session, run_id, **values)


def _result(run_id: UUID, period: Period, status: str, p: CloseProgress) -> RunResult:
    return RunResult(
        run_id=run_id,
        period=str(period),
        status=status,
        candidates=p.candidates,
        issued=p.issued,
        carried_over=p.carried_over,
        no_customer=p.no_customer,
        failed=p.failed,
        errors=tuple(p.errors),
    )
