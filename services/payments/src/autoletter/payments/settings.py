"""Settings of the payments service (env: PAYMENTS_<FIELD> or AUTOLETTER_<FIELD>)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, model_validator

from autoletter.runtime.settings import Environment
from autoletter.stripe import StripeSettings


class PaymentsSettings(StripeSettings):
    """Stripe keys, hosted-page URLs and webhook processing."""

    service_name: ClassVar[str] = "payments"
    http_port: int = 8002

    stripe_webhook_secret: SecretStr = SecretStr("whsec_dev_only")
    stripe_webhook_tolerance_s: int = 300

    #: Offered on the hosted setup page (DESIGN §1: configurable).
    checkout_payment_method_types: list[str] = Field(default_factory=lambda: ["card", "sepa_debit"])
    checkout_success_url: str = "http://localhost:3000/billing?setup=success"
    checkout_cancel_url: str = "http://localhost:3000/billing?setup=cancelled"
    portal_return_url: str = "http://localhost:3000/billing"
    #: Hosts a redirect URL given in a request may point to (no open redirects through Stripe).
    redirect_allowed_hosts: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1"])

    webhook_workers: int = 2
    webhook_poll_interval_s: float = 1.0
    webhook_max_attempts: int = 15
    webhook_max_backoff_s: float = 300.0

    @model_validator(mode="after")
    def _no_dev_webhook_secret_in_production(self) -> PaymentsSettings:
        if (
            self.environment is Environment.PRODUCTION
            and self.stripe_webhook_secret.get_secret_value() == "whsec_dev_only"
        ):
            raise ValueError("stripe_webhook_secret: the development default is refused in production")
        return self
