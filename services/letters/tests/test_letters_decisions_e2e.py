"""Each service status in letters' copy drives the decision DESIGN §5 names (real Kafka, PostgreSQL)."""

from __future__ import annotations

from letters_testkit import NOW, LettersService, status_changed

from autoletter.contracts.common import Service, ServiceStatus
from autoletter.contracts.payments import StatusReason


async def test_an_active_service_accepts_a_letter_and_sends_it_once(
    service: LettersService, account: str
) -> None:
    await service.publish(status := status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.consumed(status)

    response = await service.send(account, pages=3)
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert (receipt["status"], receipt["reason"]) == ("accepted", None)

    letter = await service.wait_status(account, receipt["letter_id"], "sent")
    assert (letter["sheets"], letter["destination_country"]) == (3, "FR")
    accepted, sent = await service.events(account, 2)
    assert (accepted.event_type, sent.event_type) == ("LetterAccepted", "LetterSent")
    assert str(sent.letter_id) == receipt["letter_id"]
    assert (sent.sheets, sent.destination_country, sent.sent_at) == (3, "FR", NOW)
    assert len(service.spooled(receipt["letter_id"])) == 1


async def test_an_overdue_service_holds_new_letters(service: LettersService, account: str) -> None:
    await service.publish(
        status := status_changed(
            account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED, previous=ServiceStatus.ACTIVE
        )
    )
    await service.consumed(status)
    receipt = (await service.send(account)).json()
    assert (receipt["status"], receipt["reason"]) == ("held", "service_overdue")
    [held] = await service.staged(account, "LetterHeld")
    assert held.reason == "service_overdue"


async def test_a_blocked_service_holds_new_letters_naming_the_missing_prerequisite(
    service: LettersService, account: str
) -> None:
    profile = status_changed(
        account, ServiceStatus.BLOCKED, StatusReason.PROFILE_INCOMPLETE, missing=["email"]
    )
    payment = status_changed(
        account, ServiceStatus.BLOCKED, StatusReason.NO_PAYMENT_METHOD, service=Service.REGISTERED
    )
    await service.publish(profile, payment)
    await service.consumed(payment)
    standard = (await service.send(account, service="standard")).json()
    registered = (await service.send(account, service="registered")).json()
    assert (standard["status"], standard["reason"]) == ("held", "profile_incomplete")
    assert (registered["status"], registered["reason"]) == ("held", "no_payment_method")


async def test_an_inactive_service_rejects_new_letters_and_keeps_no_document(
    service: LettersService, account: str
) -> None:
    await service.publish(
        status := status_changed(
            account, ServiceStatus.INACTIVE, StatusReason.DEACTIVATED, previous=ServiceStatus.ACTIVE
        )
    )
    await service.consumed(status)
    receipt = (await service.send(account)).json()
    assert (receipt["status"], receipt["reason"]) == ("rejected", "service_inactive")
    assert [e.event_type for e in await service.staged(account)] == ["LetterRejected"]
    assert (
        await service.scalar(
            "SELECT count(*) FROM letter_documents d JOIN letters l USING (letter_id) "
            "WHERE l.account_id = :a",
            a=account,
        )
        == 0
    )


async def test_a_letter_sent_before_the_status_is_known_waits_and_is_decided_when_it_arrives(
    service: LettersService, account: str
) -> None:
    pending = (await service.send(account)).json()
    assert (pending["status"], pending["reason"]) == ("held", "status_pending")
    await service.publish(status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.wait_status(account, pending["letter_id"], "sent")
    assert [e.event_type for e in await service.staged(account)] == [
        "LetterHeld",
        "LetterAccepted",
        "LetterSent",
    ]


async def test_a_pending_letter_of_a_service_that_turns_out_inactive_is_rejected(
    service: LettersService, account: str
) -> None:
    pending = (await service.send(account)).json()
    await service.publish(status_changed(account, ServiceStatus.INACTIVE, StatusReason.DEACTIVATED))
    letter = await service.wait_status(account, pending["letter_id"], "rejected")
    assert letter["reason"] == "service_inactive"
