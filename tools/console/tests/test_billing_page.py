"""Billing: payments' overview and actions, invoicing's invoices, each shown or explained."""

from __future__ import annotations

import httpx
import pytest

from autoletter.console.testing import Upstreams, error, sign_in

ACCOUNT = "acct-billing"
BASE = f"/v1/accounts/{ACCOUNT}"

OVERVIEW = {
    "account_id": ACCOUNT,
    "profile": {"complete": True, "missing": []},
    "payment_method": {
        "payment_method_id": "pm_123",
        "type": "card",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 4,
        "exp_year": 2031,
    },
    "services": [
        {
            "service": "standard",
            "status": "overdue",
            "activated": True,
            "since": "2026-03-02T08:00:00+00:00",
            "reason": "invoice_failed",
        },
        {"service": "registered", "status": "inactive", "activated": False, "since": None, "reason": None},
    ],
    "outstanding_invoices": [
        {
            "invoice_id": "9b1c",
            "stripe_invoice_id": "in_1",
            "service": "standard",
            "period": "2026-02",
            "amount_cents": 285,
            "currency": "eur",
            "state": "payment_failed",
            "failed_for_good": True,
            "failure_code": "card_declined",
            "next_attempt_at": None,
            "hosted_invoice_url": "https://invoice.stripe.test/i/in_1",
        }
    ],
}
INVOICES = {
    "account_id": ACCOUNT,
    "invoices": [
        {
            "invoice_id": "9b1c",
            "stripe_invoice_id": "in_1",
            "service": "standard",
            "period": "2026-02",
            "state": "payment_failed",
            "letters": 3,
            "amount_cents": 285,
            "currency": "eur",
            "issued_at": "2026-03-01T00:05:00+00:00",
        },
        {
            "invoice_id": "7a2d",
            "stripe_invoice_id": "in_0",
            "service": "registered",
            "period": "2026-01",
            "state": "paid",
            "letters": 1,
            "amount_cents": 420,
            "currency": "eur",
            "issued_at": "2026-02-01T00:05:00+00:00",
        },
    ],
}


@pytest.fixture
async def signed_in(browser: httpx.AsyncClient, upstreams: Upstreams) -> httpx.AsyncClient:
    await sign_in(browser, ACCOUNT)
    upstreams.answer("payments", "GET", f"{BASE}/billing", OVERVIEW)
    upstreams.answer("invoicing", "GET", f"{BASE}/invoices", INVOICES)
    return browser


async def test_billing_shows_the_payment_method_both_services_and_what_is_owed(
    signed_in: httpx.AsyncClient,
) -> None:
    page = await signed_in.get("/billing")

    assert page.status_code == 200
    assert "•••• 4242" in page.text
    assert "expires 04/2031" in page.text
    assert 'data-service="standard"' in page.text
    assert '<span class="pill pill-bad" data-status="overdue">Overdue</span>' in page.text
    assert "An invoice could not be paid." in page.text
    assert 'href="/billing/services/standard/deactivate"' in page.text  # asks first, on its own page
    assert 'action="/billing/services/registered/activate"' in page.text
    assert 'href="https://invoice.stripe.test/i/in_1"' in page.text
    assert "€2.85" in page.text
    assert "February 2026" in page.text  # billing periods as month names
    assert '<span class="pill pill-ok" data-status="paid">Paid</span>' in page.text  # invoicing's states
    assert "Change the payment method" in page.text
    assert "invoice_failed" not in page.text.replace('data-status="', "")


async def test_a_missing_profile_is_named_on_billing(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    incomplete = {**OVERVIEW, "profile": {"complete": False, "missing": ["address", "email"]}}
    upstreams.answer("payments", "GET", f"{BASE}/billing", {**incomplete, "payment_method": None})

    page = await signed_in.get("/billing")

    assert "still missing: your postal address, your billing e-mail." in page.text
    assert "Add a payment method" in page.text


async def test_adding_a_payment_method_goes_to_the_stripe_hosted_page_and_back_to_billing(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    hosted = {"url": "https://checkout.stripe.test/c/cs_1", "session_id": "cs_1"}
    upstreams.answer("payments", "POST", f"{BASE}/payment-method/checkout", hosted)

    response = await signed_in.post("/billing/payment-method")

    assert response.status_code == 303
    assert response.headers["location"] == "https://checkout.stripe.test/c/cs_1"
    (call,) = upstreams.calls("payments", "POST", f"{BASE}/payment-method/checkout")
    assert call.body == {
        "success_url": "http://console.test/billing?setup=success",
        "cancel_url": "http://console.test/billing?setup=cancelled",
    }
    assert call.headers["idempotency-key"]
    back = await signed_in.get("/billing?setup=success")
    assert "Your payment method is active and will be used for your invoices." in back.text


async def test_checkout_refused_for_an_incomplete_profile_names_what_is_missing(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    refusal = error(
        409, "profile_incomplete", "Complete your profile first; missing: address.", {"missing": ["address"]}
    )
    upstreams.answer("payments", "POST", f"{BASE}/payment-method/checkout", refusal)

    page = await signed_in.post("/billing/payment-method")

    assert page.status_code == 409
    assert "Complete your profile first." in page.text
    assert "Still missing: your postal address." in page.text
    assert 'data-error="profile_incomplete"' in page.text
    assert 'data-testid="profile-missing"' not in page.text  # one refusal message, not two


async def test_manage_in_stripe_opens_the_customer_portal(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.answer("payments", "POST", f"{BASE}/billing-portal", {"url": "https://portal.stripe.test/p/1"})

    response = await signed_in.post("/billing/portal")

    assert response.headers["location"] == "https://portal.stripe.test/p/1"
    (call,) = upstreams.calls("payments", "POST", f"{BASE}/billing-portal")
    assert call.body == {"return_url": "http://console.test/billing"}


async def test_activating_a_service_asks_payments_and_returns_to_billing(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    path = f"{BASE}/services/registered/activate"
    upstreams.answer("payments", "POST", path, {"service": "registered", "status": "active"})

    response = await signed_in.post("/billing/services/registered/activate")

    assert response.status_code == 303
    assert len(upstreams.calls("payments", "POST", path)) == 1
    back = await signed_in.get(response.headers["location"])
    assert "The service is switched on." in back.text


async def test_an_activation_refused_shows_the_services_message(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    refusal = error(
        409,
        "prerequisites_missing",
        "The registered service needs first: payment_method.",
        {"missing": ["payment_method"]},
    )
    upstreams.answer("payments", "POST", f"{BASE}/services/registered/activate", refusal)

    page = await signed_in.post("/billing/services/registered/activate")

    assert page.status_code == 409
    assert "This service cannot be switched on yet." in page.text
    assert "Still missing: a payment method." in page.text
    assert "payment_method" not in page.text.replace('data-testid="payment-method"', "")
    assert "•••• 4242" in page.text  # the rest of the page is still there


async def test_payments_down_shows_a_banner_and_the_invoices_still_show(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.down.add("payments")

    page = await signed_in.get("/billing")

    assert page.status_code == 503
    assert "The payments service is not answering right now. Please try again in a moment." in page.text
    assert "in_1" not in page.text  # nothing invented
    assert "January 2026" in page.text  # invoicing's part


async def test_invoicing_down_leaves_the_rest_of_billing_usable(
    signed_in: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.down.add("invoicing")

    page = await signed_in.get("/billing")

    assert page.status_code == 200
    assert "The invoicing service is not answering right now. Please try again in a moment." in page.text
    assert "Invoices cannot be shown right now." in page.text
    assert "•••• 4242" in page.text
