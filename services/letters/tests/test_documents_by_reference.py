"""Large documents travel by reference: uploaded once (up to 10 MB), named by letters and SendLetter
commands of the same account, shared, and deleted days after their last letter (real servers)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from letters_testkit import LettersService, large_pdf, letter_body, pdf, send_letter, status_changed

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.payments import StatusReason
from autoletter.letters.adapters.pdf import count_pages
from autoletter.letters.entrypoints.consumers import REQUESTS_GROUP

FIVE_MB = large_pdf(5 * 1024 * 1024)  # once per module: the same bytes for every test here
UNKNOWN_REF = "doc_" + "0" * 32


async def activate(service: LettersService, account: str) -> None:
    await service.publish(active := status_changed(account, ServiceStatus.ACTIVE, StatusReason.ACTIVATED))
    await service.consumed(active)


async def upload(service: LettersService, account: str, document: bytes) -> str:
    response = await service.upload(account, document)
    assert response.status_code == 201, response.text
    return str(response.json()["document_ref"])


async def test_a_5_mb_pdf_sent_by_reference_over_send_letter_is_posted_once(
    service: LettersService, account: str
) -> None:
    await activate(service, account)
    response = await service.upload(account, FIVE_MB)
    assert response.status_code == 201, response.text
    assert response.json()["pages"] == 1
    ref = response.json()["document_ref"]

    first = send_letter(account, "cmd-big", document_ref=ref)
    again = send_letter(account, "cmd-big", document_ref=ref)  # the same command sent twice
    await service.publish(first, again)
    await service.consumed(again, REQUESTS_GROUP)
    letter_id = await service.scalar("SELECT letter_id FROM letters WHERE account_id = :a", a=account)
    letter = await service.wait_status(account, letter_id, "sent")

    [envelope] = service.spooled(letter_id)
    assert envelope.with_suffix(".pdf").read_bytes() == FIVE_MB
    assert [e.event_type for e in await service.staged(account)] == ["LetterAccepted", "LetterSent"]
    accepted, sent = await service.events(account, 2)
    assert (accepted.event_type, sent.event_type) == ("LetterAccepted", "LetterSent")
    assert (str(sent.letter_id), sent.sheets) == (str(letter_id), letter["sheets"])
    # Shared, not copied: the letter has no document of its own.
    assert (
        await service.scalar("SELECT count(*) FROM letter_documents WHERE letter_id = :l", l=letter_id) == 0
    )


async def test_letters_name_an_uploaded_document_over_http_and_share_it(
    service: LettersService, account: str
) -> None:
    await activate(service, account)
    document = pdf(3)
    ref = await upload(service, account, document)
    assert await upload(service, account, document) == ref  # the same PDF again: the same document
    body = {**letter_body(), "document_base64": None, "document_ref": ref}
    letter_ids = []
    for _ in range(2):
        response = await service.send(account, body=body)
        assert response.status_code == 202, response.text
        letter_ids.append(response.json()["letter_id"])
    for letter_id in letter_ids:
        letter = await service.wait_status(account, letter_id, "sent")
        assert (letter["pages"], letter["sheets"]) == (3, 3)
        [envelope] = service.spooled(letter_id)
        assert envelope.with_suffix(".pdf").read_bytes() == document
    assert await service.scalar("SELECT count(*) FROM documents WHERE account_id = :a", a=account) == 1


@pytest.mark.parametrize("ref", ["another account's", UNKNOWN_REF, "not-a-ref"])
async def test_a_ref_of_another_account_or_unknown_is_refused_over_http(
    service: LettersService, account: str, ref: str
) -> None:
    if ref == "another account's":
        ref = await upload(service, f"{account}-other", pdf())
    await activate(service, account)
    response = await service.send(
        account, body={**letter_body(), "document_base64": None, "document_ref": ref}
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert (answer["error"], answer["details"]) == ("document_not_found", {"document_ref": "unknown"})
    assert answer["message"]
    assert await service.letters(account) == 0
    assert await service.staged(account) == []


async def test_a_ref_of_another_account_or_unknown_over_send_letter_is_a_rejected_letter(
    service: LettersService, account: str
) -> None:
    others = await upload(service, f"{account}-other", pdf())
    await activate(service, account)
    commands = [
        send_letter(account, "cmd-others", document_ref=others),
        send_letter(account, "cmd-unknown", document_ref=UNKNOWN_REF),
    ]
    await service.publish(*commands)
    await service.consumed(commands[-1], REQUESTS_GROUP)

    rejected = await service.scalar(
        "SELECT array_agg(idempotency_key || ':' || status || ':' || reason ORDER BY seq) "
        "FROM letters WHERE account_id = :a",
        a=account,
    )
    assert rejected == ["cmd-others:rejected:document_not_found", "cmd-unknown:rejected:document_not_found"]
    events = await service.events(account, 2)
    assert [(e.event_type, e.reason) for e in events] == [("LetterRejected", "document_not_found")] * 2


@pytest.mark.parametrize(
    ("document", "content_type", "status", "error"),
    [
        (b"just some text, not a PDF", "application/pdf", 422, "invalid_document"),
        (pdf()[:200], "application/pdf", 422, "invalid_document"),
        (pdf() + b"\0" * (10 * 1024 * 1024), "application/pdf", 413, "document_too_large"),
        (pdf(), "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["not-a-pdf", "truncated", "over-10-mb", "not-pdf-content-type"],
)
async def test_the_upload_refuses_what_is_not_a_pdf_or_too_large_and_keeps_nothing(
    service: LettersService, account: str, document: bytes, content_type: str, status: int, error: str
) -> None:
    response = await service.upload(account, document, content_type)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["error"] == error
    assert answer["message"]
    if error == "document_too_large":
        assert answer["details"] == {"max_document_bytes": 10 * 1024 * 1024}
    assert await service.scalar("SELECT count(*) FROM documents WHERE account_id = :a", a=account) == 0


async def test_uploads_need_the_accounts_token_and_multipart_works_too(
    service: LettersService, account: str
) -> None:
    url = f"/v1/accounts/{account}/documents"
    files = {"document": ("letter.pdf", pdf(2), "application/pdf")}
    intruder = await service.client.post(url, headers=service.auth("someone-else"), files=files)
    assert intruder.status_code == 404
    response = await service.client.post(url, headers=service.auth(account), files=files)
    assert (response.status_code, response.json()["pages"]) == (201, 2)


async def test_a_letter_gives_exactly_one_document(service: LettersService, account: str) -> None:
    both = {**letter_body(), "document_ref": UNKNOWN_REF}
    neither = {**letter_body(), "document_base64": None}
    for body in (both, neither):
        response = await service.send(account, body=body)
        assert (response.status_code, response.json()["error"]) == (422, "validation_error")
        assert set(response.json()["details"]) == {"document_base64", "document_ref"}
    assert await service.letters(account) == 0


async def test_a_document_is_shared_and_deleted_days_after_its_last_letter_ends(
    service: LettersService, account: str
) -> None:
    retention = service.runtime.settings.document_retention
    await service.publish(
        overdue := status_changed(account, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    )
    await service.consumed(overdue)
    ref = await upload(service, account, pdf())
    body = {**letter_body(), "document_base64": None, "document_ref": ref}
    cancelled, waiting = [(await service.send(account, body=body)).json()["letter_id"] for _ in range(2)]
    await service.cancel(account, cancelled)

    async def kept() -> bool:
        await service.runtime.deps.delete_idle_documents()
        return bool(await service.scalar("SELECT count(*) FROM documents WHERE account_id = :a", a=account))

    service.clock.advance(retention + timedelta(days=1))
    assert await kept(), "a held letter still uses it"
    service.clock.advance(timedelta(days=30))  # the held letter expires: the document's last letter ended
    await service.runtime.deps.expire_held_letters()
    assert (await service.get(account, waiting))["status"] == "expired"
    assert await kept(), "kept for the retention after the last letter ended"
    service.clock.advance(retention)
    assert not await kept()
    assert (
        await service.scalar(
            "SELECT count(*) FROM letters WHERE account_id = :a AND document_id IS NULL", a=account
        )
        == 2
    )
    gone = await service.send(account, body=body, key="after-the-document-was-deleted")
    assert (gone.status_code, gone.json()["error"]) == (422, "document_not_found")


def test_the_large_test_pdf_is_a_real_one_page_pdf_of_5_mb() -> None:
    assert count_pages(FIVE_MB) == 1 and len(FIVE_MB) > 5 * 1024 * 1024
    assert len(base64.b64encode(FIVE_MB)) > 1024 * 1024  # too large for a Kafka message inline
