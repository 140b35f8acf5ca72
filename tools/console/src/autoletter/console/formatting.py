"""Dates, amounts, months and countries as a person reads them in their language (Babel, CLDR data)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pycountry
from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.numbers import format_currency

#: Customers are in France and Germany: every time is shown in Paris time, whatever the server's zone.
PARIS = ZoneInfo("Europe/Paris")
NOTHING = "—"


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@cache
def countries(locale: str) -> tuple[tuple[str, str], ...]:
    """(ISO 3166-1 alpha-2 code, name in the locale), sorted as a reader expects (accents ignored)."""
    names = Locale.parse(locale).territories
    found = [(c.alpha_2, names.get(c.alpha_2) or c.name) for c in pycountry.countries]

    def key(item: tuple[str, str]) -> str:
        return unicodedata.normalize("NFKD", item[1]).encode("ascii", "ignore").decode().casefold()

    return tuple(sorted(found, key=key))


@dataclass(frozen=True)
class Formatter:
    """One locale's way of writing money, moments, billing months and countries."""

    locale: str

    def money(self, cents: Any, currency: str | None = "eur") -> str:
        """Integer cents → « 1,90 € » (fr), "1,90 €" (de), "€1.90" (en)."""
        if not isinstance(cents, int) or isinstance(cents, bool):
            return NOTHING
        return format_currency(Decimal(cents) / 100, (currency or "eur").upper(), locale=self.locale)

    def when(self, value: Any) -> str:
        """A moment in Paris time: « 1 déc. 2026, 00:30 »."""
        moment = _moment(value)
        if moment is None:
            return NOTHING
        if moment.tzinfo is None:
            return str(value)
        local = moment.astimezone(PARIS)
        day = format_skeleton("yMMMd", local, locale=self.locale)
        return f"{day}, {format_time(local, 'short', locale=self.locale)}"

    def day(self, value: Any) -> str:
        moment = _moment(value)
        if moment is None:
            return NOTHING
        local = moment.astimezone(PARIS) if moment.tzinfo else moment
        return format_skeleton("yMMMd", local, locale=self.locale)

    def month(self, period: Any) -> str:
        """A billing period `YYYY-MM` (a UTC month) → « novembre 2026 »."""
        try:
            year, month = (int(p) for p in str(period).split("-"))
            return format_skeleton("yMMMM", date(year, month, 1), locale=self.locale)
        except ValueError:
            return str(period) if period else NOTHING

    def country(self, code: Any) -> str:
        text = str(code or "").upper()
        return Locale.parse(self.locale).territories.get(text, text) if text else ""
