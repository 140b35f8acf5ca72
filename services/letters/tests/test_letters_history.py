"""A letter's life can be followed: its history over HTTP, its cancellation on letters.events, and a
service never switched on refuses letters at once (real Kafka, PostgreSQL)."""

from __future__ import annotations

import base64
from datetime import timedelta

from letters_testkit import LettersService, pdf, send_letter, status_changed
from prometheus_client import REGISTRY

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.payments import StatusReason
from autoletter.letters.entrypoints.consumers import REQUESTS_GROUP


def steps(letter: dict) -> list[tuple[str, str | None]]:
    return [(step["status"], step["reason"]) for step in letter["history"]]


async def test_a_cancelled_letter_is_announced_on_letters_events(
    service: LettersService, account: str
) -> None:
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    letter_id = (await service.send(account)).json()["letter_id"]
    cancelled = await service.cancel(account, letter_id)
    assert cancelled.status_code == 200, cancelled.text
    assert steps(cancelled.json()) == [("held", "service_overdue"), ("cancelled", "service_overdue")]

    held, cancel = await service.events(account, 2)
    assert (held.event_type, cancel.event_type) == ("LetterHeld", "LetterCancelled")
    assert (str(cancel.letter_id), cancel.service, cancel.reason) == (
        letter_id,
        "standard",
        "service_overdue",
    )
    assert cancel.correlation_id == held.correlation_id


async def test_the_history_lists_every_transition_oldest_first_with_its_time_and_reason(
    service: LettersService, account: str
) -> None:
    now = service.clock.now().isoformat().replace("+00:00", "Z")
    letter_id = (await service.send(account)).json()["letter_id"]  # before any status: pending
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    await service.publish(status_changed(account, ServiceStatus.ACTIVE, StatusReason.INVOICES_SETTLED))
    letter = await service.wait_status(account, letter_id, "sent")

    assert steps(letter) == [
        ("held", "status_pending"),
        ("held", "service_overdue"),
        ("accepted", None),
        ("sent", None),
    ]
    assert letter["history"][-1]["at"] == letter["sent_at"]
    assert all(step["at"] == now for step in letter["history"])  # the clock stood still


async def test_the_history_ends_with_the_expiry_of_a_letter_that_waited_too_long(
    service: LettersService, account: str
) -> None:
    letter_id = (await service.send(account)).json()["letter_id"]
    service.clock.advance(timedelta(minutes=10))
    await service.runtime.deps.expire_held_letters()
    letter = await service.get(account, letter_id)
    assert steps(letter) == [("held", "status_pending"), ("expired", "hold_expired")]
    assert letter["history"][1]["at"] > letter["history"][0]["at"]


async def test_a_never_activated_service_rejects_letters_at_once_over_http_and_send_letter(
    service: LettersService, account: str
) -> None:
    # What payments announces for every service the first time it learns of an account.
    announced = status_changed(account, ServiceStatus.INACTIVE, StatusReason.NOT_ACTIVATED)
    await service.publish(announced)
    await service.consumed(announced)

    receipt = (await service.send(account)).json()
    assert (receipt["status"], receipt["reason"]) == ("rejected", "service_inactive")
    assert steps(await service.get(account, receipt["letter_id"])) == [("rejected", "service_inactive")]

    command = send_letter(account, "cmd-never-on", document_base64=base64.b64encode(pdf()).decode())
    await service.publish(command)
    await service.consumed(command, REQUESTS_GROUP)
    assert (
        await service.scalar(
            "SELECT status || ':' || reason FROM letters "
            "WHERE account_id = :a AND idempotency_key = 'cmd-never-on'",
            a=account,
        )
        == "rejected:service_inactive"
    )
    rejections = await service.staged(account, "LetterRejected")
    assert [e.reason for e in rejections] == ["service_inactive", "service_inactive"]
    assert rejections[1].causation_id == command.event_id


async def test_a_status_reason_letters_does_not_know_yet_is_tolerated_and_counted(
    service: LettersService, account: str
) -> None:
    def tolerated() -> float:
        labels = {"service": "letters", "field": "reason"}
        return REGISTRY.get_sample_value("autoletter_unknown_values_total", labels) or 0.0

    before = tolerated()
    newer = status_changed(account, ServiceStatus.ACTIVE, "a_reason_from_the_future")  # type: ignore[arg-type]
    await service.publish(newer)
    await service.consumed(newer)  # handled, not dead-lettered: the status took effect

    assert newer.reason == "a_reason_from_the_future"
    receipt = (await service.send(account)).json()
    assert receipt["status"] == "accepted"
    assert tolerated() == before + 1
