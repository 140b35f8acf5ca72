"""Journey 4: the good-card journey, clicked through the web console in a real (headless) Chromium.

The console runs as its own process in front of the e2e system; the browser follows Checkout to the
Stripe emulator's hosted page and back. Every URL is 127.0.0.1: payments only redirects to loopback.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import journeys as j
import pytest
from pypdf import PdfWriter
from system import System, running_console

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is in the dev group")
Page = playwright_api.Page
expect = playwright_api.expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Debian's Chromium: Playwright's own browser builds cannot be downloaded here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACCEPTED_OR_LATER = re.compile(r"^(accepted|sent|held)$")
#: What one look at a page may wait for before the page is asked again (a reload).
GLANCE_MS = 1_500


@pytest.fixture(scope="module")
def console_url(system: System) -> Iterator[str]:
    with running_console(system) as url:
        yield url


@pytest.fixture
async def page(chromium: str, tmp_path: Path) -> AsyncIterator[Page]:
    async with playwright_api.async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile: no cookies from another run
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="en-US",  # this journey reads the English labels; the French and German ones have theirs
        )
        context.set_default_timeout(15_000)
        try:
            yield context.pages[0] if context.pages else await context.new_page()
        finally:
            await context.close()


async def reload_until(page: Page, shown: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """The services learn from Kafka, so a page can lag: look, and reload until it shows, on a deadline."""
    deadline = time.monotonic() + timeout
    while not await shown():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} on {page.url}")
        await page.reload()


async def visible(locator: playwright_api.Locator) -> bool:
    try:
        await locator.first.wait_for(state="visible", timeout=GLANCE_MS)
    except playwright_api.TimeoutError:
        return False
    return True


async def nav(page: Page, name: str) -> None:
    """Follow the sidebar to a page, as a person would."""
    await page.locator("nav").get_by_role("link", name=name, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)


def letter_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as out:
        writer.write(out)
    return path


async def sign_in(page: Page, console_url: str, account: str) -> None:
    await page.goto(f"{console_url}/sign-in")
    await page.get_by_label("Account id").fill(account)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{console_url}/billing")
    await expect(page.get_by_test_id("account-id")).to_have_text(account)


async def fill_settings(page: Page) -> None:
    await nav(page, "Settings")
    profile = j.PROFILE
    await page.locator("input[name='name']").fill(profile["name"])
    for key in ("line1", "postal_code", "city"):
        await page.locator(f"input[name='address.{key}']").fill(profile["address"][key])
    await page.locator("select[name='address.country']").select_option(profile["address"]["country"])
    await page.locator("input[name='email']").fill(profile["email"])
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("profile-complete")).to_be_visible()


async def add_card_through_checkout(page: Page, system: System, console_url: str) -> None:
    await nav(page, "Billing")
    # Payments hears of the completed profile over Kafka; until then Billing still asks for it.
    await reload_until(page, lambda: ready_for_checkout(page), 30, "payments to know the profile is complete")
    await page.get_by_role("button", name="Add a payment method").click()
    await page.wait_for_url(f"{system.emulator_url}/checkout/*")
    await expect(page.get_by_role("heading", name="Set up a payment method")).to_be_visible()
    await page.locator(f"input[name='card'][value='{j.GOOD_CARD}']").check()
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.wait_for_url(f"{console_url}/billing?setup=success")
    # No reload: the page itself asks until Stripe's confirmation has reached payments (30 s at most).
    await expect(page.get_by_test_id("payment-method")).to_contain_text("4242", timeout=35_000)


async def ready_for_checkout(page: Page) -> bool:
    offered = await visible(page.get_by_role("button", name="Add a payment method"))
    return offered and await page.get_by_test_id("profile-missing").count() == 0


async def activate_standard(page: Page) -> None:
    standard = page.locator(".service[data-service='standard']")
    await standard.get_by_role("button", name="Activate").click()
    await expect(page.get_by_role("status")).to_contain_text("switched on")
    await reload_until(
        page,
        lambda: visible(standard.locator(".pill[data-status='active']")),
        30,
        "the standard service to be active",
    )


async def send_letter(page: Page, pdf: Path) -> str:
    letter_id = await submit_letter(page, pdf)
    row = page.locator(f"tr[data-letter='{letter_id}']")
    # Accepted (or held as status_pending while letters catches up on the activation), then sent.
    await expect(row.locator(".pill")).to_have_attribute("data-status", ACCEPTED_OR_LATER)
    await reload_until(page, lambda: visible(row.locator(".pill[data-status='sent']")), 60, "the letter sent")
    return letter_id


async def submit_letter(page: Page, pdf: Path) -> str:
    """Fill in the Letters form for the standard service and send it; returns the new letter's id."""
    await nav(page, "Letters")
    recipient = j.RECIPIENT
    await page.locator("input[name='service'][value='standard']").check()
    await page.locator("input[name='recipient.name']").fill(recipient["name"])
    for key in ("line1", "postal_code", "city"):
        await page.locator(f"input[name='recipient.address.{key}']").fill(recipient["address"][key])
    await page.locator("select[name='recipient.address.country']").select_option(
        recipient["address"]["country"]
    )
    await page.locator("input[name='document']").set_input_files(str(pdf))
    await page.get_by_role("button", name="Send letter").click()
    await page.wait_for_url("**/letters?sent=*")
    return page.url.rsplit("sent=", 1)[1]


async def test_customer_signs_up_adds_a_card_and_sends_a_letter_in_the_console(
    system: System, console_url: str, page: Page, tmp_path: Path
) -> None:
    account = f"acc-{uuid.uuid4().hex[:10]}"
    await sign_in(page, console_url, account)
    await fill_settings(page)
    await add_card_through_checkout(page, system, console_url)
    await activate_standard(page)
    await send_letter(page, letter_pdf(tmp_path / "letter.pdf"))

    await nav(page, "Billing")
    ARTIFACTS.mkdir(exist_ok=True)  # the screenshot first: it is what one looks at when this fails
    await page.screenshot(path=str(ARTIFACTS / "billing.png"), full_page=True)
    method = page.get_by_test_id("payment-method")
    await expect(method).to_contain_text("4242")
    await expect(method).not_to_contain_text(j.GOOD_CARD)  # display facts only, never the number
    standard = page.locator(".service[data-service='standard']")
    await expect(standard.locator(".pill")).to_have_attribute("data-status", "active")
    await j.events(system, "letters.events", account, "LetterSent")
