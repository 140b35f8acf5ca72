"""Which Stripe failures are outages: the runtime waits those out (`TransientError`) and never
dead-letters a message for them; any other Stripe error is the request's fault."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import stripe
from autoletter.runtime.failures import TransientError

P = ParamSpec("P")
T = TypeVar("T")


def is_outage(exc: stripe.StripeError) -> bool:
    """Stripe unreachable, rate-limiting us, or failing on its side (5xx)."""
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    return (exc.http_status or 0) >= 500


@contextmanager
def outages_as_transient() -> Iterator[None]:
    """Re-raise a Stripe outage as TransientError (chained); other errors pass through unchanged.
    The message names the error's type and status only: Stripe's text may quote request parameters."""
    try:
        yield
    except stripe.StripeError as exc:
        if is_outage(exc):
            status = f" (HTTP {exc.http_status})" if exc.http_status else ""
            raise TransientError(f"Stripe is unavailable: {type(exc).__name__}{status}") from exc
        raise


def outages_transient(call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """A gateway method whose Stripe outages are raised as TransientError (see outages_as_transient)."""

    @functools.wraps(call)
    async def translated(*args: P.args, **kwargs: P.kwargs) -> T:
        with outages_as_transient():
            return await call(*args, **kwargs)

    return translated
