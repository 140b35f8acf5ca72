"""The composition root of profile: its Deps, and the Service the runtime runs."""

from __future__ import annotations

from pathlib import Path

from autoletter.contracts import TOPICS
from autoletter.profile.adapters.repository import ProfileRepository
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
    units = resources.units(ProfileRepository)
    deps = Deps(settings, resources.sessions, units)
    return Service(
        resources,
        deps,
        MIGRATIONS,
        "AutoLetter profile",
        units=units,
        publishes=[TOPICS["profile.events"]],
        subscriptions=consumers.subscriptions(),
        routers=[http.router(), reconciliation.router],
    )
