"""One running payments service per test module (real PostgreSQL, Kafka and stripe-mock).

Starting a runtime provisions its topics, which is the slow part; tests in a module share one service
and isolate themselves with their own account ids (and so their own Stripe customers).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import text

# importlib mode does not put test directories on sys.path; the helper module sits beside us.
sys.path.insert(0, str(Path(__file__).parent))

from payments_testkit import StripeShapes, body, sign

from autoletter import stripe as stripe_api
from autoletter.contracts import Envelope, decode, new_event
from autoletter.contracts.common import PostalAddress
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete
from autoletter.payments.adapters.stripe_gateway import StripeGateway
from autoletter.payments.bootstrap import bootstrap
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime.auth import mint_token
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime
from autoletter.runtime.testing import publish, read_events, wait_for
from autoletter.stripe import outages_as_transient

JWT_SECRET = "payments-tests-secret-0123456789abcdef"
WEBHOOK_SECRET = "whsec_payments_tests_0123456789"


class RecordingGateway(StripeGateway):
    """The real adapter (every request goes to stripe-mock) that also remembers which calls were made."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        #: Calls to fail before they reach Stripe, as a network failure would (method name -> count).
        self.failures: dict[str, int] = {}

    def made(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]


def _recording(name: str) -> Any:
    async def call(self: RecordingGateway, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((name, args + tuple(kwargs.values())))
        if self.failures.get(name):
            self.failures[name] -= 1
            with outages_as_transient():  # as the real gateway raises it
                raise stripe.APIConnectionError("simulated network failure")
        return await getattr(StripeGateway, name)(self, *args, **kwargs)

    return call


for _name in (
    "create_customer",
    "update_customer",
    "create_setup_checkout",
    "create_portal_session",
    "checkout_payment_method",
    "payment_method",
    "set_default_payment_method",
    "pay_invoice",
    "payment_failure",
):
    setattr(RecordingGateway, _name, _recording(_name))


@dataclass
class PaymentsService:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    bootstrap: str
    gateway: RecordingGateway
    stripe: StripeShapes
    customers: dict[str, str] = field(default_factory=dict)

    def topic(self, name: str) -> str:
        return f"{self.runtime.settings.kafka_topic_prefix}{name}"

    def auth(self, account_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(JWT_SECRET, account_id, roles=roles)}"}

    async def sql(self, query: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(query), params)).all())

    # --- webhooks ---

    async def post_webhook(self, payload: bytes, signature: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        return await self.client.post("/v1/stripe/webhook", content=payload, headers=headers)

    async def deliver(self, event: dict[str, Any]) -> httpx.Response:
        payload = body(event)
        response = await self.post_webhook(payload, sign(payload, [WEBHOOK_SECRET]))
        assert response.status_code == 200, response.text
        return response

    async def processed(self, event_id: str, timeout: float = 20) -> str:
        """Wait until the stored event was processed; its outcome."""
        query = "SELECT state, outcome FROM stripe_events WHERE event_id = :e"

        async def done() -> bool:
            rows = await self.sql(query, e=event_id)
            return bool(rows) and rows[0].state != "pending"

        await wait_for(done, timeout, f"stripe event {event_id} processed")
        return str((await self.sql(query, e=event_id))[0].outcome)

    async def handle(self, event: dict[str, Any]) -> str:
        await self.deliver(event)
        return await self.processed(event["id"])

    # --- journeys ---

    async def complete_profile(self, account_id: str) -> str:
        """ProfileCompleted on Kafka, as the profile service publishes it; the Stripe customer id."""
        await publish(self.bootstrap, self.topic("profile.events"), profile_completed(account_id))

        async def created() -> bool:
            rows = await self.sql(
                "SELECT stripe_customer_id FROM accounts WHERE account_id = :a", a=account_id
            )
            return bool(rows) and rows[0].stripe_customer_id is not None

        await wait_for(created, 30, "the Stripe customer")
        rows = await self.sql("SELECT stripe_customer_id FROM accounts WHERE account_id = :a", a=account_id)
        self.customers[account_id] = rows[0].stripe_customer_id
        return str(rows[0].stripe_customer_id)

    async def profile_incomplete(self, account_id: str, *missing: str) -> None:
        event = new_event(
            ProfileIncomplete,
            account_id=account_id,
            producer="profile",
            occurred_at=datetime.now(UTC),
            missing=list(missing),
        )
        await publish(self.bootstrap, self.topic("profile.events"), event)

    async def add_payment_method(self, account_id: str) -> str:
        """A completed setup Checkout; the new default's id."""
        customer = self.customers[account_id]
        event = self.stripe.event("checkout.session.completed", self.stripe.checkout_session(customer))
        outcome = await self.handle(event)
        assert outcome == "default_set", outcome
        return await self.default_of(account_id)

    async def default_of(self, account_id: str) -> str:
        query = "SELECT default_payment_method_id FROM accounts WHERE account_id = :a"
        return str((await self.sql(query, a=account_id))[0].default_payment_method_id)

    async def ready_account(self, account_id: str, *services: str) -> str:
        """Profile complete, a payment method, the given services activated."""
        await self.complete_profile(account_id)
        await self.add_payment_method(account_id)
        for service in services:
            response = await self.client.post(
                f"/v1/accounts/{account_id}/services/{service}/activate", headers=self.auth(account_id)
            )
            assert response.status_code == 200, response.text
        return self.customers[account_id]

    async def status(self, account_id: str, service: str) -> str:
        rows = await self.sql(
            "SELECT status FROM services WHERE account_id = :a AND service = :s", a=account_id, s=service
        )
        return str(rows[0].status) if rows else "inactive"

    async def staged(self, account_id: str, event_type: str | None = None) -> list[Envelope]:
        """Events staged in the outbox for the account (published or not), in order."""
        rows = await self.sql("SELECT payload FROM outbox WHERE account_id = :a ORDER BY id", a=account_id)
        events = [decode(r.payload) for r in rows]
        return [e for e in events if event_type is None or e.event_type == event_type]

    async def published(self, account_id: str, count: int) -> list[Envelope]:
        return await read_events(
            self.bootstrap, self.topic("payments.events"), account_id=account_id, count=count
        )


def profile_completed(account_id: str) -> ProfileCompleted:
    return new_event(
        ProfileCompleted,
        account_id=account_id,
        producer="profile",
        occurred_at=datetime.now(UTC),
        name="Camille Martin",
        email="camille@example.fr",
        address=PostalAddress(line1="12 rue des Lilas", postal_code="75011", city="Paris", country="FR"),
    )


def make_settings(
    database_url: str, kafka_bootstrap: str, stripe_api_base: str, **overrides: Any
) -> PaymentsSettings:
    tag = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "database_url": database_url,
        "database_schema": f"pay{tag}",
        "kafka_bootstrap_servers": kafka_bootstrap,
        "kafka_topic_prefix": f"pay{tag}.",
        "environment": "test",
        "jwt_secret": JWT_SECRET,
        "graceful_timeout_s": 5,
        "stripe_api_base": stripe_api_base,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "webhook_poll_interval_s": 0.2,
        "redirect_allowed_hosts": ["app.autoletter.example", "localhost"],
    }
    return PaymentsSettings(**(values | overrides))


@pytest.fixture(scope="session")
def stripe_shapes(stripe_api_base: str) -> StripeShapes:
    return StripeShapes(stripe_api_base)


@pytest.fixture(scope="module")
async def service(
    database_url: str, kafka_bootstrap: str, stripe_api_base: str, stripe_shapes: StripeShapes
) -> AsyncIterator[PaymentsService]:
    settings = make_settings(database_url, kafka_bootstrap, stripe_api_base)
    gateway = RecordingGateway(stripe_api.client("sk_test_123", api_base=stripe_api_base))
    runtime = ServiceRuntime(bootstrap(settings, FrozenClock(datetime.now(UTC)), gateway=gateway))
    # FrozenClock: retries become due only when a test moves the clock.
    app = runtime.create_app()
    async with runtime.running():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://payments.test") as client:
            yield PaymentsService(runtime, client, kafka_bootstrap, gateway, stripe_shapes)
    async with runtime.engine.begin() as conn:  # after the relay stopped (disposed engines reconnect)
        await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
    await runtime.engine.dispose()


@pytest.fixture
def account(unique: str) -> str:
    return f"acc-{unique}"
