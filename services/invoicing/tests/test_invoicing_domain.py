"""Periods, prices, lines and invoice states: pure functions, with hypothesis properties."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoletter.contracts.common import Service
from autoletter.invoicing.domain.invoice_state import (
    TRANSITIONS,
    InvoiceState,
    PaymentOutcome,
    after_finalised,
    after_payment_event,
)
from autoletter.invoicing.domain.lines import (
    Usage,
    billable,
    build_lines,
    price_usage,
    total,
    worth_invoicing,
)
from autoletter.invoicing.domain.money import format_amount
from autoletter.invoicing.domain.period import InvalidPeriod, Period, due_for_close
from autoletter.invoicing.domain.pricing import NoPriceInForce, Price, PriceList, parse_price_list

T0 = datetime(2020, 1, 1, tzinfo=UTC)
DEFAULTS = PriceList(
    (
        Price(Service.STANDARD, T0, 95, 15),
        Price(Service.REGISTERED, T0, 420, 15),
    )
)
instants = st.datetimes(
    min_value=datetime(2021, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
services = st.sampled_from(list(Service))


def test_a_period_reads_like_a_month() -> None:
    period = Period.parse("2026-11")
    assert str(period) == "2026-11"
    assert period.label == "November 2026"
    assert period.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 1, tzinfo=UTC)
    assert str(Period.parse("2026-12").next()) == "2027-01"
    assert str(Period.parse("2027-01").previous()) == "2026-12"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "2026/11", "", "2026-1", "november"])
def test_a_malformed_period_is_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse(text)


@given(instants)
def test_every_instant_is_in_exactly_the_period_that_contains_it(at: datetime) -> None:
    period = Period.containing(at)
    assert period.contains(at)
    assert not period.next().contains(at) and not period.previous().contains(at)
    assert period.next().previous() == period and period.end == period.next().start


def test_the_schedule_closes_last_month_after_the_grace_delay() -> None:
    grace = timedelta(hours=6)
    assert due_for_close(datetime(2026, 12, 1, 5, tzinfo=UTC), grace) is None
    assert due_for_close(datetime(2026, 12, 1, 6, tzinfo=UTC), grace) == Period(2026, 11)
    assert due_for_close(datetime(2027, 1, 20, tzinfo=UTC), grace) == Period(2026, 12)


def test_the_default_price_list_file_has_the_designed_prices() -> None:
    from autoletter.invoicing.adapters.prices_repo import read_price_file
    from autoletter.invoicing.settings import DEFAULT_PRICE_LIST

    prices = read_price_file(DEFAULT_PRICE_LIST)
    now = datetime(2026, 11, 5, tzinfo=UTC)
    assert (
        prices.in_force(Service.STANDARD, now).letter_cents,
        prices.in_force(Service.STANDARD, now).extra_sheet_cents,
    ) == (95, 15)
    assert prices.in_force(Service.REGISTERED, now).letter_cents == 420


def test_no_price_before_the_first_version() -> None:
    with pytest.raises(NoPriceInForce):
        DEFAULTS.in_force(Service.STANDARD, datetime(2019, 12, 31, tzinfo=UTC))


def test_lines_read_like_an_invoice() -> None:
    at = datetime(2026, 11, 10, tzinfo=UTC)
    usage = [
        price_usage(DEFAULTS, letter_id=uuid.uuid4(), service=Service.STANDARD, sent_at=at, sheets=s)
        for s in [1] * 35 + [3, 2]
    ]
    lines = build_lines(Service.STANDARD, usage)
    assert [line.description for line in lines] == [
        "Standard letters \u2013 November 2026: 37 \u00d7 \u20ac0.95",
        "Standard letters, extra sheets \u2013 November 2026: 3 \u00d7 \u20ac0.15",
    ]
    assert total(lines) == 37 * 95 + 3 * 15
    assert format_amount(420) == "\u20ac4.20"


def test_lines_of_one_service_never_take_the_other_services_usage() -> None:
    at = datetime(2026, 11, 10, tzinfo=UTC)
    registered = price_usage(
        DEFAULTS, letter_id=uuid.uuid4(), service=Service.REGISTERED, sent_at=at, sheets=1
    )
    with pytest.raises(ValueError, match="registered"):
        build_lines(Service.STANDARD, [registered])


usages = st.lists(
    st.tuples(services, instants, st.integers(min_value=1, max_value=12)), min_size=0, max_size=60
)


@given(usages)
def test_lines_sum_to_the_invoice_total(raw: list[tuple[Service, datetime, int]]) -> None:
    for service in Service:
        usage = [
            price_usage(DEFAULTS, letter_id=uuid.uuid4(), service=s, sent_at=at, sheets=n)
            for s, at, n in raw
            if s == service
        ]
        lines = build_lines(service, usage)
        assert total(lines) == sum(u.amount_cents for u in usage)
        assert sum(line.quantity for line in lines if ":letters:" in line.key) == len(usage)
        assert all(line.amount_cents > 0 for line in lines)


@given(
    instants,
    st.lists(st.tuples(st.floats(0, 1), st.integers(1, 5)), max_size=40),
    st.integers(0, 1000),
    st.integers(0, 100),
)
def test_a_price_change_mid_month_prices_each_letter_at_its_own_time(
    change_at: datetime, letters: list[tuple[float, int]], new_letter: int, new_sheet: int
) -> None:
    prices = PriceList((*DEFAULTS.versions, Price(Service.STANDARD, change_at, new_letter, new_sheet)))
    period = Period.containing(change_at)
    span = (period.end - period.start).total_seconds()
    usage = [
        price_usage(
            prices,
            letter_id=uuid.uuid4(),
            service=Service.STANDARD,
            sent_at=period.start + timedelta(seconds=frac * (span - 1)),
            sheets=sheets,
        )
        for frac, sheets in letters
    ]
    expected = sum(
        (95 + 15 * (u.sheets - 1)) if u.sent_at < change_at else (new_letter + new_sheet * (u.sheets - 1))
        for u in usage
    )
    assert total(build_lines(Service.STANDARD, usage)) == expected


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 4)), max_size=50),
    st.integers(0, 300),
)
def test_every_letter_lands_on_exactly_one_invoice(
    arrivals: list[tuple[int, int, int]], minimum: int
) -> None:
    """Letters arrive late (sent in month m, recorded at the close of month m + delay); each monthly
    close bills what is unbilled and sent before its end unless it is below the minimum; a last close
    without minimum bills the rest. Every letter ends on one invoice, never two."""
    first = Period(2026, 1)
    months = [first]
    for _ in range(12):
        months.append(months[-1].next())
    ledger: dict[int, tuple[Usage, int]] = {}  # letter number -> (usage, month index it is recorded at)
    for n, (sent_month, delay, sheets) in enumerate(arrivals):
        at = months[sent_month].start + timedelta(days=3)
        ledger[n] = (
            price_usage(
                DEFAULTS, letter_id=uuid.UUID(int=n), service=Service.STANDARD, sent_at=at, sheets=sheets
            ),
            sent_month + delay,
        )
    invoice_of: dict[int, int] = {}
    for index, month in enumerate(months):
        last = index == len(months) - 1
        unbilled = [u for n, (u, seen) in ledger.items() if n not in invoice_of and seen <= index]
        taken = billable(unbilled, month)
        if worth_invoicing(total(build_lines(Service.STANDARD, taken)), 0 if last else minimum) or not taken:
            for u in taken:
                assert u.letter_id.int not in invoice_of
                invoice_of[u.letter_id.int] = index
    assert set(invoice_of) == set(ledger)


@given(st.lists(st.sampled_from(list(PaymentOutcome)), max_size=12))
def test_payment_outcomes_never_move_an_invoice_backwards(outcomes: list[PaymentOutcome]) -> None:
    state = InvoiceState.ISSUED
    for outcome in outcomes:
        new = after_payment_event(state, outcome)
        # along DESIGN §5's table only (a debit failing for good takes its two steps at once)
        two_steps = TRANSITIONS[InvoiceState.PAYMENT_FAILED] if state is InvoiceState.PROCESSING else set()
        assert new == state or new in TRANSITIONS[state] or new in two_steps
        if state is InvoiceState.VOID or (
            state is InvoiceState.PAID and outcome is not PaymentOutcome.DISPUTE_LOST
        ):
            assert new == state
        state = new


def test_the_documented_payment_journeys() -> None:
    s = after_payment_event(InvoiceState.ISSUED, PaymentOutcome.FAILED_RETRYING)
    assert s is InvoiceState.PAYMENT_FAILED
    assert after_payment_event(s, PaymentOutcome.SUCCEEDED) is InvoiceState.PAID
    s = after_payment_event(s, PaymentOutcome.FAILED_FINAL)
    assert s is InvoiceState.UNCOLLECTIBLE
    assert after_payment_event(s, PaymentOutcome.FAILED_RETRYING) is InvoiceState.UNCOLLECTIBLE
    assert after_payment_event(s, PaymentOutcome.SUCCEEDED) is InvoiceState.PAID
    assert after_payment_event(InvoiceState.PAID, PaymentOutcome.FAILED_FINAL) is InvoiceState.PAID
    assert after_payment_event(InvoiceState.PAID, PaymentOutcome.VOIDED) is InvoiceState.PAID
    assert after_payment_event(InvoiceState.ISSUED, PaymentOutcome.VOIDED) is InvoiceState.VOID
    assert after_payment_event(InvoiceState.VOID, PaymentOutcome.SUCCEEDED) is InvoiceState.VOID
    assert after_finalised(InvoiceState.LINES_ADDED) is InvoiceState.ISSUED
    assert after_finalised(InvoiceState.PAID) is InvoiceState.PAID


def test_a_price_list_file_with_a_bad_entry_is_refused() -> None:
    from autoletter.invoicing.domain.pricing import InvalidPriceList

    with pytest.raises(InvalidPriceList):
        parse_price_list(
            {
                "price": [
                    {
                        "service": "express",
                        "effective_from": "2020-01-01T00:00:00+00:00",
                        "letter_cents": 1,
                        "extra_sheet_cents": 1,
                    }
                ]
            }
        )
    with pytest.raises(InvalidPriceList):
        parse_price_list({"price": []})
