"""Letters: a PDF upload becomes letters' base64 JSON with an Idempotency-Key; list, reasons, cancel."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from autoletter.console.testing import Upstreams, error, sign_in

ACCOUNT = "acct-letters"
PATH = f"/v1/accounts/{ACCOUNT}/letters"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HELD_ID = "0b6f3a52-8c1e-4d1e-9a55-1d2b3c4d5e6f"

LETTERS = {
    "items": [
        {
            "letter_id": HELD_ID,
            "service": "standard",
            "status": "held",
            "reason": "service_overdue",
            "recipient": {"name": "Marie Curie", "address": {"city": "Paris", "country": "FR"}},
            "destination_country": "FR",
            "pages": 2,
            "sheets": 1,
            "created_at": "2026-03-03T09:00:00+00:00",
            "updated_at": "2026-03-03T09:00:00+00:00",
            "hold_expires_at": "2026-04-02T09:00:00+00:00",
            "sent_at": None,
        },
        {
            "letter_id": "1c7e0f00-0000-4000-8000-000000000001",
            "service": "registered",
            "status": "sent",
            "reason": None,
            "recipient": {"name": "Pierre Curie", "address": {"city": "Lyon", "country": "FR"}},
            "destination_country": "FR",
            "pages": 1,
            "sheets": 1,
            "created_at": "2026-03-01T09:00:00+00:00",
            "updated_at": "2026-03-01T09:05:00+00:00",
            "hold_expires_at": None,
            "sent_at": "2026-03-01T09:05:00+00:00",
        },
    ],
    "next_cursor": "c2VxOjE",
}

FORM = {
    "service": "registered",
    "recipient.name": "Marie Curie",
    "recipient.address.line1": "11 rue Pierre et Marie Curie",
    "recipient.address.line2": "",
    "recipient.address.postal_code": "75005",
    "recipient.address.city": "Paris",
    "recipient.address.country": "FR",
}


@pytest.fixture
async def signed_in(browser: httpx.AsyncClient, upstreams: Upstreams) -> httpx.AsyncClient:
    await sign_in(browser, ACCOUNT)
    upstreams.answer("letters", "GET", PATH, LETTERS)
    return browser


def _key_on(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page)
    assert found, "the send form carries an idempotency key"
    return found.group(1)


async def test_letters_list_status_reason_and_a_cancel_button_only_for_held_ones(
    signed_in: httpx.AsyncClient,
) -> None:
    page = await signed_in.get("/letters")

    assert page.status_code == 200
    assert '<span class="pill pill-warn" data-status="held">Held</span>' in page.text
    assert "An invoice of this service is unpaid." in page.text
    assert '<span class="pill pill-ok" data-status="sent">Sent</span>' in page.text
    assert page.text.count("/cancel") == 1
    assert f'action="/letters/{HELD_ID}/cancel"' in page.text
    assert "/letters?cursor=c2VxOjE" in page.text


async def test_the_status_filter_is_passed_to_letters(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await signed_in.get("/letters?status=held")

    (call,) = upstreams.calls("letters", "GET", PATH)
    assert call.query["status"] == "held"


async def test_sending_a_pdf_posts_base64_json_with_the_forms_idempotency_key(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.answer(
        "letters", "POST", PATH, {"letter_id": HELD_ID, "status": "held", "reason": "service_overdue"}, 202
    )
    key = _key_on((await signed_in.get("/letters")).text)

    response = await signed_in.post(
        "/letters",
        data={**FORM, "idempotency_key": key},
        files={"document": ("letter.pdf", PDF, "application/pdf")},
    )

    assert response.status_code == 303
    (call,) = upstreams.calls("letters", "POST", PATH)
    assert call.headers["idempotency-key"] == key
    assert call.headers["content-type"] == "application/json"
    assert call.body == {
        "service": "registered",
        "recipient": {
            "name": "Marie Curie",
            "address": {
                "line1": "11 rue Pierre et Marie Curie",
                "postal_code": "75005",
                "city": "Paris",
                "country": "FR",
            },
        },
        "document_base64": base64.b64encode(PDF).decode(),
    }
    after = await signed_in.get(response.headers["location"])
    assert "Your letter to Marie Curie:" in after.text
    assert _key_on(after.text) != key  # a new form, a new letter


async def test_letter_field_errors_show_beside_their_fields(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    details = {
        "recipient.address.country": "must be an ISO 3166-1 alpha-2 country code, e.g. FR",
        "recipient.name": "String should have at least 1 character",
    }
    refusal = error(422, "validation_error", "Some fields are invalid.", details)
    upstreams.answer("letters", "POST", PATH, refusal)

    page = await signed_in.post(
        "/letters",
        data={**FORM, "recipient.address.country": "XX", "idempotency_key": "k1"},
        files={"document": ("letter.pdf", PDF, "application/pdf")},
    )

    assert page.status_code == 422
    country_error = 'data-field="recipient.address.country">Choose a country from the list.'
    assert country_error in page.text
    assert '<span class="field-error" id="e-recipient.name" data-field="recipient.name">' in page.text
    assert 'value="Marie Curie"' in page.text
    assert _key_on(page.text) != "k1"  # the corrected request is another request


async def test_a_refused_document_is_explained_at_the_file_field(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    refusal = error(422, "invalid_document", "The document is refused: not a PDF.")
    upstreams.answer("letters", "POST", PATH, refusal)

    page = await signed_in.post(
        "/letters", data=FORM, files={"document": ("letter.pdf", b"hello", "application/pdf")}
    )

    assert 'data-field="document">Choose a PDF file of at most 10 MB.' in page.text
    assert "This file is not a PDF we can print." in page.text


async def test_sending_without_a_file_asks_for_one_and_calls_nobody(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    page = await signed_in.post("/letters", data=FORM)

    assert page.status_code == 422
    assert "Choose a PDF file." in page.text
    assert upstreams.calls("letters", "POST", PATH) == []


async def test_cancelling_a_held_letter(signed_in: httpx.AsyncClient, upstreams: Upstreams) -> None:
    path = f"{PATH}/{HELD_ID}/cancel"
    upstreams.answer("letters", "POST", path, {**LETTERS["items"][0], "status": "cancelled"})

    response = await signed_in.post(f"/letters/{HELD_ID}/cancel")

    assert response.status_code == 303
    assert len(upstreams.calls("letters", "POST", path)) == 1


async def test_cancelling_a_letter_no_longer_held_shows_why(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    refusal = error(409, "letter_not_held", "Only a held letter can be cancelled; this one is sent.")
    upstreams.answer("letters", "POST", f"{PATH}/{HELD_ID}/cancel", refusal)

    page = await signed_in.post(f"/letters/{HELD_ID}/cancel")

    assert page.status_code == 409
    assert "Only a held letter can be cancelled." in page.text


async def test_letters_down_shows_a_banner(signed_in: httpx.AsyncClient, upstreams: Upstreams) -> None:
    upstreams.down.add("letters")

    page = await signed_in.get("/letters")

    assert page.status_code == 503
    assert "The letters service is not answering right now. Please try again in a moment." in page.text
