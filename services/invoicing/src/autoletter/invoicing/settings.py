"""Invoicing settings: ``INVOICING_<FIELD>`` (or ``AUTOLETTER_<FIELD>``) in the environment."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from autoletter.stripe import StripeSettings

DEFAULT_PRICE_LIST = Path(__file__).with_name("prices.toml")


class InvoicingSettings(StripeSettings):
    service_name: ClassVar[str] = "invoicing"
    http_port: int = 8004

    stripe_requests_per_second: float = Field(default=20.0, gt=0, description="Our budget of Stripe calls.")
    stripe_max_attempts: int = Field(
        default=6,
        ge=1,
        description="Tries per Stripe call (429, 5xx, network).",
    )
    stripe_minimum_charge_cents: int = Field(default=50, ge=0, description="Below it, usage carries over.")
    currency: str = "eur"

    price_list_path: Path = DEFAULT_PRICE_LIST
    usage_batch_size: int = Field(default=500, ge=1)

    close_concurrency: int = Field(default=8, ge=1, description="Invoices in flight during a close.")
    close_schedule_enabled: bool = True
    close_grace_s: float = Field(
        default=6 * 3600, ge=0, description="Wait after a month ends before closing it (late letters)."
    )
    close_check_interval_s: float = Field(default=300.0, gt=0)
    recovery_check_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="How often recovery invoices of lost disputes waiting to be issued are looked for.",
    )

    # Reconciliation (DESIGN §5) reads letters' and payments' sides from their ops routes.
    letters_url: str = Field(default="http://127.0.0.1:8003", description="Letters' HTTP base URL.")
    payments_url: str = Field(default="http://127.0.0.1:8002", description="Payments' HTTP base URL.")
    reconciliation_schedule_enabled: bool = True
    reconciliation_every_s: float = Field(
        default=86400.0, gt=0, description="Reconcile each of the two latest closed periods this often."
    )
    reconciliation_check_interval_s: float = Field(default=600.0, gt=0)
