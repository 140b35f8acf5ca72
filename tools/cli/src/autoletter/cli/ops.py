"""The operating commands: serve, token, billing close, account view, dead letters."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
from datetime import timedelta
from typing import Any

import httpx

from autoletter.contracts import TOPICS
from autoletter.runtime import dlq
from autoletter.runtime.auth import OPS_ROLE, mint_token
from autoletter.runtime.settings import ServiceSettings

DEFAULT_URLS = {
    name: os.environ.get(f"AUTOLETTER_{name.upper()}_URL", f"http://127.0.0.1:{port}")
    for name, port in (("profile", 8001), ("payments", 8002), ("letters", 8003), ("invoicing", 8004))
}

#: Every consumer group of the system, for listing dead-letter topics.
CONSUMER_GROUPS = {
    "profile.events": ["payments.profile"],
    "payments.events": ["letters.service-status", "invoicing.payments"],
    "letters.requests": ["letters.send-requests"],
    "letters.events": ["invoicing.usage"],
}


class CliError(Exception):
    """A failure to report to the person in one line."""


class CliSettings(ServiceSettings):
    """The CLI reads the same AUTOLETTER_* settings as the services (JWT secret, Kafka)."""

    service_name = "cli"


def serve(service: str) -> int:
    """Run one service in the foreground until SIGTERM/Ctrl-C."""
    if service == "stripe-emulator":
        importlib.import_module("autoletter.stripe_emulator.__main__").main([])
        return 0
    for module_name in (f"autoletter.{service}.bootstrap", f"autoletter.{service}.__main__"):
        module = importlib.import_module(module_name)
        if hasattr(module, "serve"):
            module.serve()
            return 0
    raise CliError(f"{service} has no serve()")


def token(account_id: str, *, ops: bool = False, hours: float = 12.0) -> str:
    settings = CliSettings()
    roles = [OPS_ROLE] if ops else []
    return mint_token(
        settings.jwt_secret.get_secret_value(), account_id, roles=roles, ttl=timedelta(hours=hours)
    )


def _ops_client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=30.0,
        headers={"Authorization": f"Bearer {token('ops', ops=True, hours=1)}"},
    )


def _raise_for(response: httpx.Response) -> Any:
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code >= 400:
        raise CliError(
            f"{response.status_code} {body.get('error', '')}: {body.get('message', response.text)}"
        )
    return body


async def close_period(period: str, invoicing_url: str) -> int:
    """Start a billing run and follow it until it ends, printing progress."""
    async with _ops_client(invoicing_url) as client:
        try:
            run = _raise_for(await client.post("/v1/billing-runs", json={"period": period}))
        except httpx.HTTPError as exc:
            raise CliError(f"invoicing is not reachable at {invoicing_url}: {exc}") from exc
        run_id = run.get("run_id") or run.get("id")
        print(f"billing run {run_id} for {period} started")
        last = None
        while True:
            state = _raise_for(await client.get(f"/v1/billing-runs/{run_id}"))
            line = json.dumps({k: v for k, v in state.items() if k not in ("run_id", "period")})
            if line != last:
                print(f"  {line}", flush=True)
                last = line
            if state.get("status") in (
                "completed",
                "skipped",
                "failed",
            ):  # skipped: another run has the period
                return 1 if state.get("status") == "failed" else 0
            await asyncio.sleep(1)


async def show_account(account_id: str, *, as_json: bool = False) -> int:
    """Completeness, payment method, statuses, letters, usage and invoices of one account."""
    views = {
        "profile": ("profile", f"/v1/accounts/{account_id}/profile"),
        "billing": ("payments", f"/v1/accounts/{account_id}/billing"),
        "letters": ("letters", f"/v1/accounts/{account_id}/letters"),
        "usage": ("invoicing", f"/v1/accounts/{account_id}/usage"),
        "invoices": ("invoicing", f"/v1/accounts/{account_id}/invoices"),
    }
    out: dict[str, Any] = {}
    for name, (service, path) in views.items():
        async with _ops_client(DEFAULT_URLS[service]) as client:
            try:
                out[name] = _raise_for(await client.get(path))
            except (httpx.HTTPError, CliError) as exc:
                out[name] = {"unavailable": str(exc)}
    if as_json:
        print(json.dumps(out, indent=2, default=str))
    else:
        for name, value in out.items():
            print(f"== {name}")
            print(json.dumps(value, indent=2, default=str))
    return 0


async def dead_letters(args: argparse.Namespace) -> int:
    settings = CliSettings()
    prefix = settings.kafka_topic_prefix
    if args.dlq_command == "list":
        for topic, groups in CONSUMER_GROUPS.items():
            for group in groups:
                name = TOPICS[topic].dlq(group).full_name(prefix)
                letters = await dlq.list_dead_letters(settings, name)
                print(f"{name}: {len(letters)}")
        return 0
    name = args.topic if args.topic.startswith(prefix) else f"{prefix}{args.topic}"
    if args.dlq_command == "show":
        for letter in await dlq.list_dead_letters(settings, name):
            print(json.dumps(letter.summary(), default=str))
        return 0
    count = await dlq.replay(settings, name, args.offset)
    print(f"replayed {count} dead letter(s) from {name}")
    return 0
