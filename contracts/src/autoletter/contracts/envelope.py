"""The envelope every message carries, and helpers that build a message from its cause."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

E = TypeVar("E", bound="Envelope")


class Envelope(BaseModel):
    """Fields common to every event and command (DESIGN §3)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    #: The topic family this message belongs to; set by each message class.
    topic: ClassVar[str] = ""
    #: Bumped only on a breaking change; changes within a version are additive.
    version: ClassVar[int] = 1

    event_id: UUID = Field(description="Unique id of this message; consumers deduplicate on it.")
    event_type: str = Field(description="The message class name.")
    schema_version: int = Field(ge=1, description="Version of this message's schema.")
    occurred_at: AwareDatetime = Field(description="When the fact happened, UTC, ISO 8601.")
    account_id: str = Field(min_length=1, max_length=64, description="The account; also the Kafka key.")
    producer: str = Field(min_length=1, description="Name of the service that produced the message.")
    correlation_id: UUID = Field(description="Id shared by every message of one business flow.")
    causation_id: UUID | None = Field(default=None, description="Id of the message that caused this one.")

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def create(
        cls,
        *,
        account_id: str,
        producer: str,
        occurred_at: datetime,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
        **payload: Any,
    ) -> Self:
        """Build a new message with a fresh event id (a new flow unless correlation_id is given)."""
        event_id = uuid4()
        return cls(
            event_id=event_id,
            event_type=cls.__name__,
            schema_version=cls.version,
            occurred_at=occurred_at,
            account_id=account_id,
            producer=producer,
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            **payload,
        )


def new_event(cls: type[E], *, account_id: str, producer: str, occurred_at: datetime, **payload: Any) -> E:
    """A message that starts a new flow (its correlation id is its own id)."""
    return cls.create(account_id=account_id, producer=producer, occurred_at=occurred_at, **payload)


def caused_by(cause: Envelope, cls: type[E], *, producer: str, occurred_at: datetime, **payload: Any) -> E:
    """A message caused by another: same account and correlation, causation = the cause."""
    return cls.create(
        account_id=cause.account_id,
        producer=producer,
        occurred_at=occurred_at,
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
        **payload,
    )
