"""Which message goes on which topic, and how each topic is provisioned."""

from __future__ import annotations

from dataclasses import dataclass

from autoletter.contracts import invoicing, letters, payments, profile
from autoletter.contracts.envelope import Envelope

#: Kept forever: topics are the record other services rebuild from.
RETENTION_FOREVER = -1
#: Dead letters are kept 30 days.
DLQ_RETENTION_MS = 30 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    """A Kafka topic of the registry; messages are keyed by account_id."""

    name: str
    partitions: int
    retention_ms: int = RETENTION_FOREVER

    def full_name(self, prefix: str = "") -> str:
        """The topic name with the deployment's optional prefix."""
        return f"{prefix}{self.name}"

    def dlq(self, group: str) -> Topic:
        """The dead-letter topic of this topic for one consumer group."""
        return Topic(f"{self.name}.dlq.{group}", partitions=1, retention_ms=DLQ_RETENTION_MS)


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in (
        Topic("profile.events", partitions=6),
        Topic("payments.events", partitions=6),
        Topic("letters.requests", partitions=6),
        Topic("letters.events", partitions=6),
        Topic("invoicing.events", partitions=6),
    )
}


@dataclass(frozen=True)
class ConsumerGroup:
    """A consumer group of the system: which service reads which topic, and for what."""

    service: str
    purpose: str
    topic: str

    @property
    def name(self) -> str:
        """The logical group id `<service>.<purpose>` (the inbox, metrics and dead-letter topic use it)."""
        return f"{self.service}.{self.purpose}"

    def dlq(self) -> Topic:
        """This group's dead-letter topic."""
        return TOPICS[self.topic].dlq(self.name)


#: Every consumer group, declared once: services subscribe with them, the CLI lists dead letters by them.
CONSUMER_GROUPS: dict[str, ConsumerGroup] = {
    g.name: g
    for g in (
        ConsumerGroup("payments", "profile", "profile.events"),
        ConsumerGroup("letters", "service-status", "payments.events"),
        ConsumerGroup("letters", "send-requests", "letters.requests"),
        ConsumerGroup("invoicing", "usage", "letters.events"),
        ConsumerGroup("invoicing", "payments", "payments.events"),
    )
}

MESSAGES: dict[str, type[Envelope]] = {
    cls.__name__: cls
    for cls in (
        profile.ProfileCompleted,
        profile.ProfileIncomplete,
        profile.ProfileUpdated,
        payments.StripeCustomerCreated,
        payments.PaymentMethodAttached,
        payments.PaymentMethodDetached,
        payments.PaymentSucceeded,
        payments.PaymentFailed,
        payments.InvoiceVoided,
        payments.PaymentProcessing,
        payments.PaymentDisputed,
        payments.ServiceStatusChanged,
        letters.SendLetter,
        letters.LetterAccepted,
        letters.LetterHeld,
        letters.LetterRejected,
        letters.LetterExpired,
        letters.LetterCancelled,
        letters.LetterSent,
        invoicing.InvoiceIssued,
    )
}


def message_class(event_type: str) -> type[Envelope] | None:
    """The class of a message type, or None when this version does not know it."""
    return MESSAGES.get(event_type)


def topic_for(message: Envelope | type[Envelope]) -> Topic:
    """The topic a message is published on."""
    return TOPICS[message.topic]
