"""AutoLetter event contracts: the envelope, every message of DESIGN §3, and the topic registry."""

from autoletter.contracts.codec import (
    DecodeError,
    UnknownEventType,
    decode,
    encode,
    header_value,
    headers_for,
)
from autoletter.contracts.envelope import Envelope, caused_by, new_event
from autoletter.contracts.registry import (
    CONSUMER_GROUPS,
    MESSAGES,
    TOPICS,
    ConsumerGroup,
    Topic,
    message_class,
    topic_for,
)

__all__ = [
    "CONSUMER_GROUPS",
    "MESSAGES",
    "TOPICS",
    "ConsumerGroup",
    "DecodeError",
    "Envelope",
    "Topic",
    "UnknownEventType",
    "caused_by",
    "decode",
    "encode",
    "header_value",
    "headers_for",
    "message_class",
    "new_event",
    "topic_for",
]
