"""Fixtures: a browser on the console, with the services replaced by in-process fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from autoletter.console.bootstrap import create_app
from autoletter.console.testing import CONSOLE, SERVICES, Upstreams, console_settings


@pytest.fixture
def upstreams() -> Upstreams:
    return Upstreams()


@pytest.fixture
async def browser(upstreams: Upstreams) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the console: it keeps cookies and does not follow redirects (tests look at them)."""
    app = create_app(
        console_settings(), mounts={f"http://{s}.test": upstreams.transport(s) for s in SERVICES}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=CONSOLE, headers={"Accept-Language": "en"}
    ) as client:
        yield client
