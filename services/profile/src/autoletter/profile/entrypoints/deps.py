"""What profile's routes depend on: the Deps its bootstrap built, and the account of the path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.profile.adapters.repository import ProfileRepository
from autoletter.profile.settings import ProfileSettings
from autoletter.runtime.auth import CurrentPrincipal, authorize_account
from autoletter.runtime.service import deps_of
from autoletter.runtime.uow import Units


@dataclass(frozen=True)
class Deps:
    """Everything profile's entrypoints use, wired once in bootstrap."""

    settings: ProfileSettings
    #: For the runtime's own queries (reconciliation); profile's handlers use `units`.
    sessions: async_sessionmaker[AsyncSession]
    #: Opens profile's units of work (a route commits the one it opens before it responds).
    units: Units[ProfileRepository]


DepsDep = Annotated[Deps, Depends(deps_of)]

AccountPath = Annotated[str, Path(min_length=1, max_length=64)]


def own_account(principal: CurrentPrincipal, account_id: AccountPath) -> str:
    """The account of the path, once the token may act on it (else 404, before the body is read)."""
    authorize_account(principal, account_id)
    return account_id


OwnAccount = Annotated[str, Depends(own_account)]
