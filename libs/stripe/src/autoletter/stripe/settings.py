"""The settings of a service that calls Stripe: one key, one API base, one development default."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from autoletter.runtime.settings import Environment, ServiceSettings

#: The one development key: a test-mode key that only stripe-mock and the local emulator accept
#: (stripe-mock refuses a key with more underscores as not "valid looking").
DEV_API_KEY = "sk_test_autoletterlocal"


class StripeSettings(ServiceSettings):
    """A service's settings plus Stripe's (``<SERVICE>_STRIPE_API_KEY`` or ``AUTOLETTER_STRIPE_API_KEY``)."""

    stripe_api_key: SecretStr = Field(default=SecretStr(DEV_API_KEY), description="Stripe secret key.")
    stripe_api_base: str | None = Field(
        default=None, description="stripe-mock or the emulator in development and tests (unset: Stripe's)."
    )

    @model_validator(mode="after")
    def _no_dev_stripe_key_in_production(self) -> StripeSettings:
        key = self.stripe_api_key.get_secret_value()
        if self.environment is Environment.PRODUCTION and key == DEV_API_KEY:
            raise ValueError("stripe_api_key: the development default is refused in production")
        return self
