"""The one place the Stripe API version is pinned, and the client every service uses.

stripe-python 15.6.x sends API version 2026-08-26.dahlia, the spec embedded in stripe-mock v0.203.0,
so every request checked by stripe-mock is checked against the shapes we really get.
"""

from __future__ import annotations

import stripe

API_VERSION = "2026-08-26.dahlia"


def client(api_key: str, *, api_base: str | None = None, max_network_retries: int = 3) -> stripe.StripeClient:
    """A StripeClient pinned to API_VERSION; 429 and network errors are retried with backoff."""
    base = {"api": api_base} if api_base else {}
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=max_network_retries,
        http_client=stripe.HTTPXClient(),
    )
