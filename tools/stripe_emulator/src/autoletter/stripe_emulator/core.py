"""The emulator instance: configuration, clock, state, the lock that serialises changes, and events."""

from __future__ import annotations

import asyncio
import copy
import fnmatch
from typing import Any

from autoletter.stripe_emulator.clock import EmulatorClock
from autoletter.stripe_emulator.config import EmulatorConfig
from autoletter.stripe_emulator.delivery import Dispatcher
from autoletter.stripe_emulator.objects import build, new_id
from autoletter.stripe_emulator.state import Delivery, State


class Emulator:
    """One Stripe account's worth of state. Every change happens under `lock`."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = EmulatorClock(frozen=config.frozen_clock, start=config.clock_start)
        self.state = State()
        self.dispatcher = Dispatcher(config)
        self.lock = asyncio.Lock()
        self.base_url = (config.public_url or "http://127.0.0.1").rstrip("/")
        #: {"id": req_..., "idempotency_key": ...} of the API request being handled, for events.
        self.request: dict[str, Any] | None = None
        for target in config.webhooks:
            self.add_endpoint(target.url, target.secret, list(target.enabled_events))

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
