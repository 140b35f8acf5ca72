"""Money is integer cents; this only formats it for people."""

from __future__ import annotations

_SYMBOLS = {"eur": "€"}


def format_amount(cents: int, currency: str = "eur") -> str:
    """``95`` → ``€0.95``; other currencies print their code."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    symbol = _SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{whole}.{frac:02d}"
    return f"{sign}{whole}.{frac:02d} {currency.upper()}"
