"""Security checks that cover new routes by themselves (DESIGN §4, §8; issue 19).

A tenant matrix built from the four OpenAPI documents: every route with another account's token, no
token, forged tokens (expired, another secret, `alg: none`) and, on ops routes, a customer's token —
no leak (401/403/404 with nothing of the account in the body) and no change (every table of the
system counted, and the account's views, before and after). Then, after the journeys, every schema
of the session's systems (bytea decoded, PDFs left out) and every service log is scanned for test
card numbers and IBANs, any card-like Luhn-valid number, and the secrets: none may be there."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import journeys as j
import pytest
from security_checks import ANY_ACCOUNT, PUBLIC, Route, findings, forged_tokens, routes
from system import SERVICES, System, body

from autoletter.runtime.testing import wait_for
from autoletter.stripe_emulator.cards import CARDS
from autoletter.stripe_emulator.ibans import IBANS

#: The customer whose resources the matrix aims at, and another who tries to reach them.
VICTIM, INTRUDER = f"acc-{uuid.uuid4().hex[:10]}", f"acc-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
async def victim(system: System) -> dict[str, str]:
    """An account with a profile, a card, an active service and a sent letter."""
    await j.complete_profile(system, VICTIM)
    await j.add_card(system, VICTIM, j.GOOD_CARD)
    await j.activate(system, VICTIM, "standard")
    await j.consumer_caught_up(system, "letters.service-status", "payments.events")
    receipt = await j.send_letter(system, VICTIM)
    await j.events(system, "letters.events", VICTIM, "LetterSent")
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    return {"account_id": VICTIM, "letter_id": receipt["letter_id"], "service": "standard"}


async def quiet(system: System) -> None:
    """Nothing in flight: Stripe's webhooks delivered, and every service settled (no unpublished
    event, no consumer lag, no stored Stripe event waiting), so row counts only move if we move them."""
    async with system.emulator() as emulator:
        drained = await emulator.post("/_emulator/webhooks/drain", json={"timeout": 30})
        assert body(drained)["drained"] is True, drained.text

    async def settled() -> bool:
        for service in SERVICES:
            async with system.client(service, "ops-person", ops=True) as client:
                side = body(await client.get("/v1/ops/reconciliation", params={"period": "2020-01"}))
            if not side["settled"]:
                return False
        return True

    await wait_for(settled, 60, "every service settled")


async def all_routes(system: System) -> list[Route]:
    found = []
    async with httpx.AsyncClient(timeout=30) as client:
        for service in SERVICES:
            document = body(await client.get(f"{system.urls[service]}/openapi.json"))
            found += list(routes(service, document))
    return found


async def views(system: System, account: str) -> dict[str, Any]:
    """The account as ops sees it in every service."""
    paths = {
        "profile": f"/v1/accounts/{account}/profile",
        "payments": f"/v1/accounts/{account}/billing",
        "letters": f"/v1/accounts/{account}/letters",
        "invoicing": f"/v1/accounts/{account}/invoices",
    }
    out = {}
    for service, path in paths.items():
        async with system.client(service, "ops-person", ops=True) as client:
            out[service] = body(await client.get(path))
    return out


def schemas(system: System) -> list[str]:
    return [f"{system.topic_prefix.rstrip('.')}_{service}" for service in SERVICES]


async def row_counts(database_url: str, names: list[str]) -> dict[str, int]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        tables = await connection.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY($1::text[]) AND table_type = 'BASE TABLE'",
            names,
        )
        return {
            f"{t['table_schema']}.{t['table_name']}": await connection.fetchval(
                f'SELECT count(*) FROM "{t["table_schema"]}"."{t["table_name"]}"'
            )
            for t in tables
        }
    finally:
        await connection.close()


async def test_every_route_refuses_other_accounts_and_forged_tokens_and_changes_nothing(
    system: System, victim: dict[str, str], database_url: str
) -> None:
    found = await all_routes(system)
    assert len({r.service for r in found}) == 4 and len(found) > 15, found
    await quiet(system)
    before = (await row_counts(database_url, schemas(system)), await views(system, VICTIM))
    secrets_of_victim = [
        VICTIM,
        victim["letter_id"],
        j.PROFILE["email"],
        j.PROFILE["name"],
        system.jwt_secret,
    ]
    forged = forged_tokens(system.jwt_secret, VICTIM)
    wrong: list[str] = []

    async def expect(route: Route, token: str | None, allowed: set[int], case: str) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers["Idempotency-Key"] = str(uuid.uuid4())
        response = await client.request(
            route.method,
            f"{system.urls[route.service]}{route.path(victim)}",
            params=route.query(),
            json=route.body,
            headers=headers,
        )
        if response.status_code not in allowed:
            wrong.append(f"{route.service} {route.method} {route.template} {case}: {response.status_code}")
        elif response.status_code >= 400 and any(s in response.text for s in secrets_of_victim):
            wrong.append(
                f"{route.service} {route.method} {route.template} {case}: leaks {response.text[:200]}"
            )

    unclassified = []
    client = httpx.AsyncClient(timeout=30)  # one client: its connections are reused across the matrix
    for route in found:
        if route.key in PUBLIC or route.template in (
            "/openapi.json",
            "/docs",
            "/redoc",
            "/docs/oauth2-redirect",
        ):
            continue
        await expect(route, None, {401}, "no token")
        for name, token in forged.items():
            await expect(route, token, {401}, name)
        intruder = system.token(INTRUDER)
        if route.is_ops:
            await expect(route, intruder, {403}, "a customer's token on an ops route")
            await expect(route, system.token(VICTIM), {403}, "the account's own token on an ops route")
        elif "{account_id}" in route.template:
            await expect(route, intruder, {404}, "another account's token")
        elif route.key not in ANY_ACCOUNT:
            unclassified.append(f"{route.service} {route.method} {route.template}")
    await client.aclose()
    assert unclassified == [], "new routes naming no account: add them to ANY_ACCOUNT or OPS_PREFIXES"
    assert wrong == [], "\n".join(wrong)
    after = (await row_counts(database_url, schemas(system)), await views(system, VICTIM))
    assert after == before


async def test_the_webhook_without_a_signature_is_refused_and_stores_nothing(
    system: System, database_url: str
) -> None:
    await quiet(system)
    before = await row_counts(database_url, schemas(system))
    async with httpx.AsyncClient(base_url=system.urls["payments"], timeout=30) as client:
        response = await client.post(
            "/v1/stripe/webhook", content=b'{"id": "evt_forged", "type": "invoice.paid"}'
        )
    assert response.status_code == 400, response.text
    assert await row_counts(database_url, schemas(system)) == before


async def test_no_card_number_iban_or_secret_in_any_schema_or_log(
    system: System, victim: dict[str, str], database_url: str, server_workdir: Path
) -> None:
    """Runs last in this module, after its journey; it scans every e2e system of the session so far."""
    literals = {f"test card {n[-4:]}": n for n in CARDS} | {f"test IBAN {i[-4:]}": i for i in IBANS}
    literals["the JWT secret"] = system.jwt_secret
    problems: list[str] = []
    scanned_rows = 0
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        tables = await connection.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema LIKE 'e2e%' AND table_type = 'BASE TABLE'"
        )
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            texts = []
            for row in await connection.fetch(f"SELECT * FROM {name}"):
                scanned_rows += 1
                for value in row.values():
                    if isinstance(value, bytes | bytearray | memoryview):
                        raw = bytes(value)
                        if not raw.startswith(b"%PDF"):  # documents are the customer's own letters
                            texts.append(raw.decode("utf-8", "replace"))
                    elif value is not None:
                        texts.append(value if isinstance(value, str) else json.dumps(value, default=str))
            problems += findings(name, "\n".join(texts), literals)
    finally:
        await connection.close()
    # Our processes' logs; the emulator's is Stripe's side (it is handed the test card by design).
    logs = [p for p in server_workdir.glob("logs-*/*.log") if p.name != "stripe-emulator.log"]  # noqa: ASYNC240
    for log in logs:
        text = log.read_text(errors="replace")
        problems += findings(str(log.relative_to(server_workdir)), text, literals)
    assert len(tables) >= 4 * 5 and scanned_rows > 0 and len(logs) >= 4, (len(tables), scanned_rows, logs)
    assert problems == [], "\n".join(problems)


def test_the_scan_finds_what_it_looks_for_and_not_trace_ids() -> None:
    """The scan can fail: planted numbers and secrets are found; W3C ids that happen to be digits are not."""
    planted = 'card 4000 0027 6000 3184, amex 378282246310005, key sk_test_abc123, {"pw": "s3cret!"}'
    found = findings("planted", planted, {"the JWT secret": "s3cret!"})
    assert len(found) == 4, found
    traces = (
        '"span_id": "4242424242424242" traceparent 00-0af7651916cd43dd8448eb211c80319c-4242424242424242-01'
    )
    assert findings("traces", traces + " 1732900000123 4242424242424241", {}) == []
