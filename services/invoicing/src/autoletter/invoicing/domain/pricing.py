"""The versioned price list: which price is in force for a service at an instant."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from autoletter.contracts.common import Service


class NoPriceInForce(LookupError):
    """No version of the price list covers this service at this instant."""


class InvalidPriceList(ValueError):
    """The price list data is malformed."""


@dataclass(frozen=True)
class Price:
    """One version of one service's price, in force from ``effective_from`` until the next version."""

    service: Service
    effective_from: datetime
    letter_cents: int
    extra_sheet_cents: int
    currency: str = "eur"

    def __post_init__(self) -> None:
        if self.effective_from.tzinfo is None:
            raise InvalidPriceList("effective_from must carry a timezone")
        if self.letter_cents < 0 or self.extra_sheet_cents < 0:
            raise InvalidPriceList("prices are never negative")


@dataclass(frozen=True)
class Charge:
    """What one letter costs at the price in force when it was sent."""

    letter_cents: int
    extra_sheets: int
    extra_sheet_cents: int

    @property
    def amount_cents(self) -> int:
        return self.letter_cents + self.extra_sheets * self.extra_sheet_cents


def charge(price: Price, sheets: int) -> Charge:
    """The charge of a letter of ``sheets`` sheets: the letter, plus each sheet beyond the first."""
    if sheets < 1:
        raise ValueError("a letter has at least one sheet")
    return Charge(price.letter_cents, sheets - 1, price.extra_sheet_cents)


@dataclass(frozen=True)
class PriceList:
    """All versions of all services' prices."""

    versions: tuple[Price, ...]
    #: Per service, its versions' start instants and the versions, in order (looked up per letter).
    _by_service: dict[Service, tuple[list[datetime], list[Price]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        keys = [(p.service, p.effective_from) for p in self.versions]
        if len(keys) != len(set(keys)):
            raise InvalidPriceList("two versions of one service take effect at the same instant")
        ordered = tuple(sorted(self.versions, key=lambda p: (p.service, p.effective_from)))
        object.__setattr__(self, "versions", ordered)
        by_service: dict[Service, tuple[list[datetime], list[Price]]] = {}
        for price in ordered:
            starts, prices = by_service.setdefault(price.service, ([], []))
            starts.append(price.effective_from)
            prices.append(price)
        object.__setattr__(self, "_by_service", by_service)

    def in_force(self, service: Service, at: datetime) -> Price:
        """The latest version of the service's price that took effect at or before ``at``."""
        starts, prices = self._by_service.get(service, ((), ()))
        i = bisect_right(starts, at)
        if i == 0:
            raise NoPriceInForce(f"no {service} price in force at {at.isoformat()}")
        return prices[i - 1]


def parse_price_list(data: Mapping[str, Any]) -> PriceList:
    """Build the price list from its file's data (``[[price]]`` tables, optional top-level currency)."""
    currency = str(data.get("currency", "eur")).lower()
    entries = data.get("price")
    if not isinstance(entries, list) or not entries:
        raise InvalidPriceList("the price list has no [[price]] entries")
    return PriceList(tuple(_price(entry, currency) for entry in entries))


def _price(entry: Mapping[str, Any], currency: str) -> Price:
    try:
        when = entry["effective_from"]
        if not isinstance(when, datetime):
            when = datetime.fromisoformat(str(when))
        return Price(
            service=Service(entry["service"]),
            effective_from=when,
            letter_cents=int(entry["letter_cents"]),
            extra_sheet_cents=int(entry["extra_sheet_cents"]),
            currency=str(entry.get("currency", currency)).lower(),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidPriceList(f"bad price entry {dict(entry)!r}: {exc}") from exc
