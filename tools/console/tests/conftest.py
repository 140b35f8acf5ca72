"""Fixtures: a browser on the console, with the services replaced by in-process fakes."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from autoletter.console.bootstrap import create_app
from autoletter.console.testing import CONSOLE, SERVICES, Upstreams, console_settings
from autoletter.devstack.process import free_port


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


@pytest.fixture
def console(upstreams: Upstreams) -> Iterator[str]:
    """The console on a loopback port (a real browser needs a socket), in front of the fakes."""
    app = create_app(
        console_settings(), mounts={f"http://{s}.test": upstreams.transport(s) for s in SERVICES}
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the console did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[Any]:
    """A page in headless Chromium, in French (the console's default reader)."""
    playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is in the dev group")
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        try:
            yield await context.new_page()
        finally:
            await browser.close()
