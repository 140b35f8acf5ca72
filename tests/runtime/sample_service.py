"""A minimal service on the runtime, for testing the runtime itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts import TOPICS
from autoletter.contracts.letters import LetterSent
from autoletter.contracts.profile import ProfileCompleted
from autoletter.runtime import outbox
from autoletter.runtime.consumer import Subscription
from autoletter.runtime.service import Resources, Service, ServiceRuntime
from autoletter.runtime.settings import ServiceSettings
from autoletter.runtime.uow import SqlUnitOfWork
from autoletter.runtime.waiting import RetryPolicy

MIGRATIONS = Path(__file__).parent / "sample_migrations"


class SampleSettings(ServiceSettings):
    service_name: ClassVar[str] = "sample"


def settings(database_url: str, schema: str, bootstrap: str, prefix: str, **extra: Any) -> SampleSettings:
    return SampleSettings(
        database_url=database_url,
        database_schema=schema,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        environment="test",
        graceful_timeout_s=5,
        **extra,
    )


async def record_effect(uow: SqlUnitOfWork[Any], event: Any) -> None:
    """The effect of a message: one row in `effects`."""
    await uow.session.execute(
        text("INSERT INTO effects (event_id, account_id, note) VALUES (:e, :a, :n)"),
        {"e": event.event_id, "a": event.account_id, "n": event.event_type},
    )


async def record_effects(uow: SqlUnitOfWork[Any], events: list[Any]) -> None:
    """The effect of a batch: one row each, in one round trip."""
    await uow.session.execute(
        text("INSERT INTO effects (event_id, account_id, note) VALUES (:e, :a, :n)"),
        [{"e": e.event_id, "a": e.account_id, "n": e.event_type} for e in events],
    )


def runtime(
    cfg: SampleSettings,
    handler: Callable[..., Any] = record_effect,
    batch_size: int = 1,
    retry: RetryPolicy | None = None,
    bulk: bool = False,
    isolation_level: str | None = None,
) -> ServiceRuntime:
    topic = TOPICS["letters.events"]
    if bulk:
        sub = Subscription(
            topic,
            "sample.effects",
            batch_size=batch_size,
            batch_handler=record_effects,
            batch_types=(LetterSent,),
        )
    else:
        sub = Subscription(
            topic,
            "sample.effects",
            {LetterSent: handler},
            batch_size=batch_size,
            isolation_level=isolation_level,
        )
    resources = Resources.open(cfg)
    return ServiceRuntime(
        Service(
            resources,
            None,
            migrations=MIGRATIONS,
            title="sample",
            units=resources.units(lambda session: None),
            subscriptions=[sub],
            retry=retry or RetryPolicy(attempts=3, first_delay=0.05),
        )
    )


async def stage(session: AsyncSession, *events: Any) -> None:
    await outbox.add(session, *events)


async def effects(rt: ServiceRuntime) -> list[Any]:
    async with rt.sessions() as session:
        return list(
            (await session.execute(text("SELECT event_id, account_id, note FROM effects ORDER BY id"))).all()
        )


__all__ = ["LetterSent", "ProfileCompleted"]
