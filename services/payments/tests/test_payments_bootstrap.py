"""The composition root: port, routes and OpenAPI document, and secrets that never leak."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from autoletter.payments.bootstrap import bootstrap
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime.service import ServiceRuntime


def test_the_service_serves_the_design_routes_on_port_8002() -> None:
    settings = PaymentsSettings(stripe_webhook_secret="whsec_visible_only_here", environment="test")
    assert (settings.service_name, settings.http_port, settings.database_schema) == (
        "payments",
        8002,
        "payments",
    )
    assert settings.checkout_payment_method_types == ["card", "sepa_debit"]
    paths = set(ServiceRuntime(bootstrap(settings)).create_app().openapi()["paths"])
    assert {
        "/v1/accounts/{account_id}/payment-method/checkout",
        "/v1/accounts/{account_id}/billing-portal",
        "/v1/accounts/{account_id}/billing",
        "/v1/accounts/{account_id}/services/{service}/activate",
        "/v1/accounts/{account_id}/services/{service}/deactivate",
        "/v1/stripe/webhook",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= paths
    assert "whsec_visible_only_here" not in str(settings.redacted())
    assert "whsec_visible_only_here" not in repr(settings)


def test_production_refuses_the_development_stripe_secrets() -> None:
    with pytest.raises(ValidationError, match="stripe_webhook_secret"):
        PaymentsSettings(environment="production", jwt_secret="x" * 40, stripe_api_key="sk_live_real")
