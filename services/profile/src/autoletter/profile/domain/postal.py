"""Postal code rules: a format check for the countries we post to most, a general shape elsewhere.

Codes are compared upper-case with runs of spaces collapsed; where a country writes a space
inside the code (NL, GB), the canonical form has it, so `1234ab` and `1234 AB` are the same code.
"""

from __future__ import annotations

import re
from collections.abc import Callable


class InvalidPostalCode(ValueError):
    """The code does not fit its country; the message says what is expected."""


def _rule(pattern: str, expected: str) -> tuple[re.Pattern[str], str]:
    # ASCII: `\d` would otherwise accept any Unicode digit, e.g. Arabic-Indic ones.
    return re.compile(pattern, re.ASCII), expected


_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "DE": _rule(r"\d{5}", "five digits, e.g. 10115"),
    "AT": _rule(r"[1-9]\d{3}", "four digits, e.g. 1010"),
    "CH": _rule(r"[1-9]\d{3}", "four digits, e.g. 8001"),
    "FR": _rule(r"\d{5}", "five digits, e.g. 75001"),
    "BE": _rule(r"[1-9]\d{3}", "four digits, e.g. 1000"),
    "NL": _rule(r"[1-9]\d{3} ?[A-Z]{2}", "four digits and two letters, e.g. 1012 AB"),
    "LU": _rule(r"(L-?)?\d{4}", "four digits, e.g. 1009 or L-1009"),
    "IT": _rule(r"\d{5}", "five digits, e.g. 00184"),
    "ES": _rule(r"(0[1-9]|[1-4]\d|5[0-2])\d{3}", "five digits from 01000 to 52999, e.g. 28001"),
    "GB": _rule(r"GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "a UK postcode, e.g. SW1A 1AA"),
    "US": _rule(r"\d{5}(-\d{4})?", "a ZIP code, e.g. 10001 or 10001-1234"),
}


def _split(at: int) -> Callable[[str], str]:
    """Write the code with exactly one space before position `at` (negative: from the end)."""

    def canonical(code: str) -> str:
        bare = code.replace(" ", "")
        return f"{bare[:at]} {bare[at:]}"

    return canonical


_CANONICAL: dict[str, Callable[[str], str]] = {"NL": _split(4), "GB": _split(-3)}

#: No postal code anywhere is longer than this; a longer value is a mistake.
MAX_LENGTH = 12
_GENERIC = re.compile(r"[A-Z0-9][A-Z0-9 -]*", re.ASCII)


def checked_postal_code(code: str, country: str | None) -> str:
    """The canonical form of `code` for `country`, or InvalidPostalCode saying what is expected."""
    value = " ".join(code.upper().split())
    if len(value) > MAX_LENGTH:
        raise InvalidPostalCode(f"must be at most {MAX_LENGTH} characters")
    rule = _RULES.get(country or "")
    if rule is None:
        if not _GENERIC.fullmatch(value):
            raise InvalidPostalCode("may contain only letters, digits, spaces and hyphens")
        return value
    pattern, expected = rule
    if not pattern.fullmatch(value):
        raise InvalidPostalCode(f"is not a valid postal code for {country}: expected {expected}")
    canonical = _CANONICAL.get(country or "")
    return canonical(value) if canonical else value
