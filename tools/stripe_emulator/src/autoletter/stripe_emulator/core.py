"""The emulator instance: configuration, clock, state, the lock that serialises changes, and events."""

from __future__ import annotations

import asyncio
import copy
import fnmatch
from typing import Any

from autoletter.stripe_emulator.clock import EmulatorClock
from autoletter.stripe_emulator.config import EmulatorConfig
from autoletter.stripe_emulator.delivery import Dispatcher
from autoletter.stripe_emulator.hold import Hold
from autoletter.stripe_emulator.objects import build, new_id
from autoletter.stripe_emulator.state import Delivery, State
from autoletter.stripe_emulator.store import Snapshot, Store


class Emulator:
    """One Stripe account's worth of state. Every change happens under `lock`."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = EmulatorClock(frozen=config.frozen_clock, start=config.clock_start)
        self.state = State()
        self.dispatcher = Dispatcher(config, self.clock, on_change=self.save)
        self.store = Store(config.state_path) if config.state_path else None
        self.lock = asyncio.Lock()
        #: Requests a test keeps waiting (a Stripe slow to answer), before they take the lock.
        self.hold = Hold()
        self.base_url = (config.public_url or "http://127.0.0.1").rstrip("/")
        #: {"id": req_..., "idempotency_key": ...} of the API request being handled, for events.
        self.request: dict[str, Any] | None = None
        saved = self.store.load() if self.store else None
        if saved is not None:
            self.state = saved.state
            self.clock.restore(saved.clock_start, saved.clock_offset)
        for target in config.webhooks:
            known = [e for e in self.state.webhook_endpoints.values() if e["url"] == target.url]
            if known:  # kept from the last run: the secret given now wins
                self.state.endpoint_secrets[known[0]["id"]] = target.secret
            else:
                self.add_endpoint(target.url, target.secret, list(target.enabled_events))
        self.save()

    def save(self) -> None:
        """Write the state to disk when it is kept there (after every change)."""
        if self.store is not None:
            self.store.save(Snapshot(self.state, self.clock.start, self.clock.offset))

    def resume_deliveries(self) -> int:
        """Queue again the webhooks a previous run had not delivered yet (needs the event loop): at once,
        or at the retry they were waiting for on the test clock."""
        by_url = {e["url"]: e["id"] for e in self.state.webhook_endpoints.values()}
        resumed = 0
        for delivery in self.state.deliveries:
            endpoint_id = by_url.get(delivery.url)
            event = self.state.events.get(delivery.event_id)
            if delivery.status == "pending" and endpoint_id and event:
                secret = self.state.endpoint_secrets[endpoint_id]
                self.dispatcher.enqueue(endpoint_id, delivery, event, secret)
                resumed += 1
        return resumed

    def now(self) -> int:
        return self.clock.timestamp()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def add_endpoint(self, url: str, secret: str, enabled_events: list[str]) -> dict[str, Any]:
        endpoint = build(
            "webhook_endpoint",
            id=new_id("we_"),
            url=url,
            enabled_events=enabled_events,
            created=self.now(),
            api_version=self.config.api_version,
            metadata={},
            status="enabled",
            description=None,
        )
        self.state.webhook_endpoints[endpoint["id"]] = endpoint
        self.state.endpoint_secrets[endpoint["id"]] = secret
        return endpoint

    def emit(
        self, event_type: str, obj: dict[str, Any], previous_attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Record an event with a snapshot of obj and queue it to every endpoint that wants it."""
        targets = [
            e
            for e in self.state.webhook_endpoints.values()
            if e["status"] == "enabled" and any(fnmatch.fnmatch(event_type, p) for p in e["enabled_events"])
        ]
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event = build(
            "event",
            id=new_id("evt_"),
            api_version=self.config.api_version,
            created=self.now(),
            data=data,
            livemode=False,
            pending_webhooks=len(targets),
            request=dict(self.request) if self.request else {"id": None, "idempotency_key": None},
            type=event_type,
        )
        self.state.events[event["id"]] = event
        customer = obj["id"] if obj.get("object") == "customer" else obj.get("customer")
        for endpoint in targets:
            delivery = Delivery(event["id"], event_type, customer, endpoint["url"])
            self.state.deliveries.append(delivery)
            self.dispatcher.enqueue(
                endpoint["id"], delivery, event, self.state.endpoint_secrets[endpoint["id"]]
            )
        return event
