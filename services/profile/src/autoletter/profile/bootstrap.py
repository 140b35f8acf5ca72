"""The composition root of the profile service: settings, runtime, routes, server."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from autoletter.contracts import TOPICS
from autoletter.profile.entrypoints import http, reconciliation
from autoletter.profile.settings import ProfileSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.service import ServiceRuntime
from autoletter.runtime.service import serve as serve_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_runtime(settings: ProfileSettings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    """The profile service's runtime: its schema and migrations, publishing on profile.events."""
    return ServiceRuntime(
        settings or ProfileSettings(),
        migrations=MIGRATIONS,
        publishes=[TOPICS["profile.events"]],
        clock=clock,
    )


def create_app(runtime: ServiceRuntime) -> FastAPI:
    return runtime.create_app(http.router(), reconciliation.router, title="AutoLetter profile")


def serve(settings: ProfileSettings | None = None) -> None:
    """Serve HTTP until stopped (`python -m autoletter.profile`, `autoletter serve profile`)."""
    settings = settings or ProfileSettings()
    serve_app(create_app(create_runtime(settings)), settings)
