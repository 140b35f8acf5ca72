"""Letters' handlers on a fake unit of work and an in-memory repository: no database, no broker.

Which events a decision stages (in which flow, stamped when), which lock it takes and when it wakes
the dispatcher are checked here; the test_letters_*.py modules check the same through the real
service, PostgreSQL and Kafka.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from letters_testkit import NOW, pdf, recipient, status_changed

from autoletter.contracts.common import Service, ServiceStatus
from autoletter.contracts.letters import (
    LetterAccepted,
    LetterCancelled,
    LetterExpired,
    LetterHeld,
    LetterReason,
    LetterRejected,
)
from autoletter.contracts.payments import StatusReason
from autoletter.letters.adapters.documents import StoredDocument
from autoletter.letters.adapters.repository import open_letter
from autoletter.letters.domain.model import (
    OPEN_STATUSES,
    HoldLimits,
    LetterStatus,
    OpenLetter,
    StatusCopy,
    Transition,
)
from autoletter.letters.handlers.common import LettersContext
from autoletter.letters.handlers.holds import LetterNotFound, cancel_letter, expire_account
from autoletter.letters.handlers.requests import (
    DocumentRules,
    LetterRequest,
    RecipientIn,
    Upload,
    by_reference,
    prepare,
)
from autoletter.letters.handlers.status import on_service_status_changed
from autoletter.letters.handlers.submission import (
    DocumentNotFound,
    IdempotencyKeyReused,
    submit_letter,
    upload_document,
)
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.notify import Channel
from autoletter.runtime.uow import FakeUnitOfWork

ACCOUNT = "acc-1"
STANDARD = Service.STANDARD.value
LOCK = ("letters", ACCOUNT)


@dataclass
class InMemoryLetters:
    """What the handlers use of LettersRepository, over dicts."""

    statuses: dict[tuple[str, str], tuple[StatusCopy, datetime]] = field(default_factory=dict)
    rows: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    documents: dict[tuple[str, str], StoredDocument] = field(default_factory=dict)
    notified: list[Channel] = field(default_factory=list)

    async def status_copy(self, account_id: str, service: str) -> tuple[StatusCopy, datetime] | None:
        return self.statuses.get((account_id, service))

    async def save_status_copy(
        self,
        account_id: str,
        service: str,
        copy: StatusCopy,
        *,
        status_reason: str,
        changed_at: datetime,
        event_id: UUID,
    ) -> None:
        self.statuses[(account_id, service)] = (copy, changed_at)

    async def by_idempotency_key(self, account_id: str, key: str) -> Any:
        found = [
            r for r in self.rows.values() if (r["account_id"], r["idempotency_key"]) == (account_id, key)
        ]
        return SimpleNamespace(**found[0]) if found else None

    async def find_document(self, account_id: str, ref: str) -> StoredDocument | None:
        return self.documents.get((account_id, ref))

    async def store_document(
        self, account_id: str, pdf: bytes, pages: int, sha256: str, now: datetime
    ) -> StoredDocument:
        stored = StoredDocument(uuid4(), pages, len(pdf))
        self.documents[(account_id, f"doc_{stored.document_id.hex}")] = stored
        return stored

    async def insert_letter(self, values: dict[str, Any], document: bytes | None) -> None:
        self.rows[values["letter_id"]] = {**values, "seq": len(self.rows) + 1, "document": document}

    async def get_letter(self, account_id: str, letter_id: UUID) -> Any:
        row = self.rows.get(letter_id)
        return SimpleNamespace(**row) if row and row["account_id"] == account_id else None

    async def open_letters(self, account_id: str, service: str) -> tuple[list[OpenLetter], dict[UUID, UUID]]:
        rows = [
            SimpleNamespace(**r)
            for r in sorted(self.rows.values(), key=lambda r: r["seq"])
            if (r["account_id"], r["service"]) == (account_id, service) and r["status"] in OPEN_STATUSES
        ]
        return [open_letter(r) for r in rows], {r.letter_id: r.correlation_id for r in rows}

    async def held_letters_due(self, account_id: str, now: datetime) -> list[Any]:
        return [
            SimpleNamespace(**r)
            for r in sorted(self.rows.values(), key=lambda r: r["seq"])
            if r["account_id"] == account_id and r["status"] == "held" and r["hold_expires_at"] <= now
        ]

    async def apply(self, transitions: Sequence[Transition], now: datetime) -> None:
        for t in transitions:
            self.rows[t.letter_id].update(
                status=t.status.value,
                reason=t.reason.value if t.reason else None,
                held_since=t.held_since,
                hold_expires_at=t.hold_expires_at,
                updated_at=now,
            )

    async def traces(self, letter_ids: Sequence[UUID]) -> dict[UUID, dict[str, str]]:
        return {}

    async def notify_on_commit(self, channel: Channel) -> None:
        self.notified.append(channel)


CTX = LettersContext(
    limits=HoldLimits(),
    rules=DocumentRules(max_bytes=700_000, max_pages=50, duplex=False),
    accepted=Channel("letters_accepted"),
)


@pytest.fixture
def letters() -> InMemoryLetters:
    return InMemoryLetters()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def unit(letters: InMemoryLetters, clock: FrozenClock) -> FakeUnitOfWork[InMemoryLetters]:
    return FakeUnitOfWork(producer="letters", clock=clock, repos=letters)


def inline(pages: int = 1) -> LetterRequest:
    return prepare(Service.STANDARD, RecipientIn.model_validate(recipient()), pdf(pages), CTX.rules)


def status(letters: InMemoryLetters, copy: StatusCopy, at: datetime = NOW) -> None:
    letters.statuses[(ACCOUNT, STANDARD)] = (copy, at)


OVERDUE = StatusCopy(ServiceStatus.OVERDUE, LetterReason.SERVICE_OVERDUE)
ACTIVE = StatusCopy(ServiceStatus.ACTIVE, None)


async def test_a_letter_for_an_overdue_service_is_held_and_announced_in_the_flow_it_was_sent_in(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, OVERDUE)
    uow, flow = unit(letters, clock), uuid4()
    receipt = await submit_letter(uow, CTX, ACCOUNT, "key-1", inline(2), correlation_id=flow)

    assert (receipt.status, receipt.reason, receipt.replayed) == (
        LetterStatus.HELD,
        LetterReason.SERVICE_OVERDUE,
        False,
    )
    [held] = uow.staged
    assert isinstance(held, LetterHeld)
    assert (held.letter_id, held.reason, held.correlation_id) == (receipt.letter_id, "service_overdue", flow)
    assert (held.producer, held.occurred_at, held.causation_id) == ("letters", NOW, None)
    row = letters.rows[receipt.letter_id]
    assert (row["held_since"], row["hold_expires_at"], row["sheets"]) == (NOW, NOW + timedelta(days=30), 2)
    assert uow.locks == [LOCK]
    assert letters.notified == []  # nothing to dispatch


async def test_a_letter_for_an_active_service_is_accepted_and_wakes_the_dispatcher(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, ACTIVE)
    uow = unit(letters, clock)
    receipt = await submit_letter(uow, CTX, ACCOUNT, "key-1", inline())

    assert receipt.status is LetterStatus.ACCEPTED
    [accepted] = uow.staged
    assert isinstance(accepted, LetterAccepted)
    assert accepted.correlation_id == receipt.letter_id  # a new flow: the letter's own id
    assert letters.rows[receipt.letter_id]["accepted_on"] == NOW.date()
    assert letters.notified == [CTX.accepted]


async def test_the_same_key_replays_its_first_answer_and_another_body_is_refused(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, OVERDUE)
    first = await submit_letter(unit(letters, clock), CTX, ACCOUNT, "key-1", inline())
    status(letters, ACTIVE, NOW + timedelta(minutes=1))

    again = unit(letters, clock)
    replayed = await submit_letter(again, CTX, ACCOUNT, "key-1", inline())
    assert (replayed.letter_id, replayed.status, replayed.replayed) == (
        first.letter_id,
        LetterStatus.HELD,
        True,
    )
    assert again.staged == []
    with pytest.raises(IdempotencyKeyReused):
        await submit_letter(unit(letters, clock), CTX, ACCOUNT, "key-1", inline(pages=2))
    assert len(letters.rows) == 1


async def test_an_unknown_document_ref_is_refused_or_makes_a_rejected_letter(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, ACTIVE)
    request = by_reference(Service.STANDARD, RecipientIn.model_validate(recipient()), "doc_unknown")
    with pytest.raises(DocumentNotFound):
        await submit_letter(unit(letters, clock), CTX, ACCOUNT, "key-1", request)
    assert letters.rows == {}

    uow = unit(letters, clock)
    receipt = await submit_letter(uow, CTX, ACCOUNT, "key-1", request, reject_unknown_document=True)
    assert (receipt.status, receipt.reason) == (LetterStatus.REJECTED, LetterReason.DOCUMENT_NOT_FOUND)
    [rejected] = uow.staged
    assert isinstance(rejected, LetterRejected)
    assert letters.rows[receipt.letter_id]["document"] is None  # nothing to print is kept


async def test_an_uploaded_document_is_named_by_its_reference_and_sized_from_it(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, ACTIVE)
    uow = unit(letters, clock)
    ref = await upload_document(uow, ACCOUNT, Upload(pdf(3), 3, "sha-256 of the pdf"))
    assert uow.locks == [LOCK]
    request = by_reference(Service.STANDARD, RecipientIn.model_validate(recipient()), ref)
    receipt = await submit_letter(unit(letters, clock), CTX, ACCOUNT, "key-1", request)
    row = letters.rows[receipt.letter_id]
    assert (receipt.status, row["pages"], row["sheets"]) == (LetterStatus.ACCEPTED, 3, 3)


async def test_an_active_status_releases_held_letters_in_arrival_order_each_in_its_own_flow(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, OVERDUE, NOW - timedelta(hours=1))
    flows = [uuid4(), uuid4()]
    held = [
        await submit_letter(unit(letters, clock), CTX, ACCOUNT, f"key-{i}", inline(), correlation_id=flow)
        for i, flow in enumerate(flows)
    ]
    clock.advance(timedelta(minutes=5))
    event = status_changed(
        ACCOUNT, ServiceStatus.ACTIVE, StatusReason.INVOICES_SETTLED, occurred_at=clock.now()
    )

    uow = unit(letters, clock)
    await on_service_status_changed(uow, CTX, event)

    assert [type(e) for e in uow.staged] == [LetterAccepted, LetterAccepted]
    assert [e.letter_id for e in uow.staged if isinstance(e, LetterAccepted)] == [r.letter_id for r in held]
    assert [e.correlation_id for e in uow.staged] == flows
    assert {(e.causation_id, e.occurred_at, e.producer) for e in uow.staged} == {
        (event.event_id, clock.now(), "letters")
    }
    assert uow.locks == [LOCK]
    assert letters.notified == [CTX.accepted]
    assert letters.statuses[(ACCOUNT, STANDARD)] == (ACTIVE, event.occurred_at)


async def test_an_older_status_never_moves_the_copy_back(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, OVERDUE)
    await submit_letter(unit(letters, clock), CTX, ACCOUNT, "key-1", inline())
    older = status_changed(
        ACCOUNT, ServiceStatus.ACTIVE, StatusReason.ACTIVATED, occurred_at=NOW - timedelta(seconds=1)
    )

    uow = unit(letters, clock)
    await on_service_status_changed(uow, CTX, older)
    assert uow.staged == []
    assert letters.statuses[(ACCOUNT, STANDARD)] == (OVERDUE, NOW)
    assert uow.locks == [LOCK]  # decided under the lock, like every other decision


async def test_a_held_letter_is_cancelled_once_and_an_unknown_one_is_not_found(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, OVERDUE)
    receipt = await submit_letter(unit(letters, clock), CTX, ACCOUNT, "key-1", inline())

    uow = unit(letters, clock)
    await cancel_letter(uow, CTX, ACCOUNT, receipt.letter_id)
    [cancelled] = uow.staged
    assert isinstance(cancelled, LetterCancelled)
    assert (cancelled.letter_id, cancelled.correlation_id) == (receipt.letter_id, receipt.letter_id)
    assert uow.locks == [LOCK]
    with pytest.raises(LetterNotFound):
        await cancel_letter(unit(letters, clock), CTX, "acc-other", receipt.letter_id)


async def test_held_letters_expire_only_past_their_limit(
    letters: InMemoryLetters, clock: FrozenClock
) -> None:
    status(letters, OVERDUE)
    receipt = await submit_letter(unit(letters, clock), CTX, ACCOUNT, "key-1", inline())

    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert await expire_account(unit(letters, clock), CTX, ACCOUNT) == 0
    clock.advance(timedelta(seconds=1))
    uow = unit(letters, clock)
    assert await expire_account(uow, CTX, ACCOUNT) == 1
    [expired] = uow.staged
    assert isinstance(expired, LetterExpired)
    assert (expired.letter_id, expired.reason, expired.occurred_at) == (
        receipt.letter_id,
        LetterReason.HOLD_EXPIRED,
        clock.now(),
    )
    assert letters.rows[receipt.letter_id]["status"] == "expired"
