"""Everything our services share about Stripe: the pinned API version and client, the settings with
their one development key, and which Stripe errors are outages. The runtime knows nothing of Stripe."""

from autoletter.stripe.api import API_VERSION, client
from autoletter.stripe.errors import is_outage, outages_as_transient, outages_transient
from autoletter.stripe.settings import DEV_API_KEY, StripeSettings

__all__ = [
    "API_VERSION",
    "DEV_API_KEY",
    "StripeSettings",
    "client",
    "is_outage",
    "outages_as_transient",
    "outages_transient",
]
