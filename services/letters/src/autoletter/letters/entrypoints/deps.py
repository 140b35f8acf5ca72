"""What letters' routes and jobs depend on: the Deps its bootstrap built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.letters import metrics
from autoletter.letters.adapters.repository import LettersRepository
from autoletter.letters.handlers.common import LettersContext
from autoletter.letters.handlers.dispatch import LetterDispatcher
from autoletter.letters.handlers.holds import expire_held_letters
from autoletter.letters.handlers.retention import delete_idle_documents
from autoletter.letters.settings import LettersSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.service import deps_of
from autoletter.runtime.uow import Units


@dataclass(frozen=True)
class Deps:
    """Everything letters' entrypoints and jobs use, wired once in bootstrap."""

    settings: LettersSettings
    clock: Clock
    #: For reading only; what writes opens a unit of work from `units`.
    sessions: async_sessionmaker[AsyncSession]
    #: Opens the handlers' units of work (a transaction committed when the block ends).
    units: Units[LettersRepository]
    #: The handlers' dependencies (limits, document rules, the accepted-letters channel).
    letters: LettersContext
    dispatcher: LetterDispatcher

    async def expire_held_letters(self) -> int:
        """One expiry sweep (a job's step; tests call it)."""
        return await expire_held_letters(self.units, self.letters)

    async def delete_idle_documents(self) -> int:
        """One cleanup of uploaded documents (a job's step; tests call it)."""
        return await delete_idle_documents(self.units, self.settings.document_retention)

    async def refresh_metrics(self) -> None:
        """The gauges, from the database (a job's step)."""
        await metrics.refresh(self.sessions, self.clock.now())


DepsDep = Annotated[Deps, Depends(deps_of)]
