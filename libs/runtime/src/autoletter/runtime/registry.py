"""The typed handler registry: `subscribe(group, on(EventType, handler), ...)` builds a consumer
Subscription, and mypy checks that each handler takes the message type it is registered for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from autoletter.contracts import TOPICS, ConsumerGroup, Envelope
from autoletter.runtime.consumer import Subscription
from autoletter.runtime.uow import SqlUnitOfWork

E = TypeVar("E", bound=Envelope)


@dataclass(frozen=True)
class On(Generic[E]):
    """One message type and its handler (one message per call)."""

    type: type[E]
    handler: Callable[[SqlUnitOfWork[Any], E], Awaitable[None]]


@dataclass(frozen=True)
class InBatches(Generic[E]):
    """One message type whose new messages of a batch go to the handler in one call (bulk writes)."""

    type: type[E]
    handler: Callable[[SqlUnitOfWork[Any], list[E]], Awaitable[None]]


def on(message_type: type[E], handler: Callable[[SqlUnitOfWork[Any], E], Awaitable[None]]) -> On[E]:
    """Register `handler` for `message_type`; mypy refuses a handler of another message type."""
    return On(message_type, handler)


def in_batches(
    message_type: type[E], handler: Callable[[SqlUnitOfWork[Any], list[E]], Awaitable[None]]
) -> InBatches[E]:
    """Register a batch handler for `message_type` (see Subscription.batch_handler)."""
    return InBatches(message_type, handler)


def subscribe(
    group: ConsumerGroup,
    *registrations: On[Any],
    batch: InBatches[Any] | None = None,
    batch_size: int = 1,
    isolation_level: str | None = None,
) -> Subscription:
    """The consumer group's Subscription to its topic. A message type registered twice, or one that is
    never published on the group's topic, is a wiring mistake: refused at start-up."""
    types = [r.type for r in registrations] + ([batch.type] if batch is not None else [])
    for message_type in types:
        if message_type.topic != group.topic:
            name = message_type.__name__
            raise ValueError(f"{name} is published on {message_type.topic}, not {group.topic}")
    if len(set(types)) != len(types):
        raise ValueError(f"a message type is registered twice in {group.name}")
    return Subscription(
        TOPICS[group.topic],
        group.name,
        {r.type: r.handler for r in registrations},
        batch_size=batch_size,
        batch_handler=batch.handler if batch is not None else None,
        batch_types=(batch.type,) if batch is not None else (),
        isolation_level=isolation_level,
    )
