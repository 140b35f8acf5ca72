"""Customers, Checkout in setup mode and the portal, through stripe-python as the services call them."""

from __future__ import annotations

import pytest
import stripe

from .conftest import Emulator, Receiver

pytestmark = [
    pytest.mark.stripe,
    # stripe-python 15.6's HTTPXClient passes bytes as `data=`, which httpx 0.28 deprecates.
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]

SUCCEEDS, DECLINES, NEEDS_AUTH = "4242424242424242", "4000000000000341", "4000002760003184"


async def new_customer(emulator: Emulator, account: str = "acc-1") -> str:
    customer = await emulator.stripe.v1.customers.create_async(
        params={
            "name": "Lettres & Cie",
            "email": "billing@example.fr",
            "address": {
                "line1": "1 rue de la Paix",
                "postal_code": "75002",
                "city": "Paris",
                "country": "FR",
            },
            "metadata": {"account_id": account},
        },
        options={"idempotency_key": f"customer-{account}"},
    )
    return customer.id


async def complete_checkout(emulator: Emulator, customer: str, card: str = SUCCEEDS) -> str:
    session = await emulator.stripe.v1.checkout.sessions.create_async(
        params={
            "mode": "setup",
            "customer": customer,
            "currency": "eur",
            "payment_method_types": ["card"],
            "success_url": "https://app.example/billing?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://app.example/billing?cancelled=1",
        }
    )
    await emulator.control("POST", f"/_emulator/checkout/{session.id}/complete", {"card": card})
    return session.id


async def test_customer_is_created_retrieved_and_updated(emulator: Emulator, receiver: Receiver) -> None:
    customer_id = await new_customer(emulator)
    customer = await emulator.stripe.v1.customers.retrieve_async(customer_id)
    assert customer.name == "Lettres & Cie"
    assert customer.address is not None and customer.address.country == "FR"
    assert customer.metadata["account_id"] == "acc-1"

    updated = await emulator.stripe.v1.customers.update_async(customer_id, params={"email": "new@example.fr"})
    assert updated.email == "new@example.fr"
    await emulator.drain()
    updates = [e for e in receiver.events() if e["type"] == "customer.updated"]
    assert updates[0]["data"]["previous_attributes"] == {"email": "billing@example.fr"}


async def test_customers_are_found_by_our_metadata(emulator: Emulator) -> None:
    customer_id = await new_customer(emulator)
    found = await emulator.stripe.v1.customers.search_async(
        params={"query": "metadata['account_id']:'acc-1'"}
    )
    assert [c.id for c in found.data] == [customer_id]
    none = await emulator.stripe.v1.customers.search_async(params={"query": "metadata['account_id']:'acc-2'"})
    assert none.data == []


async def test_unknown_customer_is_a_404_resource_missing(emulator: Emulator) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        await emulator.stripe.v1.customers.retrieve_async("cus_doesnotexist0")
    assert err.value.http_status == 404
    assert err.value.code == "resource_missing"


async def test_a_request_stripe_mock_refuses_is_refused_unchanged(emulator: Emulator) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        await emulator.stripe.v1.customers.create_async(params={"name": "x", "favourite_colour": "blue"})  # type: ignore[typeddict-unknown-key]
    assert err.value.http_status == 400
    assert "favourite_colour" in str(err.value) or "additional properties" in str(err.value)
    listing = await emulator.http.get("/_emulator/")
    assert "cus_" not in listing.text  # nothing was created


async def test_checkout_through_the_hosted_page_redirects_with_the_session_id(emulator: Emulator) -> None:
    customer_id = await new_customer(emulator)
    session = await emulator.stripe.v1.checkout.sessions.create_async(
        params={
            "mode": "setup",
            "customer": customer_id,
            "currency": "eur",
            "success_url": "https://app.example/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://app.example/cancelled",
        }
    )
    assert session.url is not None and session.url.startswith(emulator.url + "/checkout/")
    page = await emulator.http.get(session.url)
    assert page.status_code == 200 and "4242424242424242" in page.text

    submitted = await emulator.http.post(session.url, data={"card": SUCCEEDS})
    assert submitted.status_code == 303
    assert submitted.headers["location"] == f"https://app.example/done?session={session.id}"

    done = await emulator.stripe.v1.checkout.sessions.retrieve_async(
        session.id, params={"expand": ["setup_intent"]}
    )
    assert done.status == "complete"
    intent = done.setup_intent
    assert isinstance(intent, stripe.SetupIntent) and intent.status == "succeeded"
    method = await emulator.stripe.v1.payment_methods.retrieve_async(str(intent.payment_method))
    assert method.customer == customer_id
    assert method.card is not None and (method.card.brand, method.card.last4) == ("visa", "4242")
    assert (method.card.exp_month, method.card.exp_year) == (12, 2034)


