"""The SendLetter command on letters.requests and the events on letters.events."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from autoletter.contracts.common import OpenSet, PostalAddress, Service, Value
from autoletter.contracts.envelope import Envelope

#: 700 KB of PDF, base64-encoded (4 characters per 3 bytes).
MAX_DOCUMENT_BASE64 = (700 * 1024 + 2) // 3 * 4


class LetterReason(StrEnum):
    """Why a letter was held, rejected or expired (DESIGN §3)."""

    SERVICE_INACTIVE = "service_inactive"
    SERVICE_OVERDUE = "service_overdue"
    PROFILE_INCOMPLETE = "profile_incomplete"
    NO_PAYMENT_METHOD = "no_payment_method"
    STATUS_PENDING = "status_pending"
    HOLD_EXPIRED = "hold_expired"
    DOCUMENT_NOT_FOUND = "document_not_found"


OpenLetterReason = Annotated[LetterReason | str, Field(union_mode="left_to_right"), OpenSet(LetterReason)]


class Recipient(Value):
    """Who the letter goes to."""

    name: str = Field(min_length=1, max_length=200, description="Recipient name.")
    address: PostalAddress


class SendLetter(Envelope):
    """Command: send a letter for the account (other platform services use this)."""

    topic: ClassVar[str] = "letters.requests"

    command_id: str = Field(min_length=1, max_length=200, description="Idempotency key of the command.")
    service: Service
    recipient: Recipient
    document_base64: str | None = Field(
        default=None,
        max_length=MAX_DOCUMENT_BASE64,
        description="The PDF, base64, at most 700 KB (256 KB recommended). Exactly one of "
        "document_base64 and document_ref.",
    )
    document_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A document uploaded with POST /v1/accounts/{account_id}/documents (up to 10 MB), "
        "opaque and bound to the account. Exactly one of document_base64 and document_ref.",
    )

    @model_validator(mode="after")
    def _one_document(self) -> SendLetter:
        if (self.document_base64 is None) == (self.document_ref is None):
            raise ValueError("exactly one of document_base64 and document_ref")
        return self


class _LetterEvent(Envelope):
    topic: ClassVar[str] = "letters.events"

    letter_id: UUID = Field(description="Our letter id.")
    service: Service


class LetterAccepted(_LetterEvent):
    """The letter was accepted and will be dispatched."""

    reason: LetterReason | None = Field(default=None, description="Always null; kept for a uniform shape.")


class LetterHeld(_LetterEvent):
    """The letter is held until its service is active again."""

    reason: OpenLetterReason


class LetterRejected(_LetterEvent):
    """The letter will never be sent."""

    reason: OpenLetterReason


class LetterExpired(_LetterEvent):
    """A held letter passed its hold limit and will not be sent."""

    reason: OpenLetterReason = LetterReason.HOLD_EXPIRED


class LetterCancelled(_LetterEvent):
    """A held letter was cancelled by the customer; it will not be sent."""

    reason: OpenLetterReason | None = Field(default=None, description="The reason it was held for.")


class LetterSent(_LetterEvent):
    """The letter was handed to the postal dispatch; it is billable."""

    sheets: int = Field(ge=1, description="Number of sheets printed.")
    destination_country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    sent_at: AwareDatetime = Field(description="When the letter was dispatched; prices apply at this time.")
