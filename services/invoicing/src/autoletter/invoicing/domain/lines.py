"""Priced usage and the invoice lines a customer reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from autoletter.contracts.common import Service
from autoletter.invoicing.domain.money import format_amount
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.pricing import Price, PriceList, charge


@dataclass(frozen=True)
class Usage:
    """One sent letter, priced once at its ``sent_at`` (the price is kept, never recomputed)."""

    letter_id: UUID
    service: Service
    sent_at: datetime
    sheets: int
    letter_cents: int
    extra_sheet_cents: int

    @property
    def extra_sheets(self) -> int:
        return self.sheets - 1

    @property
    def amount_cents(self) -> int:
        return self.letter_cents + self.extra_sheets * self.extra_sheet_cents


def price_usage(
    prices: PriceList, *, letter_id: UUID, service: Service, sent_at: datetime, sheets: int
) -> Usage:
    """Price a sent letter with the price in force for its service when it was sent."""
    return usage_at(prices.in_force(service, sent_at), letter_id=letter_id, sent_at=sent_at, sheets=sheets)


def usage_at(price: Price, *, letter_id: UUID, sent_at: datetime, sheets: int) -> Usage:
    """A letter of ``price``'s service priced at ``price`` (the one in force at ``sent_at``)."""
    c = charge(price, sheets)
    return Usage(letter_id, price.service, sent_at, sheets, c.letter_cents, c.extra_sheet_cents)


@dataclass(frozen=True)
class InvoiceLine:
    """One line of an invoice: a quantity of one thing at one unit price, from one month."""

    key: str
    description: str
    quantity: int
    unit_cents: int
    period: Period

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_cents


_LETTERS, _SHEETS = "letters", "sheets"
#: Typography customers read on their invoice: an en dash and a multiplication sign.
DASH, TIMES = "\u2013", "\u00d7"


def build_lines(service: Service, usage: Iterable[Usage], currency: str = "eur") -> list[InvoiceLine]:
    """Group usage into lines: letters and extra sheets, per month sent and unit price.

    Late or carried-over usage keeps the month it was sent in, so its line says so. Zero-amount
    lines are left out (they would only confuse).
    """
    quantities: dict[tuple[Period, str, int], int] = defaultdict(int)
    for u in usage:
        if u.service != service:
            raise ValueError(f"usage of {u.service} on a {service} invoice")
        month = Period.containing(u.sent_at)
        quantities[(month, _LETTERS, u.letter_cents)] += 1
        if u.extra_sheets:
            quantities[(month, _SHEETS, u.extra_sheet_cents)] += u.extra_sheets
    lines = []
    for (month, kind, unit), quantity in sorted(quantities.items(), key=lambda kv: _order(kv[0])):
        if quantity and unit:
            lines.append(
                InvoiceLine(
                    key=f"{month}:{kind}:{unit}",
                    description=_describe(service, kind, month, quantity, unit, currency),
                    quantity=quantity,
                    unit_cents=unit,
                    period=month,
                )
            )
    return lines


def _order(key: tuple[Period, str, int]) -> tuple[Period, int, int]:
    month, kind, unit = key
    return month, 0 if kind == _LETTERS else 1, unit


def _describe(service: Service, kind: str, month: Period, quantity: int, unit: int, currency: str) -> str:
    what = f"{service.value.capitalize()} letters"
    if kind == _SHEETS:
        what += ", extra sheets"
    return f"{what} {DASH} {month.label}: {quantity} {TIMES} {format_amount(unit, currency)}"


def total(lines: Sequence[InvoiceLine]) -> int:
    return sum(line.amount_cents for line in lines)


def billable(usage: Iterable[Usage], period: Period) -> list[Usage]:
    """Unbilled usage a close of ``period`` takes: everything sent before the period's end.

    Earlier months' usage is included: late letters and amounts carried over below the minimum.
    """
    return [u for u in usage if u.sent_at < period.end]


def worth_invoicing(amount_cents: int, minimum_cents: int) -> bool:
    """Stripe refuses to charge below its minimum; smaller amounts wait for the next period."""
    return amount_cents > 0 and amount_cents >= minimum_cents
