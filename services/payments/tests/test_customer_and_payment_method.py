"""From a completed profile to an active service: the Stripe customer, the hosted setup page, the default
payment method, and what the portal changes."""

from __future__ import annotations

import time

from conftest import PaymentsService

from autoletter.contracts.payments import (
    PaymentMethodAttached,
    PaymentMethodDetached,
    ServiceStatusChanged,
    StripeCustomerCreated,
)
from autoletter.runtime.testing import wait_for


async def test_the_first_completed_profile_creates_the_stripe_customer_once(
    service: PaymentsService, account: str
) -> None:
    customer = await service.complete_profile(account)
    created = [args for args in service.gateway.made("create_customer") if args[0] == account]
    assert len(created) == 1
    # Completed again (after an incomplete spell): the customer is synced, not created twice.
    await service.complete_profile(account)
    await wait_for(lambda: any(a[0] == customer for a in service.gateway.made("update_customer")), 30, "sync")
    assert len([a for a in service.gateway.made("create_customer") if a[0] == account]) == 1
    # The customer created, and both services announced inactive (never activated), once.
    announced, first, second = await service.published(account, count=3)
    assert [(e.service, e.status, e.reason) for e in (first, second)] == [
        ("standard", "inactive", "not_activated"),
        ("registered", "inactive", "not_activated"),
    ]
    assert isinstance(announced, StripeCustomerCreated) and announced.stripe_customer_id == customer
    assert len(await service.staged(account, "ServiceStatusChanged")) == 2  # not again on the sync


async def test_checkout_while_the_profile_is_incomplete_names_the_missing_fields(
    service: PaymentsService, account: str
) -> None:
    await service.profile_incomplete(account, "email", "address")

    async def known() -> bool:
        return bool(await service.sql("SELECT 1 FROM accounts WHERE account_id = :a", a=account))

    await wait_for(known, 30, "the incomplete profile")
    response = await service.client.post(
        f"/v1/accounts/{account}/payment-method/checkout", headers=service.auth(account)
    )
    assert response.status_code == 409
    assert response.json()["error"] == "profile_incomplete"
    assert response.json()["details"]["missing"] == ["email", "address"]


async def test_checkout_for_an_unknown_account_asks_for_the_whole_profile(
    service: PaymentsService, account: str
) -> None:
    response = await service.client.post(
        f"/v1/accounts/{account}/payment-method/checkout", headers=service.auth(account)
    )
    assert response.status_code == 409
    assert response.json()["details"]["missing"] == ["name", "email", "address"]


