"""The letters HTTP API: bad input changes nothing, listing, access, cancellation (real servers)."""

from __future__ import annotations

import base64
import json

import pytest
from letters_testkit import LettersService, letter_body, pdf, recipient, status_changed

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.payments import StatusReason


@pytest.mark.parametrize(
    ("body", "status", "error", "field"),
    [
        (
            letter_body(document_base64=base64.b64encode(b"just some text").decode()),
            422,
            "invalid_document",
            None,
        ),
        (letter_body(document_base64="%%% not base64"), 422, "invalid_document", None),
        (
            letter_body(document_base64=base64.b64encode(pdf(1) + b"\0" * 700 * 1024).decode()),
            413,
            "document_too_large",
            None,
        ),
        (
            {**letter_body(), "recipient": recipient(country="ZZ")},
            422,
            "validation_error",
            "recipient.address.country",
        ),
        (
            {**letter_body(), "recipient": recipient(line1="")},
            422,
            "validation_error",
            "recipient.address.line1",
        ),
        (letter_body(service="express"), 422, "validation_error", "service"),
        ({"service": "standard"}, 422, "validation_error", "recipient"),
    ],
    ids=[
        "not-a-pdf",
        "not-base64",
        "too-large",
        "unknown-country",
        "no-street",
        "unknown-service",
        "no-recipient",
    ],
)
async def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(
    service: LettersService, account: str, body: dict, status: int, error: str, field: str | None
) -> None:
    response = await service.send(account, body=body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["error"] == error
    assert answer["message"]
    if field:
        assert field in answer["details"]
    assert await service.letters(account) == 0
    assert await service.staged(account) == []


async def test_a_request_without_an_idempotency_key_is_refused(service: LettersService, account: str) -> None:
    response = await service.client.post(
        f"/v1/accounts/{account}/letters", headers=service.auth(account), json=letter_body()
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["details"]


async def test_a_letter_can_be_sent_as_multipart_too(service: LettersService, account: str) -> None:
    headers = {**service.auth(account), "Idempotency-Key": "multipart-1"}
    metadata = json.dumps({"service": "standard", "recipient": recipient()})
    response = await service.client.post(
        f"/v1/accounts/{account}/letters",
        headers=headers,
        data={"metadata": metadata},
        files={"document": ("letter.pdf", pdf(2), "application/pdf")},
    )
    assert response.status_code == 202, response.text
    letter = await service.get(account, response.json()["letter_id"])
    assert letter["pages"] == 2


async def test_another_accounts_letters_are_not_found(service: LettersService, account: str) -> None:
    letter_id = (await service.send(account)).json()["letter_id"]
    intruder = service.auth("someone-else")
    assert (
        await service.client.get(f"/v1/accounts/{account}/letters/{letter_id}", headers=intruder)
    ).status_code == 404
    assert (await service.client.get(f"/v1/accounts/{account}/letters", headers=intruder)).status_code == 404
    ops = service.auth("an-operator", "ops")
    assert (
        await service.client.get(f"/v1/accounts/{account}/letters/{letter_id}", headers=ops)
    ).status_code == 200
    assert (await service.client.get(f"/v1/accounts/{account}/letters/{letter_id}")).status_code == 401


async def test_letters_are_listed_newest_first_by_status_one_page_at_a_time(
    service: LettersService, account: str
) -> None:
    ids = [(await service.send(account)).json()["letter_id"] for _ in range(5)]
    cancelled = ids[0]
    await service.client.post(
        f"/v1/accounts/{account}/letters/{cancelled}/cancel", headers=service.auth(account)
    )

    seen, cursor = [], None
    while True:
        params = {"status": "held", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (
            await service.client.get(
                f"/v1/accounts/{account}/letters", params=params, headers=service.auth(account)
            )
        ).json()
        seen += [item["letter_id"] for item in page["items"]]
        assert all(item["status"] == "held" for item in page["items"])
        if not (cursor := page["next_cursor"]):
            break
    assert seen == list(reversed(ids[1:]))
    bad = await service.client.get(
        f"/v1/accounts/{account}/letters", params={"cursor": "nonsense"}, headers=service.auth(account)
    )
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_cursor")


async def test_a_held_letter_can_be_cancelled_and_then_never_goes_out(
    service: LettersService, account: str
) -> None:
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    keep, cancel = [(await service.send(account)).json()["letter_id"] for _ in range(2)]
    url = f"/v1/accounts/{account}/letters/{cancel}/cancel"
    response = await service.client.post(url, headers=service.auth(account))
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    again = await service.client.post(url, headers=service.auth(account))
    assert (again.status_code, again.json()["error"]) == (409, "letter_not_held")

    await service.publish(status_changed(account, ServiceStatus.ACTIVE, StatusReason.INVOICES_SETTLED))
    await service.wait_status(account, keep, "sent")
    assert (await service.get(account, cancel))["status"] == "cancelled"
    assert [str(e.letter_id) for e in await service.staged(account, "LetterSent")] == [keep]
    assert service.spooled(cancel) == []


async def test_a_sent_letter_cannot_be_cancelled(service: LettersService, account: str) -> None:
    await service.publish(active := status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.consumed(active)
    letter_id = (await service.send(account)).json()["letter_id"]
    await service.wait_status(account, letter_id, "sent")
    response = await service.client.post(
        f"/v1/accounts/{account}/letters/{letter_id}/cancel", headers=service.auth(account)
    )
    assert (response.status_code, response.json()["details"]) == (409, {"status": "sent"})


async def test_the_service_is_ready_and_documents_both_ways_to_send_a_letter(service: LettersService) -> None:
    assert (await service.client.get("/readyz")).status_code == 200
    spec = (await service.client.get("/openapi.json")).json()
    send = spec["paths"]["/v1/accounts/{account_id}/letters"]["post"]
    assert set(send["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "$defs" not in json.dumps(send)
    assert "/v1/accounts/{account_id}/letters/{letter_id}/cancel" in spec["paths"]
