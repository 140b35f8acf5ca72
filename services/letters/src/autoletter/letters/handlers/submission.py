"""New letters: a letter request (over HTTP or a SendLetter command) decided from letters' copy of its
service's status, and documents uploaded on their own to be sent by reference."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from autoletter.contracts.letters import LetterReason
from autoletter.letters.adapters import documents
from autoletter.letters.adapters.documents import StoredDocument
from autoletter.letters.domain import decisions
from autoletter.letters.domain.model import LetterStatus, Transition
from autoletter.letters.handlers.common import (
    ACCOUNT_LOCK,
    LettersContext,
    LettersWork,
    letter_event,
    ring_dispatcher,
)
from autoletter.letters.handlers.requests import LetterRequest, Upload
from autoletter.runtime import tracing


@dataclass(frozen=True)
class Receipt:
    """The answer to a letter request; `replayed` when the idempotency key was already used."""

    letter_id: UUID
    status: LetterStatus
    reason: LetterReason | None
    replayed: bool = False


class IdempotencyKeyReused(Exception):
    """The same idempotency key came with another request body."""


class DocumentNotFound(Exception):
    """The document_ref names no document of this account (unknown, deleted or another account's)."""


async def upload_document(uow: LettersWork, account_id: str, upload: Upload) -> str:
    """Keep a checked PDF for letters to name; returns its reference (the same for the same PDF)."""
    await uow.lock(ACCOUNT_LOCK, account_id)  # the cleanup takes it too: never delete what is being reused
    stored = await uow.repos.store_document(account_id, upload.pdf, upload.pages, upload.sha256, uow.now())
    return documents.to_ref(stored.document_id)


async def submit_letter(
    uow: LettersWork,
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
    await uow.lock(ACCOUNT_LOCK, account_id)
    existing = await uow.repos.by_idempotency_key(account_id, idempotency_key)
    if existing is not None:
        if existing.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(idempotency_key)
        reason = LetterReason(existing.initial_reason) if existing.initial_reason else None
        return Receipt(existing.letter_id, LetterStatus(existing.initial_status), reason, replayed=True)

    shared: StoredDocument | None = None
    if request.document_ref is not None:
        shared = await uow.repos.find_document(account_id, request.document_ref)
        if shared is None and not reject_unknown_document:
            raise DocumentNotFound(request.document_ref)
    found = await uow.repos.status_copy(account_id, request.service.value)
    decision = decisions.decide_new_letter(
        found[0] if found else None, document_found=request.document_ref is None or shared is not None
    )
    now = uow.now()
    letter_id = uuid4()
    correlation_id = correlation_id or letter_id
    held = decision.status is LetterStatus.HELD
    transition = decisions.hold(letter_id, decision.reason, now, ctx.limits) if held else None
    await uow.repos.insert_letter(
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
    event = letter_event(
        uow,
        Transition(letter_id, decision.status, decision.reason),
        account_id,
        request.service.value,
        correlation_id,
        causation_id,
        now,
    )
    if event is not None:
        await uow.stage(event)
    if decision.status is LetterStatus.ACCEPTED:
        await ring_dispatcher(uow, ctx)
    return Receipt(letter_id, decision.status, decision.reason)
