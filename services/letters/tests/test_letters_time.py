"""Hold limits, dispatch retries and crash recovery, with the injectable clock (no sleeping)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from letters_testkit import LettersService, status_changed
from prometheus_client import REGISTRY

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.payments import StatusReason
from autoletter.letters import metrics
from autoletter.letters.adapters import outgoing
from autoletter.letters.adapters.spool import DispatchReceipt, OutgoingLetter
from autoletter.runtime.testing import wait_for


async def test_a_letter_waiting_for_an_unknown_status_expires_after_ten_minutes(
    service: LettersService, account: str
) -> None:
    letter_id = (await service.send(account)).json()["letter_id"]
    service.clock.advance(timedelta(minutes=9, seconds=59))
    await service.runtime.deps.expire_held_letters()
    assert (await service.get(account, letter_id))["status"] == "held"

    service.clock.advance(timedelta(seconds=1))
    assert await service.runtime.deps.expire_held_letters() >= 1
    letter = await service.get(account, letter_id)
    assert (letter["status"], letter["reason"]) == ("expired", "hold_expired")
    assert [e.event_type for e in await service.staged(account)] == ["LetterHeld", "LetterExpired"]
    assert (
        await service.scalar("SELECT count(*) FROM letter_documents WHERE letter_id = :l", l=letter_id) == 0
    )

    # The status arriving afterwards changes nothing: an expired letter never goes out.
    await service.publish(active := status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.consumed(active)
    assert (await service.get(account, letter_id))["status"] == "expired"


async def test_held_letters_of_a_deactivated_service_expire_after_thirty_days(
    service: LettersService, account: str
) -> None:
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    letter_id = (await service.send(account)).json()["letter_id"]
    await service.publish(
        off := status_changed(
            account, ServiceStatus.INACTIVE, StatusReason.DEACTIVATED, previous=ServiceStatus.OVERDUE
        )
    )
    await service.consumed(off)
    letter = await service.get(account, letter_id)
    assert (letter["status"], letter["reason"]) == ("held", "service_overdue")

    service.clock.advance(timedelta(days=29, hours=23))
    await service.runtime.deps.expire_held_letters()
    assert (await service.get(account, letter_id))["status"] == "held"
    service.clock.advance(timedelta(hours=1))
    await service.runtime.deps.expire_held_letters()
    assert (await service.get(account, letter_id))["status"] == "expired"
    [expired] = await service.staged(account, "LetterExpired")
    assert (str(expired.letter_id), expired.reason) == (letter_id, "hold_expired")


async def test_the_oldest_held_letter_and_letters_by_status_are_in_the_metrics(
    service: LettersService, account: str
) -> None:
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    await service.send(account)
    service.clock.advance(timedelta(hours=2))
    await metrics.refresh(service.runtime.sessions, service.clock.now())
    text = (await service.client.get("/metrics")).text
    assert 'letters_letters{service="standard",status="held"}' in text
    age = REGISTRY.get_sample_value("letters_oldest_held_letter_age_seconds", {"service": "standard"})
    assert age is not None and age >= timedelta(hours=2).total_seconds()


async def test_a_crash_after_the_spool_write_never_posts_twice(
    service: LettersService, account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mark_sent, crashes = outgoing.mark_sent, []

    async def crash_once(*args: Any) -> None:
        if not crashes:
            crashes.append(service.clock.now())
            raise ConnectionError("the process died after writing the spool")
        await real_mark_sent(*args)

    monkeypatch.setattr(outgoing, "mark_sent", crash_once)
    await service.publish(active := status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.consumed(active)
    letter_id = (await service.send(account)).json()["letter_id"]
    await wait_for(lambda: bool(crashes), 30, "the crash")
    spooled_at = crashes[0]
    service.clock.advance(timedelta(minutes=5))

    letter = await service.wait_status(account, letter_id, "sent")
    [sent] = await service.staged(account, "LetterSent")
    assert sent.sent_at == spooled_at  # from the spool's envelope: the letter went out then, once
    assert letter["sent_at"] is not None
    assert len(service.spooled(letter_id)) == 1


async def test_a_failing_dispatch_is_retried_later_and_sent_once(
    service: LettersService, account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher = service.runtime.deps.dispatcher
    real_port, failures = dispatcher._port, []

    class FlakyPrinter:
        def dispatch(self, letter: OutgoingLetter, now: Any) -> DispatchReceipt:
            if not failures:
                failures.append(letter.letter_id)
                raise OSError("printer offline")
            return real_port.dispatch(letter, now)

        def flush(self) -> None:
            real_port.flush()

    monkeypatch.setattr(dispatcher, "_port", FlakyPrinter())
    await service.publish(active := status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.consumed(active)
    letter_id = (await service.send(account)).json()["letter_id"]
    await wait_for(lambda: bool(failures), 30, "the failed dispatch")
    assert (
        await service.scalar("SELECT dispatch_attempts FROM letters WHERE letter_id = :l", l=letter_id) == 1
    )
    assert (await service.get(account, letter_id))["status"] == "accepted"

    service.clock.advance(timedelta(seconds=6))  # past the first retry delay
    await service.wait_status(account, letter_id, "sent")
    assert len(await service.staged(account, "LetterSent")) == 1
