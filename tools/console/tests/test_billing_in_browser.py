"""The wait after Checkout, in a real headless Chromium: the page updates itself when the method is
confirmed, and says it is still waiting once its deadline has passed. Services are in-process fakes."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn

from autoletter.console.bootstrap import create_app
from autoletter.console.pages import billing
from autoletter.console.testing import SERVICES, Upstreams, console_settings
from autoletter.devstack.process import free_port

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is in the dev group")
expect = playwright_api.expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ACCOUNT = "acct-browser"
BILLING = f"/v1/accounts/{ACCOUNT}/billing"
CARD = {"payment_method_id": "pm_1", "type": "card", "brand": "visa", "last4": "4242"}
SERVICES_OFF = [{"service": s, "status": "inactive", "activated": False} for s in ("standard", "registered")]


def overview(method: dict[str, object] | None) -> dict[str, object]:
    return {
        "profile": {"complete": True, "missing": []},
        "payment_method": method,
        "services": SERVICES_OFF,
        "outstanding_invoices": [],
    }


@pytest.fixture
def console(upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The console on a loopback port (a browser needs a socket), in front of the fakes."""
    monkeypatch.setattr(billing, "CONFIRMATION_WAIT_S", 3)  # the page's deadline, shortened for the test
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
def chromium() -> str:
    """Debian's Chromium; missing is a skip on a developer's machine and a failure in CI."""
    if not Path(CHROMIUM).exists():
        message = "Chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must install it")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[playwright_api.Page]:
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(locale="fr-FR")
        context.set_default_timeout(10_000)
        try:
            yield await context.new_page()
        finally:
            await browser.close()


async def sign_in(page: playwright_api.Page, console: str) -> None:
    await page.goto(f"{console}/sign-in")
    await page.get_by_label("Identifiant du compte").fill(ACCOUNT)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Paiement")


async def test_the_page_shows_the_method_as_soon_as_stripe_has_confirmed_it(
    console: str, page: playwright_api.Page, upstreams: Upstreams
) -> None:
    upstreams.answer("payments", "GET", BILLING, overview(None))
    await sign_in(page, console)
    await page.goto(f"{console}/billing?setup=success")
    await expect(page.get_by_test_id("awaiting-confirmation")).to_be_visible()

    upstreams.answer("payments", "GET", BILLING, overview(CARD))  # Stripe's webhook reached payments

    await expect(page.get_by_test_id("payment-method")).to_contain_text("4242")
    await expect(page.get_by_role("status")).to_contain_text("Votre moyen de paiement est désormais actif")


async def test_after_its_deadline_the_page_says_it_is_still_waiting(
    console: str, page: playwright_api.Page, upstreams: Upstreams
) -> None:
    upstreams.answer("payments", "GET", BILLING, overview(None))
    await sign_in(page, console)
    await page.goto(f"{console}/billing?setup=success")
    waiting = page.get_by_test_id("awaiting-confirmation")

    await expect(waiting.get_by_text("Toujours en attente de la confirmation de Stripe")).to_be_visible()
    await expect(waiting.get_by_text("cette page se met à jour toute seule")).to_be_hidden()
    asked = len(upstreams.calls("payments", "GET", BILLING))
    await page.wait_for_timeout(2_500)  # a quiet interval: nothing more is asked once it has said so
    assert len(upstreams.calls("payments", "GET", BILLING)) == asked
