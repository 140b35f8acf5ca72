"""Dispatch of accepted letters: the step of the runtime's dispatch job.

Exactly once: a dispatcher holds the account's lock, spools each claimed letter (idempotent by
letter_id), then marks it sent and stages LetterSent in the same transaction. A crash after the
spool write rolls the transaction back; the next pass finds the envelope in the spool, so it posts
nothing twice and publishes LetterSent with the original dispatch time.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from uuid import UUID

from autoletter.contracts.common import Service
from autoletter.contracts.letters import LetterSent
from autoletter.letters import metrics
from autoletter.letters.adapters.repository import LettersRepository
from autoletter.letters.adapters.spool import DispatchPort, DispatchReceipt, OutgoingLetter
from autoletter.letters.adapters.tables import Record
from autoletter.letters.domain import decisions
from autoletter.letters.domain.model import LetterStatus, OpenLetter
from autoletter.letters.handlers.common import ACCOUNT_LOCK, LettersWork
from autoletter.runtime import tracing
from autoletter.runtime.uow import Units

log = logging.getLogger(__name__)

Outcome = DispatchReceipt | Exception


class LetterDispatcher:
    """Sends accepted letters, in arrival order per account and service; safe on several replicas."""

    def __init__(
        self,
        units: Units[LettersRepository],
        port: DispatchPort,
        *,
        batch_size: int = 200,
        retry_delay: float = 5.0,
        concurrency: int = 8,
        batch_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._units = units
        self._port = port
        self._batch = batch_size
        self._retry_delay = retry_delay
        self._batch_bytes = batch_bytes
        self._concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="letters-spool")

    def close(self) -> None:
        """Let the spool threads go (a restarted runtime gets a fresh pool; threads start lazily)."""
        old, self._pool = self._pool, ThreadPoolExecutor(self._concurrency, "letters-spool")
        old.shutdown(wait=False)

    async def dispatch_pending(self) -> int:
        """One pass over every account with accepted letters due; returns how many were sent."""
        async with self._units.read() as repos:
            candidates = await repos.dispatch_candidates(self._units.clock.now(), limit=1000)
        sent = 0
        for account_id, service in candidates:
            while True:
                done, more = await self._dispatch_batch(account_id, service)
                sent += done
                if not more:
                    break
        return sent

    async def _dispatch_batch(self, account_id: str, service: str) -> tuple[int, bool]:
        """One transaction: claim, spool, mark sent and stage LetterSent. Returns (sent, more waiting)."""
        async with self._units.begin() as uow:
            await uow.lock(ACCOUNT_LOCK, account_id)
            now = uow.now()
            found = await uow.repos.status_copy(account_id, service)
            copy = found[0] if found else None
            rows, documents, more = await uow.repos.claim_accepted(
                account_id, service, now, self._batch, self._batch_bytes
            )
            # The status handler re-holds accepted letters when the service stops being active; this
            # check keeps the invariant even if a letter slipped through.
            rows = [r for r in rows if decisions.may_dispatch(copy, _open(r)) and r.letter_id in documents]
            if not rows:
                return 0, False
            outcomes = await self._spool_all(account_id, service, rows, documents, now)
            sent: list[tuple[Record, DispatchReceipt]] = []
            for row, outcome in zip(rows, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    await self._failed(uow, row, outcome, now)
                else:
                    sent.append((row, outcome))
            await uow.repos.mark_sent([(r.letter_id, o.dispatched_at) for r, o in sent], now)
            events = [(r, _letter_sent(uow, account_id, service, r, o, now)) for r, o in sent]
            # LetterSent continues the letter's own trace (its submission's), not the dispatcher's.
            traces = {
                e.event_id: tracing.headers_in(r.trace, "send letter", {"letter_id": str(r.letter_id)})
                for r, e in events
            }
            await uow.stage(*(e for _, e in events), traces=traces)
        metrics.LETTERS_SENT.labels(service).inc(len(sent))
        return len(sent), more

    async def _spool_all(
        self, account_id: str, service: str, rows: list[Record], documents: dict[UUID, bytes], now: datetime
    ) -> list[Outcome]:
        """Spool letters on a few threads at once (file syncs overlap), then make them durable."""
        loop = asyncio.get_running_loop()

        def spool(r: Record) -> Outcome:
            letter = OutgoingLetter(
                r.letter_id,
                account_id,
                service,
                r.recipient,
                r.pages,
                r.sheets,
                documents[r.letter_id],
                r.accepted_on or now.date(),
            )
            try:
                return self._port.dispatch(letter, now)
            except Exception as exc:  # one letter's failure must not hold back the others
                return exc

        outcomes = await asyncio.gather(*(loop.run_in_executor(self._pool, spool, r) for r in rows))
        # Only after this may the letters be recorded as sent; if it fails, the whole batch is retried.
        await loop.run_in_executor(self._pool, self._port.flush)
        return list(outcomes)

    async def _failed(self, uow: LettersWork, row: Record, exc: Exception, now: datetime) -> None:
        delay = min(self._retry_delay * 2 ** min(row.dispatch_attempts, 10), 3600.0)
        error = f"{type(exc).__name__}: {exc}"
        await uow.repos.mark_dispatch_failed(row.letter_id, error, now + timedelta(seconds=delay))
        metrics.DISPATCH_FAILURES.inc()
        log.warning(
            "dispatch_failed",
            extra={"letter_id": str(row.letter_id), "error": error, "attempt": row.dispatch_attempts + 1},
        )


def _letter_sent(
    uow: LettersWork, account_id: str, service: str, row: Record, receipt: DispatchReceipt, now: datetime
) -> LetterSent:
    """LetterSent, in the letter's own flow, stamped with the time the batch records it as sent."""
    return uow.new_event(
        LetterSent,
        account_id=account_id,
        occurred_at=now,
        correlation_id=row.correlation_id,
        letter_id=row.letter_id,
        service=Service(service),
        sheets=row.sheets,
        destination_country=row.destination_country,
        sent_at=receipt.dispatched_at,
    )


def _open(row: Record) -> OpenLetter:
    return OpenLetter(row.letter_id, row.seq, LetterStatus.ACCEPTED, None)
