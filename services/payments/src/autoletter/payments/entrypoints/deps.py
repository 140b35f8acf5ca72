"""What payments' routes depend on: the Deps its bootstrap built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.payments.adapters.event_store import NewEvent
from autoletter.payments.adapters.repository import PaymentsRepository
from autoletter.payments.entrypoints.processor import WebhookProcessor
from autoletter.payments.handlers.common import Context
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.grouping import GroupWriter
from autoletter.runtime.service import deps_of
from autoletter.runtime.uow import Units


@dataclass(frozen=True)
class Deps:
    """Everything payments' entrypoints use, wired once in bootstrap."""

    settings: PaymentsSettings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    #: Opens payments' units of work (a transaction, its repository, staged events).
    units: Units[PaymentsRepository]
    #: What handlers need besides their unit of work (the Stripe gateway).
    ctx: Context
    #: Processes the stored Stripe events; the webhook route wakes it.
    processor: WebhookProcessor
    #: Stores verified webhooks in groups (entrypoints/webhook.py `intake`).
    intake: GroupWriter[NewEvent, bool]


DepsDep = Annotated[Deps, Depends(deps_of)]
