"""Held letters go out in arrival order, each once, whatever is redelivered or races (real servers)."""

from __future__ import annotations

import asyncio
from collections import Counter

from letters_testkit import LettersService, letter_body, status_changed

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.payments import StatusReason
from autoletter.runtime.testing import wait_for


async def test_held_letters_are_released_in_arrival_order_when_the_service_turns_active(
    service: LettersService, account: str
) -> None:
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    held = [(await service.send(account, pages=i + 1)).json()["letter_id"] for i in range(5)]

    await service.publish(
        active := status_changed(
            account, ServiceStatus.ACTIVE, StatusReason.INVOICES_SETTLED, previous=ServiceStatus.OVERDUE
        )
    )
    for letter_id in held:
        await service.wait_status(account, letter_id, "sent")

    events = await service.events(account, 5 + 5 + 5)  # held, accepted, sent
    sent = [e for e in events if e.event_type == "LetterSent"]
    assert [str(e.letter_id) for e in sent] == held
    assert [str(e.letter_id) for e in events if e.event_type == "LetterAccepted"] == held
    assert [e.sheets for e in sent] == [1, 2, 3, 4, 5]
    assert all(e.causation_id == active.event_id for e in events if e.event_type == "LetterAccepted")


async def test_a_redelivered_or_repeated_active_status_sends_nothing_twice(
    service: LettersService, account: str
) -> None:
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    held = [(await service.send(account)).json()["letter_id"] for _ in range(3)]
    active = status_changed(account, ServiceStatus.ACTIVE, StatusReason.INVOICES_SETTLED)
    await service.publish(active)
    for letter_id in held:
        await service.wait_status(account, letter_id, "sent")

    # The same event again (a redelivery), then another event saying the same thing.
    again = status_changed(account, ServiceStatus.ACTIVE, StatusReason.PAYMENT_METHOD_ADDED)
    await service.publish(active, again)
    await service.consumed(again)
    assert await service.runtime.deps.dispatcher.dispatch_pending() == 0

    sent = Counter(str(e.letter_id) for e in await service.staged(account, "LetterSent"))
    assert sent == dict.fromkeys(held, 1)
    assert all(len(service.spooled(letter_id)) == 1 for letter_id in held)


async def test_the_same_idempotency_key_and_body_answer_the_same_and_create_nothing(
    service: LettersService, account: str
) -> None:
    body = letter_body()
    first = await service.send(account, "key-1", body)
    second = await service.send(account, "key-1", body)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await service.letters(account) == 1
    assert len(await service.staged(account)) == 1


async def test_the_same_idempotency_key_with_another_body_is_refused(
    service: LettersService, account: str
) -> None:
    await service.send(account, "key-1", letter_body(pages=1))
    response = await service.send(account, "key-1", letter_body(pages=2))
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert await service.letters(account) == 1


async def test_two_concurrent_requests_with_the_same_key_create_one_letter(
    service: LettersService, account: str
) -> None:
    body = letter_body()
    responses = await asyncio.gather(*(service.send(account, "same-key", body) for _ in range(4)))
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["letter_id"] for r in responses}) == 1
    assert await service.letters(account) == 1


async def test_requests_racing_a_release_are_each_sent_exactly_once(
    service: LettersService, account: str
) -> None:
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    early = [(await service.send(account)).json()["letter_id"] for _ in range(5)]

    active = status_changed(account, ServiceStatus.ACTIVE, StatusReason.INVOICES_SETTLED)
    racing = asyncio.gather(*(service.send(account) for _ in range(10)))
    await service.publish(active)
    late = [r.json()["letter_id"] for r in await racing]
    await service.consumed(active)

    everyone = early + late

    async def all_sent() -> bool:
        return await service.scalar(
            "SELECT count(*) FROM letters WHERE account_id = :a AND status = 'sent'", a=account
        ) == len(everyone)

    await wait_for(all_sent, 30, "every letter sent")
    sent = Counter(str(e.letter_id) for e in await service.staged(account, "LetterSent"))
    assert sent == dict.fromkeys(everyone, 1)
    # Held letters were released in arrival order, before any letter that arrived after the release.
    order = [str(e.letter_id) for e in await service.staged(account, "LetterSent")]
    assert order[:5] == early
