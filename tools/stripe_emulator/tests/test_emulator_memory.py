"""The emulator remembers across restarts (state file): objects, its clock, keys, pending webhooks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from autoletter import stripe as stripe_api
from autoletter.runtime.testing import wait_for
from autoletter.stripe_emulator import EmulatorConfig, WebhookTarget, create_app

from .conftest import START, WEBHOOK_SECRET, Emulator, Receiver, _serve, _stop
from .test_emulator_invoices import DAY, customer_paying_with, issue_invoice

pytestmark = [
    pytest.mark.stripe,
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]


async def _running(config: EmulatorConfig) -> tuple[Emulator, object, object]:
    server, task, url = await _serve(create_app(config))
    client = stripe_api.client("sk_test_emulator", api_base=url, max_network_retries=0)
    return Emulator(url, client, httpx.AsyncClient(base_url=url, timeout=20)), server, task


async def test_a_restarted_emulator_keeps_customers_invoices_clock_keys_and_pending_webhooks(
    tmp_path: Path, stripe_api_base: str, receiver: Receiver
) -> None:
    config = EmulatorConfig(
        stripe_mock=stripe_api_base,
        webhooks=(WebhookTarget(receiver.url, WEBHOOK_SECRET),),
        frozen_clock=True,
        clock_start=START,
        state_path=tmp_path / "emulator.sqlite",
    )
    first, server, task = await _running(config)
    customer_id = await customer_paying_with(first, "4242424242424242")
    invoice = await issue_invoice(first, customer_id)
    await first.advance(2 * DAY)
    receiver.fail_next = 10**9  # the receiver is down: the next event stays pending
    params = {"email": "new@example.fr"}
    updated = await first.stripe.v1.customers.update_async(
        customer_id, params=params, options={"idempotency_key": "k-update-1"}
    )
    await wait_for(lambda: receiver.fail_next < 10**9, timeout=10, what="a failed delivery")
    await first.drain()  # its retry is now scheduled on the test clock, a minute after the attempt
    clock_before = (await first.control("GET", "/_emulator/clock"))["now"]
    await first.http.aclose()
    await _stop(server, task)  # type: ignore[arg-type]

    receiver.fail_next = 0
    second, server, task = await _running(replace(config, clock_start=None))
    try:
        assert (await second.stripe.v1.customers.retrieve_async(customer_id)).email == "new@example.fr"
        assert (await second.stripe.v1.invoices.retrieve_async(invoice.id)).status == "paid"
        assert (await second.control("GET", "/_emulator/clock"))["now"] == clock_before
        replayed = await second.http.post(
            f"/v1/customers/{customer_id}",
            data=params,
            headers={"Authorization": "Bearer sk_test_emulator", "Idempotency-Key": "k-update-1"},
        )
        assert replayed.headers.get("Idempotent-Replayed") == "true", replayed.text
        assert replayed.json()["id"] == updated.id
        updates = receiver.types().count("customer.updated")
        await second.drain()
        assert receiver.types().count("customer.updated") == updates  # its retry waits for the clock
        await second.advance(60)
        await second.drain()
        assert receiver.types().count("customer.updated") == updates + 1  # resumed after the restart
        endpoints = await second.stripe.v1.webhook_endpoints.list_async()
        assert len(endpoints.data) == 1  # the configured endpoint was not added twice
    finally:
        await second.http.aclose()
        await _stop(server, task)  # type: ignore[arg-type]
