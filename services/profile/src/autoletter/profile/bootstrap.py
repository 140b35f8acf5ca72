"""The composition root of profile: its Deps, and the Service the runtime runs."""

from __future__ import annotations

from pathlib import Path

from autoletter.contracts import TOPICS
from autoletter.profile import handlers
from autoletter.profile.entrypoints import consumers, http, reconciliation
from autoletter.profile.entrypoints.deps import Deps
from autoletter.profile.settings import ProfileSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.service import Resources, Service

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: ProfileSettings | None = None, clock: Clock | None = None) -> Service[Deps]:
    """Wire profile from its settings (read from the environment when not given)."""
    settings = settings or ProfileSettings()
    resources = Resources.open(settings, clock)
    context = handlers.Context(resources.sessions, resources.clock, settings.service_name)
    deps = Deps(settings, resources.clock, resources.sessions, context)
    return Service(
        resources,
        deps,
        MIGRATIONS,
        "AutoLetter profile",
        units=resources.units(),
        publishes=[TOPICS["profile.events"]],
        subscriptions=consumers.subscriptions(),
        routers=[http.router(), reconciliation.router],
    )
