"""SAMPLE (issue 14): the files one new event handler touches — handlers.py, consumers.py, this test."""

from __future__ import annotations

from autoletter.contracts.payments import PaymentFailed, ServiceStatusChanged
from autoletter.letters.domain.model import HoldLimits
from autoletter.letters.entrypoints import consumers
from autoletter.letters.handlers import LettersContext
from autoletter.letters.submission import DocumentRules
from autoletter.runtime.clock import SystemClock
from autoletter.runtime.notify import Channel


def test_payment_failed_is_registered_with_the_status_group() -> None:
    ctx = LettersContext(SystemClock(), HoldLimits(), DocumentRules(10**6, 10, True), Channel.of("t", "c"))
    status = next(s for s in consumers.subscriptions(ctx) if s.group == consumers.STATUS_GROUP)
    assert set(status.handlers) == {ServiceStatusChanged, PaymentFailed}
