"""What a letter request must be before it may become a letter: validated recipient, a real PDF."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

import pycountry
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from autoletter.contracts.common import Service
from autoletter.letters.adapters.pdf import InvalidDocument, count_pages

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AddressIn(BaseModel):
    """A postal address as the customer writes it; country is ISO 3166-1 alpha-2."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line1: Line = Field(description="Street and number.")
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    postal_code: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=2, max_length=12, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$"
        ),
    ] = Field(description="Postal code as written in the country.")
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    country: str = Field(description="ISO 3166-1 alpha-2 country code, e.g. FR.", examples=["FR"])

    @field_validator("line2")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. FR")
        return code


class RecipientIn(BaseModel):
    """Who the letter goes to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Line
    address: AddressIn


class LetterMetadata(BaseModel):
    """The request without its document (the multipart `metadata` part)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Service
    recipient: RecipientIn


class LetterIn(LetterMetadata):
    """A letter request as JSON: the PDF base64-encoded, or a reference to an uploaded document."""

    document_base64: str | None = Field(
        default=None, description="The PDF, base64-encoded. Exactly one of document_base64 and document_ref."
    )
    document_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A document uploaded with POST /v1/accounts/{account_id}/documents. "
        "Exactly one of document_base64 and document_ref.",
    )


class DocumentTooLarge(ValueError):
    """The document is over the configured size."""


@dataclass(frozen=True)
class DocumentRules:
    """`max_bytes` for a PDF inside a request, `max_upload_bytes` for one uploaded on its own."""

    max_bytes: int
    max_pages: int
    duplex: bool
    max_upload_bytes: int = 10 * 1024 * 1024

    def sheets(self, pages: int) -> int:
        return math.ceil(pages / 2) if self.duplex else pages


@dataclass(frozen=True)
class LetterRequest:
    """A valid request: ready to be decided. `fingerprint` identifies the body for idempotency.

    The document is either inline (`document`, checked, with its pages and sheets) or a
    `document_ref`, checked at upload and looked up when the letter is decided.
    """

    service: Service
    recipient: RecipientIn
    document: bytes | None
    pages: int
    sheets: int
    fingerprint: str
    document_ref: str | None = None

    @property
    def destination_country(self) -> str:
        return self.recipient.address.country

    def recipient_json(self) -> dict[str, Any]:
        return self.recipient.model_dump(mode="json")


def decode_document(document_base64: str, rules: DocumentRules) -> bytes:
    """Base64 to bytes, refusing what is too large before decoding it."""
    text = "".join(document_base64.split())
    if len(text) > (rules.max_bytes + 2) // 3 * 4:
        raise DocumentTooLarge(f"the document is larger than {rules.max_bytes} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidDocument("document_base64 is not valid base64") from exc


def prepare(service: Service, recipient: RecipientIn, document: bytes, rules: DocumentRules) -> LetterRequest:
    """Check the document and count its sheets; raises DocumentTooLarge or InvalidDocument."""
    if len(document) > rules.max_bytes:
        raise DocumentTooLarge(f"the document is larger than {rules.max_bytes} bytes")
    pages = printable_pages(document, rules)
    return LetterRequest(
        service,
        recipient,
        document,
        pages,
        rules.sheets(pages),
        fingerprint(service, recipient, {"document_sha256": hashlib.sha256(document).hexdigest()}),
    )


def by_reference(service: Service, recipient: RecipientIn, document_ref: str) -> LetterRequest:
    """A request naming an uploaded document; pages and sheets come from the document when decided."""
    return LetterRequest(
        service,
        recipient,
        None,
        0,
        0,
        fingerprint(service, recipient, {"document_ref": document_ref}),
        document_ref=document_ref,
    )


def printable_pages(document: bytes, rules: DocumentRules) -> int:
    """Pages of a PDF we can print; raises InvalidDocument."""
    pages = count_pages(document)
    if pages > rules.max_pages:
        raise InvalidDocument(f"the PDF has {pages} pages; at most {rules.max_pages} are printed")
    return pages


@dataclass(frozen=True)
class Upload:
    """A checked PDF uploaded on its own, to be sent by reference."""

    pdf: bytes
    pages: int
    sha256: str


def prepare_upload(document: bytes, rules: DocumentRules) -> Upload:
    """Check an uploaded PDF (size, a real PDF, pages); raises DocumentTooLarge or InvalidDocument."""
    if len(document) > rules.max_upload_bytes:
        raise DocumentTooLarge(f"the document is larger than {rules.max_upload_bytes} bytes")
    return Upload(document, printable_pages(document, rules), hashlib.sha256(document).hexdigest())


def fingerprint(service: Service, recipient: RecipientIn, document: dict[str, str]) -> str:
    """A digest of what the request asks for, the same whether it came as JSON or multipart.

    An inline document counts by its content, a reference by itself (it may be gone by the time a
    retry comes, and a retry must still get its first answer)."""
    canonical = json.dumps(
        {"service": service.value, "recipient": recipient.model_dump(mode="json"), **document},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
