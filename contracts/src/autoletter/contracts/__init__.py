"""AutoLetter event contracts: the envelope, every message of DESIGN §3, and the topic registry."""

from autoletter.contracts.codec import DecodeError, UnknownEventType, decode, encode, headers_for
from autoletter.contracts.envelope import Envelope, caused_by, new_event
from autoletter.contracts.registry import MESSAGES, TOPICS, Topic, message_class, topic_for

__all__ = [
    "MESSAGES",
    "TOPICS",
    "DecodeError",
    "Envelope",
    "Topic",
    "UnknownEventType",
    "caused_by",
    "decode",
    "encode",
    "headers_for",
    "message_class",
    "new_event",
    "topic_for",
]
