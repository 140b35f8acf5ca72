"""Billing runs: a close requested by ops, the schedule or the CLI, followed through its row."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from autoletter.invoicing import metrics
from autoletter.invoicing.adapters.repository import InvoicingRepository
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.runs import RunCounts, RunStatus
from autoletter.invoicing.handlers.close import CloseProgress, PeriodClose
from autoletter.runtime.uow import Units

log = logging.getLogger(__name__)

#: The lease lapses this long after its last renewal; a run renews it every LEASE_RENEW_EVERY.
LEASE_TTL = timedelta(seconds=30)
LEASE_RENEW_EVERY = timedelta(seconds=5)


class LeaseLost(Exception):
    """The run could not keep its period's lease: it stops, and the next taker resumes the close."""


@dataclass(frozen=True)
class RunResult:
    """How a close ended: ``completed`` (nothing failed), ``failed`` (a re-run resumes) or ``skipped``."""

    run_id: UUID
    period: str
    status: RunStatus
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
        units: Units[InvoicingRepository],
        close: PeriodClose,
        *,
        stripe_requests: Callable[[], int] = lambda: 0,
        progress_every_s: float = 1.0,
        lease_ttl: timedelta = LEASE_TTL,
        lease_renew_every: timedelta = LEASE_RENEW_EVERY,
    ) -> None:
        self._units = units
        self._close = close
        self._stripe_requests = stripe_requests
        self._progress_every_s = progress_every_s
        self._lease_ttl = lease_ttl
        self._lease_renew_every = lease_renew_every
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
        async with self._units.begin() as uow:
            return await uow.repos.run_completed(period)

    async def _create(self, period: Period, trigger: str, requested_by: str | None) -> UUID:
        run_id = uuid4()
        async with self._units.begin() as uow:
            await uow.repos.create_run(run_id, period, trigger, requested_by, uow.now())
        return run_id

    async def execute(self, run_id: UUID, period: Period) -> RunResult:
        progress = CloseProgress()
        async with self._units.begin() as uow:
            taken = await uow.repos.take_lease(period, run_id, self._lease_ttl)
            if not taken.held:
                await uow.repos.skip_run(run_id, uow.now(), "another close of this period is running")
                return _result(run_id, period, RunStatus.SKIPPED, progress)
            if taken.lapsed_run is not None:
                await uow.repos.mark_interrupted(taken.lapsed_run, run_id, uow.now())
                lapsed = {"period": str(period), "lapsed_run": str(taken.lapsed_run)}
                log.info("billing_run_resumes", extra=lapsed)
            await uow.repos.start_run(run_id, uow.now())
        try:
            metrics.CLOSE_RUNNING.inc()
            requests_before = self._stripe_requests()
            reporter = asyncio.create_task(self._report(run_id, progress, requests_before))
            status = RunStatus.FAILED
            error: str | None = "interrupted"
            try:
                await self._while_leased(period, run_id, self._close.run(period, run_id, progress))
                status = RunStatus.COMPLETED if progress.failed == 0 else RunStatus.FAILED
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
                    self._finish(
                        run_id, status, error, progress.counts(), self._stripe_requests() - requests_before
                    )
                )
        finally:
            await asyncio.shield(self._release(period, run_id))
        counts = progress.counts().by_outcome()
        for outcome, n in counts.items():
            metrics.CLOSE_INVOICES.labels(outcome).set(n)
        if status is RunStatus.COMPLETED:
            metrics.CLOSE_LAST_COMPLETED.set(time.time())
        log.info("billing_run_finished", extra={"period": str(period), "status": status, **counts})
        return _result(run_id, period, status, progress)

    async def _while_leased(self, period: Period, run_id: UUID, work: Awaitable[None]) -> None:
        """Run `work` while a heartbeat renews the lease; a heartbeat that fails stops the work."""
        close = asyncio.ensure_future(work)
        heartbeat = asyncio.ensure_future(self._heartbeat(period, run_id))
        try:
            await asyncio.wait({close, heartbeat}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            close.cancel()  # no-op when done
            heartbeat.cancel()
            await asyncio.wait({close, heartbeat})
        if close.done() and not close.cancelled():
            close.result()  # its own outcome, failures included
            return
        error = heartbeat.exception() if heartbeat.done() and not heartbeat.cancelled() else None
        if isinstance(error, LeaseLost):
            raise error
        raise LeaseLost(f"the lease's heartbeat stopped: {error!r}")

    async def _heartbeat(self, period: Period, run_id: UUID) -> None:
        """Renew the lease until cancelled; raise LeaseLost when it was taken, or could not be renewed
        before it would lapse (the database is unreachable)."""
        every = self._lease_renew_every.total_seconds()
        renewed_at = time.monotonic()
        while True:
            await asyncio.sleep(every)
            try:
                async with self._units.begin() as uow:
                    if not await uow.repos.renew_lease(period, run_id, self._lease_ttl):
                        raise LeaseLost("another run took this period's lease")
                renewed_at = time.monotonic()
            except LeaseLost:
                raise
            except Exception as exc:
                if time.monotonic() - renewed_at + every >= self._lease_ttl.total_seconds():
                    raise LeaseLost(f"could not renew the lease: {type(exc).__name__}") from exc
                log.warning("billing_run_lease_renewal_failed", exc_info=True)

    async def _release(self, period: Period, run_id: UUID) -> None:
        try:
            async with self._units.begin() as uow:
                await uow.repos.release_lease(period, run_id)
        except Exception:  # it lapses by itself
            log.warning("billing_run_lease_release_failed", exc_info=True)

    async def _report(self, run_id: UUID, progress: CloseProgress, requests_before: int) -> None:
        while True:
            await asyncio.sleep(self._progress_every_s)
            counts = progress.counts()
            for outcome, n in counts.by_outcome().items():
                metrics.CLOSE_INVOICES.labels(outcome).set(n)
            async with self._units.begin() as uow:
                await uow.repos.record_progress(run_id, counts, self._stripe_requests() - requests_before)

    async def _finish(
        self,
        run_id: UUID,
        status: RunStatus,
        error: str | None,
        counts: RunCounts,
        stripe_requests: int,
    ) -> None:
        async with self._units.begin() as uow:
            await uow.repos.finish_run(
                run_id,
                status,
                uow.now(),
                error=error,
                counts=counts,
                stripe_requests=stripe_requests,
            )


def _result(run_id: UUID, period: Period, status: RunStatus, p: CloseProgress) -> RunResult:
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
