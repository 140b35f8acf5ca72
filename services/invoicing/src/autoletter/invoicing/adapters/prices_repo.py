"""The price list: read from its file, upserted into the database, read back for pricing."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import Service
from autoletter.invoicing.adapters.tables import prices
from autoletter.invoicing.domain.pricing import Price, PriceList, parse_price_list


def read_price_file(path: Path) -> PriceList:
    """Parse the price list file (TOML)."""
    with path.open("rb") as f:
        return parse_price_list(tomllib.load(f))


async def upsert_prices(session: AsyncSession, price_list: PriceList) -> None:
    """Make the database hold every version of the file; idempotent, safe in every replica.

    Versions are keyed by service and effective date. Usage keeps the unit prices it was priced at,
    so even a corrected version never rewrites what is already in the ledger.
    """
    rows = [
        {
            "service": p.service.value,
            "effective_from": p.effective_from,
            "letter_cents": p.letter_cents,
            "extra_sheet_cents": p.extra_sheet_cents,
            "currency": p.currency,
        }
        for p in price_list.versions
    ]
    stmt = insert(prices).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["service", "effective_from"],
        set_={c: stmt.excluded[c] for c in ("letter_cents", "extra_sheet_cents", "currency")},
    )
    await session.execute(stmt)


async def load_prices(session: AsyncSession) -> PriceList:
    rows = (await session.execute(select(prices))).all()
    return PriceList(
        tuple(
            Price(
                service=Service(r.service),
                effective_from=r.effective_from,
                letter_cents=r.letter_cents,
                extra_sheet_cents=r.extra_sheet_cents,
                currency=r.currency,
            )
            for r in rows
        )
    )


class PriceBook:
    """The database's price list, re-read at most every ``ttl`` seconds (it changes on deploys)."""

    def __init__(self, ttl: float = 60.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: PriceList | None = None
        self._loaded_at = 0.0

    async def get(self, session: AsyncSession) -> PriceList:
        now = self._monotonic()
        if self._cached is None or now - self._loaded_at > self._ttl:
            self._cached = await load_prices(session)
            self._loaded_at = now
        return self._cached

    def invalidate(self) -> None:
        self._cached = None
