"""Every message round-trips through JSON, tolerates unknown fields, and matches the checked-in schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from autoletter.contracts import MESSAGES, DecodeError, UnknownEventType, decode, encode, headers_for
from autoletter.contracts import schema as schema_docs
from autoletter.contracts.envelope import Envelope, caused_by, new_event
from autoletter.contracts.letters import LetterSent, SendLetter
from autoletter.contracts.payments import PaymentFailed
from autoletter.contracts.profile import ProfileCompleted

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ADDRESS = {"line1": "1 rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}
RECIPIENT = {"name": "Jeanne Martin", "address": ADDRESS}

PAYLOADS: dict[str, dict[str, Any]] = {
    "ProfileCompleted": {"name": "ACME", "email": "billing@acme.example", "address": ADDRESS},
    "ProfileUpdated": {"name": "ACME", "email": "billing@acme.example", "address": ADDRESS},
    "ProfileIncomplete": {"missing": ["email", "address"]},
    "StripeCustomerCreated": {"stripe_customer_id": "cus_123"},
    "PaymentMethodAttached": {
        "payment_method_id": "pm_1",
        "type": "card",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
    },
    "PaymentMethodDetached": {"payment_method_id": "pm_1"},
    "PaymentSucceeded": {
        "invoice_id": str(uuid4()),
        "stripe_invoice_id": "in_1",
        "service": "standard",
        "period": "2026-10",
        "amount_cents": 285,
        "currency": "eur",
    },
    "PaymentFailed": {
        "invoice_id": str(uuid4()),
        "stripe_invoice_id": "in_1",
        "service": "registered",
        "period": "2026-10",
        "amount_cents": 840,
        "currency": "eur",
        "attempt_count": 4,
        "next_attempt_at": None,
        "final": True,
        "failure_code": "card_declined",
        "failure_message": "Your card was declined.",
    },
    "InvoiceVoided": {
        "invoice_id": str(uuid4()),
        "stripe_invoice_id": "in_1",
        "service": "standard",
        "period": "2026-10",
    },
    "PaymentProcessing": {
        "invoice_id": str(uuid4()),
        "stripe_invoice_id": "in_1",
        "service": "standard",
        "period": "2026-10",
        "amount_cents": 285,
        "currency": "eur",
    },
    "PaymentDisputed": {
        "invoice_id": str(uuid4()),
        "stripe_invoice_id": "in_1",
        "dispute_id": "dp_1",
        "service": "standard",
        "period": "2026-10",
        "amount_cents": 285,
        "currency": "eur",
        "dispute_status": "lost",
    },
    "ServiceStatusChanged": {
        "service": "standard",
        "status": "blocked",
        "previous_status": "active",
        "reason": "profile_incomplete",
        "missing": ["email"],
    },
    "SendLetter": {
        "command_id": "cmd-1",
        "service": "registered",
        "recipient": RECIPIENT,
        "document_base64": "JVBERi0xLjQK",
    },
    "LetterAccepted": {"letter_id": str(uuid4()), "service": "standard"},
    "LetterHeld": {"letter_id": str(uuid4()), "service": "standard", "reason": "service_overdue"},
    "LetterRejected": {"letter_id": str(uuid4()), "service": "standard", "reason": "service_inactive"},
    "LetterExpired": {"letter_id": str(uuid4()), "service": "standard", "reason": "hold_expired"},
    "LetterCancelled": {"letter_id": str(uuid4()), "service": "standard", "reason": "service_overdue"},
    "LetterSent": {
        "letter_id": str(uuid4()),
        "service": "standard",
        "sheets": 2,
        "destination_country": "DE",
        "sent_at": NOW.isoformat(),
    },
    "InvoiceIssued": {
        "invoice_id": str(uuid4()),
        "stripe_invoice_id": "in_1",
        "service": "standard",
        "period": "2026-10",
        "letters": 3,
        "amount_cents": 285,
        "currency": "eur",
    },
}


def test_every_message_has_a_sample() -> None:
    assert set(PAYLOADS) == set(MESSAGES)


@pytest.mark.parametrize("event_type", sorted(MESSAGES))
def test_message_round_trips_through_json(event_type: str) -> None:
    cls = MESSAGES[event_type]
    message = new_event(cls, account_id="acc_1", producer="test", occurred_at=NOW, **PAYLOADS[event_type])
    assert decode(encode(message)) == message
    assert message.event_type == event_type
    assert dict(headers_for(message))["event_type"] == event_type.encode()


@pytest.mark.parametrize("event_type", sorted(MESSAGES))
def test_unknown_fields_are_tolerated(event_type: str) -> None:
    message = new_event(
        MESSAGES[event_type], account_id="acc_1", producer="test", occurred_at=NOW, **PAYLOADS[event_type]
    )
    raw = json.loads(encode(message))
    raw["added_in_a_later_minor_version"] = {"anything": [1, 2]}
    assert decode(json.dumps(raw).encode()) == message


@pytest.mark.parametrize("event_type", sorted(MESSAGES))
def test_the_header_named_type_decodes_to_the_same_message(event_type: str) -> None:
    message = new_event(
        MESSAGES[event_type], account_id="acc_1", producer="test", occurred_at=NOW, **PAYLOADS[event_type]
    )
    assert decode(encode(message), event_type=event_type) == message


def test_the_body_wins_over_a_header_that_names_another_type() -> None:
    sent = new_event(
        LetterSent, account_id="acc_1", producer="test", occurred_at=NOW, **PAYLOADS["LetterSent"]
    )
    assert decode(encode(sent), event_type="PaymentFailed") == sent
    with pytest.raises(UnknownEventType):
        decode(encode(sent), [PaymentFailed], event_type="PaymentFailed")


@pytest.mark.parametrize("body", [b"not json", b'{"event_type": "LetterSent"}'])
def test_a_header_does_not_change_why_bytes_are_refused(body: bytes) -> None:
    with pytest.raises(DecodeError) as with_header:
        decode(body, event_type="LetterSent")
    with pytest.raises(DecodeError) as without:
        decode(body)
    assert str(with_header.value) == str(without.value)


def test_unknown_event_type_is_reported_as_such() -> None:
    body = json.dumps({"event_type": "SomethingNew", "event_id": str(uuid4())}).encode()
    with pytest.raises(UnknownEventType) as info:
        decode(body)
    assert info.value.event_type == "SomethingNew"


@pytest.mark.parametrize("body", [b"\xff\xfe", b"not json", b"[]", b'{"event_type": "LetterSent"}'])
def test_undecodable_bytes_are_a_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(body)


def test_caused_by_keeps_the_flow() -> None:
    cause = new_event(
        ProfileCompleted,
        account_id="acc_9",
        producer="profile",
        occurred_at=NOW,
        **PAYLOADS["ProfileCompleted"],
    )
    effect = caused_by(
        cause, PaymentFailed, producer="payments", occurred_at=NOW, **PAYLOADS["PaymentFailed"]
    )
    assert effect.account_id == "acc_9"
    assert effect.correlation_id == cause.correlation_id == cause.event_id
    assert effect.causation_id == cause.event_id
    assert effect.event_id != cause.event_id


def test_occurred_at_is_normalised_to_utc() -> None:
    from datetime import timedelta, timezone

    paris = datetime(2026, 11, 25, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    message = new_event(LetterSent, account_id="a", producer="p", occurred_at=paris, **PAYLOADS["LetterSent"])
    assert message.occurred_at == NOW and message.occurred_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        new_event(Envelope, account_id="a", producer="p", occurred_at=datetime(2026, 1, 1))


def test_checked_in_schemas_match_the_models() -> None:
    stale = [p.name for p, text in schema_docs.render().items() if not p.exists() or p.read_text() != text]
    assert not stale, f"regenerate with `uv run python -m autoletter.contracts.schema`: {stale}"


def test_send_letter_takes_exactly_one_document() -> None:
    def command(**document: Any) -> SendLetter:
        payload = {**PAYLOADS["SendLetter"], "document_base64": None, **document}
        return new_event(SendLetter, account_id="acc", producer="other", occurred_at=NOW, **payload)

    assert command(document_ref="doc_123").document_ref == "doc_123"
    for both_or_none in ({"document_base64": "JVBERi0xLjQK", "document_ref": "doc_123"}, {}):
        with pytest.raises(ValidationError, match="exactly one of document_base64 and document_ref"):
            command(**both_or_none)
