"""What may become a letter: a real PDF within the size limit, a deliverable address; and the spool."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from letters_testkit import pdf, recipient
from pydantic import ValidationError

from autoletter.contracts.common import Service
from autoletter.letters.adapters.pdf import InvalidDocument, count_pages
from autoletter.letters.adapters.spool import OutgoingLetter, SpoolDispatcher
from autoletter.letters.handlers.requests import (
    DocumentRules,
    DocumentTooLarge,
    RecipientIn,
    decode_document,
    prepare,
)

RULES = DocumentRules(max_bytes=700 * 1024, max_pages=50, duplex=False)


def test_pages_are_counted_from_the_real_pdf_one_sheet_each_unless_duplex() -> None:
    to = RecipientIn.model_validate(recipient())
    assert prepare(Service.STANDARD, to, pdf(3), RULES).sheets == 3
    duplex = DocumentRules(RULES.max_bytes, RULES.max_pages, duplex=True)
    assert prepare(Service.STANDARD, to, pdf(3), duplex).sheets == 2


@pytest.mark.parametrize("data", [b"hello", b"%PDF-1.7\nnot really", b"", pdf(1)[:200]])
def test_what_is_not_a_readable_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidDocument):
        count_pages(data)


def test_a_document_over_the_limit_is_refused_before_it_is_decoded() -> None:
    small = DocumentRules(max_bytes=100, max_pages=50, duplex=False)
    with pytest.raises(DocumentTooLarge):
        decode_document(base64.b64encode(b"x" * 200).decode(), small)
    with pytest.raises(DocumentTooLarge):
        prepare(Service.STANDARD, RecipientIn.model_validate(recipient()), pdf(1), small)


def test_invalid_base64_is_an_invalid_document() -> None:
    with pytest.raises(InvalidDocument):
        decode_document("not base64 at all!", RULES)


@pytest.mark.parametrize(
    "address",
    [{"country": "XX"}, {"country": "France"}, {"line1": "  "}, {"postal_code": "!!"}, {"city": ""}],
)
def test_an_undeliverable_address_is_refused(address: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        RecipientIn.model_validate(recipient(**address))


def test_the_same_request_has_the_same_fingerprint_and_another_does_not() -> None:
    to = RecipientIn.model_validate(recipient())
    doc = pdf(1)
    assert (
        prepare(Service.STANDARD, to, doc, RULES).fingerprint
        == prepare(Service.STANDARD, to, doc, RULES).fingerprint
    )
    assert (
        prepare(Service.STANDARD, to, doc, RULES).fingerprint
        != prepare(Service.REGISTERED, to, doc, RULES).fingerprint
    )


def test_the_spool_writes_a_letter_once_and_remembers_when(tmp_path: Path) -> None:
    spool = SpoolDispatcher(tmp_path)
    letter = OutgoingLetter(uuid4(), "acc-1", "standard", recipient(), 1, 1, pdf(1), date(2026, 11, 3))
    first = spool.dispatch(letter, datetime(2026, 11, 3, 10, tzinfo=UTC))
    again = spool.dispatch(letter, datetime(2026, 11, 4, 1, tzinfo=UTC))  # a retry after a crash
    assert (first.already, again.already) == (False, True)
    assert again.dispatched_at == first.dispatched_at
    pdf_path, envelope_path = spool.paths(letter.letter_id, letter.spool_day)
    assert pdf_path.read_bytes() == letter.document
    assert json.loads(envelope_path.read_text())["sheets"] == 1
    assert sorted(p.name for p in (tmp_path / "2026-11-03").iterdir()) == sorted(
        [pdf_path.name, envelope_path.name]
    )
