"""SendLetter commands on letters.requests go the same way as HTTP requests (real servers)."""

from __future__ import annotations

import base64

from letters_testkit import NOW, LettersService, pdf, recipient, status_changed

from autoletter.contracts import new_event
from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.letters import SendLetter
from autoletter.contracts.payments import StatusReason
from autoletter.letters.entrypoints.consumers import REQUESTS_GROUP
from autoletter.runtime.testing import read_records


def command(account: str, command_id: str, document: bytes, **address: str) -> SendLetter:
    return new_event(
        SendLetter,
        account_id=account,
        producer="some-platform-service",
        occurred_at=NOW,
        command_id=command_id,
        service="standard",
        recipient=recipient(**address),
        document_base64=base64.b64encode(document).decode(),
    )


async def test_a_send_letter_command_becomes_a_letter_once_keyed_by_its_command_id(
    service: LettersService, account: str
) -> None:
    await service.publish(active := status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.consumed(active)
    first = command(account, "cmd-1", pdf(2))
    retry = command(account, "cmd-1", pdf(2))  # the same command sent again with a new event id
    await service.publish(first, retry)
    await service.consumed(retry, REQUESTS_GROUP)

    assert await service.letters(account) == 1
    letter_id = await service.scalar(
        "SELECT letter_id FROM letters WHERE account_id = :a AND idempotency_key = 'cmd-1'", a=account
    )
    await service.wait_status(account, letter_id, "sent")
    [accepted] = await service.staged(account, "LetterAccepted")
    assert (accepted.correlation_id, accepted.causation_id) == (first.correlation_id, first.event_id)


async def test_an_invalid_command_never_becomes_a_letter_and_is_dead_lettered_with_its_reason(
    service: LettersService, account: str
) -> None:
    bad_document = command(account, "cmd-bad", b"not a pdf")
    bad_address = command(account, "cmd-bad-address", pdf(1), country="ZZ")
    good = command(account, "cmd-good", pdf(1))
    await service.publish(bad_document, bad_address, good)
    await service.consumed(good, REQUESTS_GROUP)

    assert await service.scalar(
        "SELECT array_agg(idempotency_key) FROM letters WHERE account_id = :a", a=account
    ) == ["cmd-good"]
    dlq = service.topic(f"letters.requests.dlq.{REQUESTS_GROUP}")
    records = await read_records(service.bootstrap, dlq, count=2, accept=lambda r: r.key == account.encode())
    errors = [dict(r.headers)["x-dlq-error"].decode() for r in records]
    assert errors[0].startswith("invalid_document")
    assert errors[1].startswith("invalid_recipient") and "country" in errors[1]
