"""The unit of work a handler receives: one transaction's repositories, the events it stages for the
outbox, and the account locks it takes. The caller opens and commits it; a handler never commits.

`UnitOfWork` is what handlers are typed on, so a fast test can hand them a fake (`FakeUnitOfWork`,
no database); `SqlUnitOfWork` is the real one over a session, which `Units` opens for routes and jobs
and the consumer opens around each message or batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.contracts import Envelope, caused_by, new_event
from autoletter.runtime import outbox
from autoletter.runtime.clock import Clock
from autoletter.runtime.db import lock_account

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
E = TypeVar("E", bound=Envelope)

#: Trace headers by event id, for events that continue another trace than the current span's.
Traces = Mapping[UUID, Mapping[str, str]]


class UnitOfWork(Protocol[R_co]):
    """What a handler may do inside its transaction."""

    @property
    def repos(self) -> R_co:
        """The service's repositories, bound to this transaction."""
        ...

    def now(self) -> datetime:
        """The service clock's time (a fake clock in tests)."""
        ...

    async def lock(self, scope: str, account_id: str) -> None:
        """Serialise this account's writes in `scope` until the transaction ends."""
        ...

    async def stage(self, *events: Envelope, traces: Traces | None = None) -> None:
        """Publish `events` if and when the transaction commits (transactional outbox)."""
        ...

    def new_event(
        self, cls: type[E], *, account_id: str, occurred_at: datetime | None = None, **payload: Any
    ) -> E:
        """A message that starts a new flow, from this service, at `occurred_at` (default: now)."""
        ...

    def caused_by(
        self, cause: Envelope, cls: type[E], *, occurred_at: datetime | None = None, **payload: Any
    ) -> E:
        """A message caused by `cause` (same account and correlation), from this service, at
        `occurred_at` (default: now)."""
        ...


@dataclass(frozen=True)
class _Events:
    """Building events: one producer name and one clock for all of a service's messages."""

    producer: str
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()

    def new_event(
        self, cls: type[E], *, account_id: str, occurred_at: datetime | None = None, **payload: Any
    ) -> E:
        at = occurred_at or self.now()
        return new_event(cls, account_id=account_id, producer=self.producer, occurred_at=at, **payload)

    def caused_by(
        self, cause: Envelope, cls: type[E], *, occurred_at: datetime | None = None, **payload: Any
    ) -> E:
        at = occurred_at or self.now()
        return caused_by(cause, cls, producer=self.producer, occurred_at=at, **payload)


@dataclass(frozen=True)
class SqlUnitOfWork(_Events, Generic[R]):
    """The real unit of work: a session inside a transaction that its opener commits."""

    session: AsyncSession
    repos: R

    async def lock(self, scope: str, account_id: str) -> None:
        await lock_account(self.session, scope, account_id)

    async def stage(self, *events: Envelope, traces: Traces | None = None) -> None:
        await outbox.add(self.session, *events, traces=traces)


@dataclass(frozen=True)
class Units(Generic[R]):
    """Opens a service's units of work: its sessions, clock and producer name, and how its
    repositories are built over a session."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    producer: str
    repos: Callable[[AsyncSession], R]

    def over(self, session: AsyncSession) -> SqlUnitOfWork[R]:
        """A unit of work in a transaction someone else opened and commits (the consumer's)."""
        return SqlUnitOfWork(self.producer, self.clock, session, self.repos(session))

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[SqlUnitOfWork[R]]:
        """A new transaction, committed when the block ends without an exception, else rolled back."""
        async with self.sessions.begin() as session:
            yield self.over(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[R]:
        """Repositories for reading only (nothing is committed)."""
        async with self.sessions() as session:
            yield self.repos(session)


@dataclass(frozen=True)
class FakeUnitOfWork(_Events, Generic[R]):
    """A unit of work for fast handler tests: fake repositories, staged events and locks kept in
    lists, nothing written anywhere."""

    repos: R
    staged: list[Envelope] = field(default_factory=list)
    locks: list[tuple[str, str]] = field(default_factory=list)

    async def lock(self, scope: str, account_id: str) -> None:
        self.locks.append((scope, account_id))

    async def stage(self, *events: Envelope, traces: Traces | None = None) -> None:
        del traces
        self.staged.extend(events)
