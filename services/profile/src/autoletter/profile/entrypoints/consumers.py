"""profile's consumer registry: it consumes nothing (it only publishes profile.events)."""

from __future__ import annotations

from autoletter.runtime.consumer import Subscription


def subscriptions() -> list[Subscription]:
    """None: profile is the source of its facts."""
    return []