async def test_checkout_opens_a_stripe_hosted_setup_page(service: PaymentsService, account: str) -> None:
    customer = await service.complete_profile(account)
    response = await service.client.post(
        f"/v1/accounts/{account}/payment-method/checkout",
        headers=service.auth(account) | {"Idempotency-Key": "k1"},
        json={
            "success_url": "https://app.autoletter.example/billing?ok",
            "cancel_url": "https://app.autoletter.example/billing",
        },
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["url"].startswith("https://") and page["session_id"].startswith("cs_")
    (call,) = [a for a in service.gateway.made("create_setup_checkout") if account in a]
    assert customer in call and ["card", "sepa_debit"] in call


async def test_checkout_while_stripe_is_unreachable_answers_503_and_a_retry_succeeds(
    service: PaymentsService, account: str
) -> None:
    await service.complete_profile(account)
    service.gateway.failures["create_setup_checkout"] = 1
    url, headers = f"/v1/accounts/{account}/payment-method/checkout", service.auth(account)
    response = await service.client.post(url, headers=headers | {"Idempotency-Key": "k-outage"})
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "30"
    assert response.json()["error"] == "service_unavailable"
    retried = await service.client.post(url, headers=headers | {"Idempotency-Key": "k-outage"})
    assert retried.status_code == 200, retried.text


async def test_checkout_refuses_return_urls_outside_the_allow_list(
    service: PaymentsService, account: str
) -> None:
    await service.complete_profile(account)
    response = await service.client.post(
        f"/v1/accounts/{account}/payment-method/checkout",
        headers=service.auth(account),
        json={"success_url": "https://evil.example/steal"},
    )
    assert response.status_code == 422
    assert "success_url" in response.json()["details"]


async def test_the_billing_portal_opens_for_the_accounts_customer(
    service: PaymentsService, account: str
) -> None:
    customer = await service.complete_profile(account)
    response = await service.client.post(
        f"/v1/accounts/{account}/billing-portal", headers=service.auth(account)
    )
    assert response.status_code == 200 and response.json()["url"].startswith("https://")
    assert [a for a in service.gateway.made("create_portal_session") if customer in a]


async def test_another_account_gets_not_found(service: PaymentsService, account: str) -> None:
    for method, path in (
        ("post", "payment-method/checkout"),
        ("post", "billing-portal"),
        ("get", "billing"),
        ("post", "services/standard/activate"),
    ):
        response = await service.client.request(
            method, f"/v1/accounts/{account}/{path}", headers=service.auth("someone-else")
        )
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert (await service.client.get(f"/v1/accounts/{account}/billing")).status_code == 401


async def test_a_completed_setup_checkout_makes_the_method_the_default(
    service: PaymentsService, account: str
) -> None:
    customer = await service.complete_profile(account)
    pm = await service.add_payment_method(account)
    assert (customer, pm) in service.gateway.made("set_default_payment_method")
    (attached,) = await service.staged(account, "PaymentMethodAttached")
    assert isinstance(attached, PaymentMethodAttached) and attached.payment_method_id == pm
    overview = (
        await service.client.get(f"/v1/accounts/{account}/billing", headers=service.auth(account))
    ).json()
    assert overview["profile"] == {"complete": True, "missing": []}
    method = overview["payment_method"]
    assert method["payment_method_id"] == pm and method["type"] == "card" and len(method["last4"]) == 4
    assert set(method) == {"payment_method_id", "type", "brand", "last4", "exp_month", "exp_year"}


async def test_setup_intent_succeeded_for_the_same_method_changes_nothing_more(
    service: PaymentsService, account: str
) -> None:
    customer = await service.complete_profile(account)
    pm = await service.add_payment_method(account)
    outcome = await service.handle(
        service.stripe.event("setup_intent.succeeded", service.stripe.setup_intent(customer, pm))
    )
    assert outcome == "unchanged"
    assert len(await service.staged(account, "PaymentMethodAttached")) == 1


async def test_activation_needs_the_prerequisites_and_then_the_service_is_active(
    service: PaymentsService, account: str
) -> None:
    await service.complete_profile(account)
    url = f"/v1/accounts/{account}/services/registered/activate"
    refused = await service.client.post(url, headers=service.auth(account))
    assert refused.status_code == 409
    assert refused.json()["details"]["missing"] == ["payment_method"]
    await service.add_payment_method(account)
    response = await service.client.post(url, headers=service.auth(account))
    assert response.json() == {"service": "registered", "status": "active"}
    first, second, changed = await service.staged(account, "ServiceStatusChanged")
    assert [e.reason for e in (first, second)] == ["not_activated", "not_activated"]
    assert isinstance(changed, ServiceStatusChanged)
    assert (changed.service, changed.status, changed.previous_status, changed.reason) == (
        "registered",
        "active",
        "inactive",
        "activated",
    )
    assert await service.status(account, "standard") == "inactive"


async def test_detaching_the_default_promotes_the_most_recently_attached_other_method(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard")
    first = await service.default_of(account)
    now = int(time.time())
    older = service.stripe.payment_method(customer, created=now - 86400)
    newer = service.stripe.payment_method(customer, created=now - 3600)
    for pm in (older, newer):
        assert await service.handle(service.stripe.event("payment_method.attached", pm)) == "recorded"
    detached = service.stripe.payment_method(None, pm_id=first)
    event = service.stripe.event("payment_method.detached", detached, previous={"customer": customer})
    assert await service.handle(event) == "default_set"
    assert (customer, newer["id"]) in service.gateway.made("set_default_payment_method")
    assert [e.payment_method_id for e in await service.staged(account, "PaymentMethodDetached")] == [first]
    assert (await service.staged(account, "PaymentMethodAttached"))[-1].payment_method_id == newer["id"]
    assert await service.status(account, "standard") == "active"


async def test_detaching_the_last_method_blocks_the_active_services(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard", "registered")
    pm = await service.default_of(account)
    event = service.stripe.event(
        "payment_method.detached",
        service.stripe.payment_method(None, pm_id=pm),
        previous={"customer": customer},
    )
    assert await service.handle(event) == "no_default"
    changes = (await service.staged(account, "ServiceStatusChanged"))[-2:]
    assert {(c.service, c.status, c.reason) for c in changes} == {
        ("standard", "blocked", "no_payment_method"),
        ("registered", "blocked", "no_payment_method"),
    }
    assert isinstance((await service.staged(account, "PaymentMethodDetached"))[0], PaymentMethodDetached)


async def test_a_default_chosen_in_the_portal_is_taken_from_customer_updated(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard")
    new_pm = service.stripe.payment_method(customer)
    old = await service.default_of(account)
    event = service.stripe.event(
        "customer.updated",
        service.stripe.customer(customer, new_pm["id"]),
        previous={"invoice_settings": {"default_payment_method": old}},
    )
    assert await service.handle(event) == "default_set"
    assert (new_pm["id"],) in service.gateway.made("payment_method")
    rows = await service.sql(
        "SELECT default_payment_method_id FROM accounts WHERE account_id = :a", a=account
    )
    assert rows[0].default_payment_method_id == new_pm["id"]
    # An older customer.updated delivered late does not undo it.
    late = service.stripe.event(
        "customer.updated",
        service.stripe.customer(customer, old),
        previous={"invoice_settings": {"default_payment_method": None}},
        created=int(time.time()) - 600,
    )
    assert await service.handle(late) == "stale"


async def test_a_late_setup_event_does_not_undo_a_newer_default_chosen_in_the_portal(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard")
    old = await service.default_of(account)
    new_pm = service.stripe.payment_method(customer)
    chosen = service.stripe.event(
        "customer.updated",
        service.stripe.customer(customer, new_pm["id"]),
        previous={"invoice_settings": {"default_payment_method": old}},
    )
    assert await service.handle(chosen) == "default_set"
    late = service.stripe.event(
        "setup_intent.succeeded", service.stripe.setup_intent(customer, old), created=int(time.time()) - 600
    )
    assert await service.handle(late) == "stale"
    assert await service.default_of(account) == new_pm["id"]
