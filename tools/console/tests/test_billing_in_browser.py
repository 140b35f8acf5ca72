"""The wait after Checkout, in a real headless Chromium: the page updates itself when the method is
confirmed, and says it is still waiting once its deadline has passed. Services are in-process fakes."""

from __future__ import annotations

import pytest

from autoletter.console.pages import billing
from autoletter.console.testing import Upstreams

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is in the dev group")
expect = playwright_api.expect

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


@pytest.fixture(autouse=True)
def short_confirmation_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's deadline for Stripe's confirmation, shortened for the test."""
    monkeypatch.setattr(billing, "CONFIRMATION_WAIT_S", 3)


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
