"""The Settings page against the real profile service (PostgreSQL and Kafka): the contract holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from autoletter.console.bootstrap import create_app
from autoletter.console.testing import CONSOLE, JWT_SECRET, console_settings, sign_in
from autoletter.profile.bootstrap import bootstrap
from autoletter.profile.settings import ProfileSettings
from autoletter.runtime.service import ServiceRuntime

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


@pytest.fixture(scope="module")
async def browser_on_real_profile(
    database_url: str, kafka_bootstrap: str
) -> AsyncIterator[httpx.AsyncClient]:
    tag = uuid.uuid4().hex[:10]
    settings = ProfileSettings(
        database_url=database_url,
        database_schema=f"c{tag}",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=f"c{tag}.",
        environment="test",
        jwt_secret=JWT_SECRET,
        graceful_timeout_s=5,
    )
    runtime = ServiceRuntime(bootstrap(settings))
    profile = httpx.ASGITransport(app=runtime.create_app())
    console = create_app(console_settings(), mounts={"http://profile.test": profile})
    async with runtime.running():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=console), base_url=CONSOLE) as client:
            yield client
        async with runtime.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))


FORM = {
    "name": "Atelier Dupont",
    "email": "factures@dupont.example",
    "address.line1": "Unter den Linden 1",
    "address.line2": "",
    "address.postal_code": "10117",
    "address.city": "Berlin",
    "address.country": "DE",
}


async def test_a_person_completes_the_profile_in_settings(
    browser_on_real_profile: httpx.AsyncClient, unique: str
) -> None:
    browser = browser_on_real_profile
    await sign_in(browser, f"acc-{unique}")

    empty = await browser.get("/settings")
    assert empty.status_code == 200
    assert '<html lang="fr">' in empty.text  # French by default
    assert "Il manque encore : votre nom, votre e-mail de facturation, votre adresse postale." in empty.text
    assert '<option value="DE">Allemagne</option>' in empty.text  # the country is a localised list
    etag = empty.text.split('name="etag" value="')[1].split('"')[0].replace("&#34;", '"')

    blank = await browser.post("/settings", data={"etag": etag, "name": " ", "address.country": ""})
    assert blank.status_code == 422
    assert "Le formulaire est vide" in blank.text
    assert "Votre profil est enregistré" not in blank.text

    refused = await browser.post("/settings", data={**FORM, "etag": etag, "address.postal_code": "1011"})
    assert refused.status_code == 422
    assert 'data-field="address.postal_code">Ce code postal ne correspond pas au pays choisi.' in refused.text
    assert "address.postal_code:" not in refused.text  # the profile service's codes stay off the screen

    saved = await browser.post("/settings", data={**FORM, "etag": etag})
    assert saved.status_code == 303, saved.text
    done = await browser.get("/settings")
    assert "Votre profil est complet." in done.text
    assert '<option value="DE" selected>Allemagne</option>' in done.text
    assert 'value="Unter den Linden 1"' in done.text

    stale = await browser.post("/settings", data={**FORM, "etag": etag, "name": "Someone else"})
    assert stale.status_code == 412
    assert "Votre profil a été modifié ailleurs" in stale.text
