"""What invoicing's routes and jobs depend on: the Deps its bootstrap built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.invoicing.adapters.prices_repo import PriceBook
from autoletter.invoicing.adapters.repository import InvoicingRepository
from autoletter.invoicing.adapters.stripe_billing import StripeBilling
from autoletter.invoicing.handlers.close import PeriodClose
from autoletter.invoicing.handlers.reconcile import Reconciler
from autoletter.invoicing.handlers.runs import CloseRunner
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.service import deps_of
from autoletter.runtime.uow import Units


@dataclass(frozen=True)
class Deps:
    """Everything invoicing's entrypoints and jobs use, wired once in bootstrap."""

    settings: InvoicingSettings
    clock: Clock
    #: For reading, and the close's and jobs' own transactions.
    sessions: async_sessionmaker[AsyncSession]
    #: Opens the handlers' units of work (a transaction committed when the block ends); the consumers
    #: open one around each message or batch.
    units: Units[InvoicingRepository]
    #: The price list the repositories read (cached; invalidated when the price file is loaded).
    prices: PriceBook
    billing: StripeBilling
    close: PeriodClose
    runs: CloseRunner
    reconciler: Reconciler


DepsDep = Annotated[Deps, Depends(deps_of)]
