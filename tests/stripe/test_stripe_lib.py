"""autoletter.stripe: which Stripe errors are outages, and the one development key."""

from __future__ import annotations

from typing import ClassVar

import pytest
import stripe
from pydantic import ValidationError

from autoletter.runtime.failures import Failure, TransientError, classify
from autoletter.stripe import DEV_API_KEY, StripeSettings, outages_as_transient, outages_transient

OUTAGES = [
    stripe.APIConnectionError("unreachable"),
    stripe.RateLimitError("slow down", http_status=429),
    stripe.APIError("boom", http_status=503),
]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_a_stripe_outage_is_raised_as_transient_and_waited_out(error: stripe.StripeError) -> None:
    with pytest.raises(TransientError) as raised, outages_as_transient():
        raise error
    assert raised.value.__cause__ is error
    assert classify(raised.value) is Failure.OUTAGE
    assert type(error).__name__ in str(raised.value)


def test_any_other_stripe_error_is_the_requests_fault_and_passes_through() -> None:
    refused = stripe.InvalidRequestError("No such customer: 'cus_x'", "customer", http_status=404)
    with pytest.raises(stripe.InvalidRequestError) as raised, outages_as_transient():
        raise refused
    assert raised.value is refused
    assert classify(refused) is Failure.MESSAGE


async def test_a_gateway_method_raises_its_outages_as_transient() -> None:
    calls = []

    @outages_transient
    async def retrieve(customer_id: str) -> str:
        calls.append(customer_id)
        raise stripe.APIConnectionError("unreachable")

    with pytest.raises(TransientError):
        await retrieve("cus_1")
    assert calls == ["cus_1"]


class PaymentsLike(StripeSettings):
    service_name: ClassVar[str] = "paymentslike"


def test_one_development_key_refused_in_production() -> None:
    assert PaymentsLike().stripe_api_key.get_secret_value() == DEV_API_KEY
    with pytest.raises(ValidationError, match="stripe_api_key: the development default is refused"):
        PaymentsLike(environment="production", jwt_secret="x" * 40)
    live = PaymentsLike(environment="production", jwt_secret="x" * 40, stripe_api_key="sk_live_real")
    assert "sk_live_real" not in repr(live)
