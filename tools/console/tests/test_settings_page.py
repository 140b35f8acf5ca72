"""Settings: the three profile fields through profile's GET/PUT, with If-Match and field errors."""

from __future__ import annotations

import httpx

from autoletter.console.testing import JWT_SECRET, Answer, Upstreams, error, sign_in
from autoletter.runtime.auth import verify_token

ACCOUNT = "acct-settings"
PATH = f"/v1/accounts/{ACCOUNT}/profile"

INCOMPLETE = {
    "account_id": ACCOUNT,
    "name": "Atelier Dupont",
    "email": None,
    "address": None,
    "complete": False,
    "missing": ["email", "address"],
    "updated_at": "2026-03-01T10:00:00+00:00",
}


async def test_settings_show_the_profile_and_name_what_is_missing(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, ACCOUNT)
    upstreams.answer("profile", "GET", PATH, Answer(200, INCOMPLETE, {"ETag": '"3"'}))

    page = await browser.get("/settings")

    assert page.status_code == 200
    assert 'value="Atelier Dupont"' in page.text
    assert "Still missing: your billing e-mail, your postal address." in page.text
    assert 'name="etag" value="&#34;3&#34;"' in page.text
    token = upstreams.calls("profile", "GET", PATH)[0].headers["authorization"].removeprefix("Bearer ")
    assert verify_token(JWT_SECRET, token).account_id == ACCOUNT


async def test_saving_settings_puts_the_whole_profile_with_if_match(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, ACCOUNT)
    upstreams.answer("profile", "PUT", PATH, Answer(200, {**INCOMPLETE, "complete": True}, {"ETag": '"4"'}))
    form = {
        "etag": '"3"',
        "name": " Atelier Dupont ",
        "email": "factures@dupont.fr",
        "address.line1": "12 rue des Lilas",
        "address.line2": "",
        "address.postal_code": "75011",
        "address.city": "Paris",
        "address.country": "FR",
    }

    response = await browser.post("/settings", data=form)

    assert response.status_code == 303
    assert response.headers["location"] == "/settings?saved=true"
    (put,) = upstreams.calls("profile", "PUT", PATH)
    assert put.headers["if-match"] == '"3"'
    assert put.body == {
        "name": "Atelier Dupont",
        "email": "factures@dupont.fr",
        "address": {
            "line1": "12 rue des Lilas",
            "line2": None,
            "postal_code": "75011",
            "city": "Paris",
            "country": "FR",
        },
    }


async def test_field_errors_from_profile_show_beside_their_fields(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, ACCOUNT)
    upstreams.answer("profile", "GET", PATH, Answer(200, INCOMPLETE, {"ETag": '"3"'}))
    details = {
        "address.postal_code": "is not a valid postal code for FR",
        "email": "is not a valid e-mail address",
    }
    upstreams.answer(
        "profile", "PUT", PATH, error(422, "validation_error", "Some fields are invalid.", details)
    )
    form = {"etag": '"3"', "name": "Atelier", "email": "nope", "address.postal_code": "ABC"}

    page = await browser.post("/settings", data=form)

    assert page.status_code == 422
    assert 'data-field="address.postal_code">This postal code does not fit the chosen country.' in page.text
    assert 'data-field="email">Enter a valid e-mail address' in page.text
    assert 'value="nope"' in page.text  # what the person typed stays


async def test_a_stale_profile_says_it_changed_and_keeps_the_typed_values(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, ACCOUNT)
    upstreams.answer("profile", "GET", PATH, Answer(200, INCOMPLETE, {"ETag": '"5"'}))
    stale = error(412, "precondition_failed", "The profile changed since you read it.", {"etag": '"5"'})
    upstreams.answer("profile", "PUT", PATH, stale)

    page = await browser.post("/settings", data={"etag": '"3"', "name": "Mine"})

    assert page.status_code == 412
    assert "Your profile was changed elsewhere since you opened this page." in page.text
    assert 'value="Mine"' in page.text
    assert 'name="etag" value="&#34;5&#34;"' in page.text


async def test_profile_down_shows_a_banner_not_an_error_page(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, ACCOUNT)
    upstreams.down.add("profile")

    page = await browser.get("/settings")

    assert page.status_code == 503
    assert "The profile service is not answering right now. Please try again in a moment." in page.text
    assert "banner-down" in page.text