async def test_cancelling_checkout_goes_back_to_the_cancel_url(emulator: Emulator) -> None:
    customer_id = await new_customer(emulator)
    session = await emulator.stripe.v1.checkout.sessions.create_async(
        params={"mode": "setup", "customer": customer_id, "currency": "eur",
                "success_url": "https://app.example/ok", "cancel_url": "https://app.example/cancelled"}
    )  # fmt: skip
    response = await emulator.http.get(f"/checkout/{session.id}/cancel")
    assert response.headers["location"] == "https://app.example/cancelled"
    assert (await emulator.stripe.v1.checkout.sessions.retrieve_async(session.id)).status == "open"


async def test_completed_checkout_emits_the_events_payments_listens_to(
    emulator: Emulator, receiver: Receiver
) -> None:
    customer_id = await new_customer(emulator)
    session_id = await complete_checkout(emulator, customer_id)
    await emulator.drain()
    types = receiver.types()
    for wanted in ("payment_method.attached", "setup_intent.succeeded", "checkout.session.completed"):
        assert wanted in types
    completed = next(e for e in receiver.events() if e["type"] == "checkout.session.completed")
    assert completed["data"]["object"]["id"] == session_id
    assert completed["data"]["object"]["customer"] == customer_id


async def test_setting_and_detaching_the_default_method(emulator: Emulator, receiver: Receiver) -> None:
    customer_id = await new_customer(emulator)
    await complete_checkout(emulator, customer_id)
    methods = await emulator.stripe.v1.payment_methods.list_async(
        params={"customer": customer_id, "type": "card"}
    )
    first = methods.data[0].id
    await emulator.stripe.v1.customers.update_async(
        customer_id, params={"invoice_settings": {"default_payment_method": first}}
    )
    added = await emulator.control(
        "POST", f"/_emulator/portal/{customer_id}/payment-methods", {"card": DECLINES}
    )
    customer = await emulator.stripe.v1.customers.retrieve_async(customer_id)
    assert customer.invoice_settings is not None
    assert customer.invoice_settings.default_payment_method == added["id"]

    detached = await emulator.stripe.v1.payment_methods.detach_async(added["id"])
    assert detached.customer is None
    customer = await emulator.stripe.v1.customers.retrieve_async(customer_id)
    assert customer.invoice_settings is not None and customer.invoice_settings.default_payment_method is None
    listed = await emulator.stripe.v1.customers.payment_methods.list_async(customer_id)
    assert [m.id for m in listed.data] == [first]

    await emulator.drain()
    updates = [e for e in receiver.events() if e["type"] == "customer.updated"]
    assert updates[-2]["data"]["previous_attributes"] == {
        "invoice_settings": {"default_payment_method": first}
    }
    assert updates[-2]["data"]["object"]["invoice_settings"]["default_payment_method"] == added["id"]
    assert "payment_method.detached" in receiver.types()


async def test_portal_session_points_at_our_portal_page(emulator: Emulator) -> None:
    customer_id = await new_customer(emulator)
    portal = await emulator.stripe.v1.billing_portal.sessions.create_async(
        params={"customer": customer_id, "return_url": "https://app.example/billing"}
    )
    assert portal.url.startswith(emulator.url + "/portal/")
    added = await emulator.http.post(f"{portal.url}/add", data={"card": SUCCEEDS})
    assert added.status_code == 303
    page = await emulator.http.get(portal.url)
    assert "•••• 4242" in page.text and "default" in page.text
