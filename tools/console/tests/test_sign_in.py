"""Signing in on a local run, and what a page does without a session."""

from __future__ import annotations

import httpx

from autoletter.console.bootstrap import create_app
from autoletter.console.testing import JWT_SECRET, SERVICES, Upstreams, console_settings, error, sign_in
from autoletter.console.web import COOKIE
from autoletter.runtime.auth import verify_token


async def test_signing_in_keeps_a_dev_token_in_an_httponly_cookie(browser: httpx.AsyncClient) -> None:
    response = await sign_in(browser, "acct-signin", ops=True)

    assert response.headers["location"] == "/billing"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    principal = verify_token(JWT_SECRET, browser.cookies[COOKIE])
    assert principal.account_id == "acct-signin"
    assert principal.is_ops


async def test_pages_send_a_person_without_session_to_sign_in(browser: httpx.AsyncClient) -> None:
    for page in ("/settings", "/billing", "/letters", "/ops"):
        response = await browser.get(page)
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in"


async def test_a_forged_cookie_is_not_a_session(browser: httpx.AsyncClient) -> None:
    browser.cookies.set(COOKIE, "not-a-token")
    response = await browser.get("/billing")
    assert response.headers["location"] == "/sign-in"


async def test_dev_sign_in_is_refused_in_production(upstreams: Upstreams) -> None:
    settings = console_settings(environment="production")
    app = create_app(settings, mounts={f"http://{s}.test": upstreams.transport(s) for s in SERVICES})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c.test") as client:
        page = await client.get("/sign-in")
        response = await client.post("/sign-in", data={"account_id": "acct-prod"})

    assert "La connexion de développement est désactivée" in page.text  # French by default
    assert response.status_code == 403
    assert COOKIE not in client.cookies


async def test_a_token_the_services_refuse_sends_the_person_back_to_sign_in(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, "acct-expired")
    path = "/v1/accounts/acct-expired/profile"
    upstreams.answer("profile", "GET", path, error(401, "unauthorized", "Your session has expired."))

    response = await browser.get("/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?expired=true"


async def test_the_front_page_is_the_sign_in_form_until_signed_in(browser: httpx.AsyncClient) -> None:
    before = await browser.get("/")
    assert before.status_code == 200  # `autoletter dev` waits for this answer
    assert 'action="/sign-in"' in before.text

    await sign_in(browser, "acct-front")
    after = await browser.get("/")
    assert after.headers["location"] == "/billing"
    assert (await browser.get("/readyz")).status_code == 200
