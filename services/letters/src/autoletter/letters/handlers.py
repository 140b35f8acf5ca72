"""Service layer: every decision runs in one transaction under the account's lock, with its events.

An HTTP request, a SendLetter command, a status change, a cancellation and the expiry sweep all
take `repository.lock` first, so one account's decisions never race, whatever replica runs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts import Envelope
from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.letters import (
    LetterAccepted,
    LetterCancelled,
    LetterExpired,
    LetterHeld,
    LetterReason,
    LetterRejected,
)
from autoletter.contracts.payments import ServiceStatusChanged
from autoletter.letters.adapters import documents, queries
from autoletter.letters.adapters import repository as repo
from autoletter.letters.adapters.documents import StoredDocument
from autoletter.letters.domain import decisions
from autoletter.letters.domain.model import HoldLimits, LetterStatus, OpenLetter, Transition
from autoletter.letters.submission import DocumentRules, LetterRequest, Upload
from autoletter.runtime import outbox, tracing
from autoletter.runtime.clock import Clock
from autoletter.runtime.notify import Channel

_EVENTS: Mapping[LetterStatus, type[Envelope]] = {
    LetterStatus.HELD: LetterHeld,
    LetterStatus.ACCEPTED: LetterAccepted,
    LetterStatus.REJECTED: LetterRejected,
    LetterStatus.EXPIRED: LetterExpired,
    LetterStatus.CANCELLED: LetterCancelled,
}


@dataclass(frozen=True)
class LettersContext:
    """What the handlers need besides a session: time, limits, and where to ring the dispatcher."""

    clock: Clock
    limits: HoldLimits
    rules: DocumentRules
    #: Rung when letters become accepted: wakes every replica's dispatcher once the transaction commits.
    accepted: Channel
    producer: str = "letters"


@dataclass(frozen=True)
class Receipt:
    """The answer to a letter request; `replayed` when the idempotency key was already used."""

    letter_id: UUID
    status: LetterStatus
    reason: LetterReason | None
    replayed: bool = False


class IdempotencyKeyReused(Exception):
    """The same idempotency key came with another request body."""


class LetterNotFound(Exception):
    """No such letter for this account."""


class DocumentNotFound(Exception):
    """The document_ref names no document of this account (unknown, deleted or another account's)."""


async def upload_document(session: AsyncSession, ctx: LettersContext, account_id: str, upload: Upload) -> str:
    """Keep a checked PDF for letters to name; returns its reference (the same for the same PDF)."""
    await repo.lock(session, account_id)  # the cleanup takes it too: never delete what is being reused
    stored = await documents.store(
        session, account_id, upload.pdf, upload.pages, upload.sha256, ctx.clock.now()
    )
    return documents.to_ref(stored.document_id)


async def submit_letter(
    session: AsyncSession,
    ctx: LettersContext,
    account_id: str,
    idempotency_key: str,
    request: LetterRequest,
    *,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    reject_unknown_document: bool = False,
) -> Receipt:
    """Decide a new letter from letters' copy of the service status; the same key answers the same.

    A document_ref this account does not have raises DocumentNotFound (nothing stored), or, with
    `reject_unknown_document`, makes a letter rejected with `document_not_found`.
    """
    await repo.lock(session, account_id)
    existing = await repo.by_idempotency_key(session, account_id, idempotency_key)
    if existing is not None:
        if existing.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(idempotency_key)
        reason = LetterReason(existing.initial_reason) if existing.initial_reason else None
        return Receipt(existing.letter_id, LetterStatus(existing.initial_status), reason, replayed=True)

    shared: StoredDocument | None = None
    if request.document_ref is not None:
        shared = await documents.find(session, account_id, request.document_ref)
        if shared is None and not reject_unknown_document:
            raise DocumentNotFound(request.document_ref)
    found = await repo.status_copy(session, account_id, request.service.value)
    decision = decisions.decide_new_letter(
        found[0] if found else None, document_found=request.document_ref is None or shared is not None
    )
    now = ctx.clock.now()
    letter_id = uuid4()
    correlation_id = correlation_id or letter_id
    held = decision.status is LetterStatus.HELD
    transition = decisions.hold(letter_id, decision.reason, now, ctx.limits) if held else None
    await repo.insert_letter(
        session,
        {
            "letter_id": letter_id,
            "account_id": account_id,
            "idempotency_key": idempotency_key,
            "fingerprint": request.fingerprint,
            "service": request.service.value,
            "status": decision.status.value,
            "reason": decision.reason.value if decision.reason else None,
            "initial_status": decision.status.value,
            "initial_reason": decision.reason.value if decision.reason else None,
            "recipient": request.recipient_json(),
            "destination_country": request.destination_country,
            # A reference that was not found leaves a rejected letter with nothing to print.
            "pages": shared.pages if shared else request.pages,
            "sheets": ctx.rules.sheets(shared.pages) if shared else request.sheets,
            "document_bytes": shared.size_bytes if shared else len(request.document or b""),
            "document_id": shared.document_id if shared else None,
            "correlation_id": correlation_id,
            "trace": tracing.capture() or None,  # its later events continue this trace
            "created_at": now,
            "updated_at": now,
            "held_since": transition.held_since if transition else None,
            "hold_expires_at": transition.hold_expires_at if transition else None,
            "accepted_on": now.date() if decision.status is LetterStatus.ACCEPTED else None,
        },
        None if decision.status is LetterStatus.REJECTED else request.document,
    )
    event = _event(
        Transition(letter_id, decision.status, decision.reason),
        account_id,
        request.service.value,
        correlation_id,
        causation_id,
        ctx,
        now,
    )
    if event is not None:
        await outbox.add(session, event)
    if decision.status is LetterStatus.ACCEPTED:
        await ring_dispatcher(session, ctx)
    return Receipt(letter_id, decision.status, decision.reason)


async def on_service_status_changed(
    session: AsyncSession, ctx: LettersContext, event: ServiceStatusChanged
) -> None:
    """Update letters' copy of the status and decide the service's open letters (release in order)."""
    account_id, service = event.account_id, event.service.value
    if not isinstance(event.status, ServiceStatus):
        return  # a status this version does not know (counted by the runtime): nothing to decide on
    await repo.lock(session, account_id)
    found = await repo.status_copy(session, account_id, service)
    if found is not None and found[1] > event.occurred_at:
        return  # an older status (e.g. a replayed dead letter) never moves the copy backwards
    copy = decisions.status_copy(found[0] if found else None, event.status, event.reason, event.missing)
    await repo.save_status_copy(
        session,
        account_id,
        service,
        copy,
        status_reason=str(event.reason),
        changed_at=event.occurred_at,
        event_id=event.event_id,
    )
    open_letters, correlations = await repo.open_letters(session, account_id, service)
    now = ctx.clock.now()
    transitions = decisions.on_status_changed(copy, open_letters, now, ctx.limits)
    await _apply(session, ctx, account_id, service, transitions, correlations, event.event_id, now)


async def cancel_letter(session: AsyncSession, ctx: LettersContext, account_id: str, letter_id: UUID) -> None:
    """Cancel a held letter (raises LetterNotFound, or LetterNotHeld when it is past holding)."""
    await repo.lock(session, account_id)
    row = await queries.get_letter(session, account_id, letter_id)
    if row is None:
        raise LetterNotFound(str(letter_id))
    letter = OpenLetter(
        row.letter_id,
        row.seq,
        LetterStatus(row.status),
        LetterReason(row.reason) if row.reason else None,
        row.held_since,
        row.hold_expires_at,
    )
    transition = decisions.cancel(letter)
    correlations = {row.letter_id: row.correlation_id}
    await _apply(session, ctx, account_id, row.service, [transition], correlations, None, ctx.clock.now())


async def expire_account(session: AsyncSession, ctx: LettersContext, account_id: str) -> int:
    """Expire one account's held letters that are past their limit; returns how many."""
    await repo.lock(session, account_id)
    now = ctx.clock.now()
    rows = await repo.held_letters_due(session, account_id, now)
    by_service: dict[str, list[OpenLetter]] = {}
    for r in rows:
        by_service.setdefault(r.service, []).append(
            OpenLetter(
                r.letter_id,
                r.seq,
                LetterStatus(r.status),
                LetterReason(r.reason) if r.reason else None,
                r.held_since,
                r.hold_expires_at,
            )
        )
    correlations = {r.letter_id: r.correlation_id for r in rows}
    count = 0
    for service, held in by_service.items():
        transitions = decisions.expire(held, now)
        await _apply(session, ctx, account_id, service, transitions, correlations, None, now)
        count += len(transitions)
    return count


async def ring_dispatcher(session: AsyncSession, ctx: LettersContext) -> None:
    """Wake every replica's dispatcher once this transaction commits (NOTIFY is delivered on commit)."""
    await ctx.accepted.notify_on_commit(session)


async def _apply(
    session: AsyncSession,
    ctx: LettersContext,
    account_id: str,
    service: str,
    transitions: list[Transition],
    correlations: Mapping[UUID, UUID],
    causation_id: UUID | None,
    now: datetime,
) -> None:
    await repo.apply(session, transitions, now)
    pairs = [
        (t, e)
        for t in transitions
        if (e := _event(t, account_id, service, correlations.get(t.letter_id), causation_id, ctx, now))
    ]
    if pairs:
        # Each letter's events stay in its submission's trace, linked to what moved it now.
        stored = await repo.traces(session, [t.letter_id for t, _ in pairs])
        traces = {
            e.event_id: tracing.headers_in(
                stored.get(t.letter_id), f"letter {t.status.value}", {"letter_id": str(t.letter_id)}
            )
            for t, e in pairs
        }
        await outbox.add(session, *(e for _, e in pairs), traces=traces)
    if _any_accepted(transitions):
        await ring_dispatcher(session, ctx)


def _any_accepted(transitions: Iterable[Transition]) -> bool:
    return any(t.status is LetterStatus.ACCEPTED for t in transitions)


def _event(
    t: Transition,
    account_id: str,
    service: str,
    correlation_id: UUID | None,
    causation_id: UUID | None,
    ctx: LettersContext,
    now: datetime,
) -> Envelope | None:
    cls = _EVENTS.get(t.status)
    if cls is None:
        return None  # `sent` is announced by the dispatcher (LetterSent), with what it printed
    payload: dict[str, object] = {"letter_id": t.letter_id, "service": service}
    if t.reason is not None:
        payload["reason"] = t.reason
    return cls.create(
        account_id=account_id,
        producer=ctx.producer,
        occurred_at=now,
        correlation_id=correlation_id,
        causation_id=causation_id,
        **payload,
    )
