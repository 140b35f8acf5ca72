"""The operating commands: serve, token, billing close, account view, dead letters."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from datetime import timedelta
from typing import Any

import httpx

from autoletter.cli.errors import CliError, reaching_kafka, service_unreachable
from autoletter.cli.settings import CliSettings, service_url
from autoletter.contracts import CONSUMER_GROUPS
from autoletter.runtime import dlq
from autoletter.runtime.auth import OPS_ROLE, mint_token

__all__ = ["CliError", "CliSettings"]


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


def ops_client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=30.0,
        headers={"Authorization": f"Bearer {token('ops', ops=True, hours=1)}"},
    )


def raise_for(response: httpx.Response) -> Any:
    is_json = response.headers.get("content-type", "").startswith("application/json")
    body = response.json() if is_json else {}
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        code = body.get("error", "") if isinstance(body, dict) else ""
        raise CliError(f"{response.status_code} {code}: {message or response.text[:200]}")
    return body


async def call(service: str, method: str, path: str, **kwargs: Any) -> Any:
    """One request to a service as ops; an unreachable service or an error answer is a CliError."""
    url = service_url(service)
    async with ops_client(url) as client:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise service_unreachable(service, url, exc) from exc
    return raise_for(response)


async def close_period(period: str, invoicing_url: str | None) -> int:
    """Start a billing run and follow it until it ends, printing progress."""
    url = invoicing_url or service_url("invoicing")
    async with ops_client(url) as client:
        try:
            run = raise_for(await client.post("/v1/billing-runs", json={"period": period}))
            run_id = run.get("run_id") or run.get("id")
            print(f"billing run {run_id} for {period} started")
            last = None
            while True:
                state = raise_for(await client.get(f"/v1/billing-runs/{run_id}"))
                line = json.dumps({k: v for k, v in state.items() if k not in ("run_id", "period")})
                if line != last:
                    print(f"  {line}", flush=True)
                    last = line
                # skipped: another run has the period; interrupted: its process died, the next taker resumes
                if state.get("status") in ("completed", "skipped", "failed", "interrupted"):
                    return 0 if state.get("status") in ("completed", "skipped") else 1
                await asyncio.sleep(1)
        except httpx.HTTPError as exc:
            raise service_unreachable("invoicing", url, exc) from exc


ACCOUNT_VIEWS = {
    "profile": ("profile", "/v1/accounts/{}/profile"),
    "billing": ("payments", "/v1/accounts/{}/billing"),
    "letters": ("letters", "/v1/accounts/{}/letters"),
    "usage": ("invoicing", "/v1/accounts/{}/usage"),
    "invoices": ("invoicing", "/v1/accounts/{}/invoices"),
}


async def show_account(account_id: str, *, as_json: bool = False) -> int:
    """Completeness, payment method, statuses, letters, usage and invoices of one account.

    Exits 2 when a service is unreachable, 1 when one answered with an error, 0 when all is shown."""
    out: dict[str, Any] = {}
    failures: list[str] = []
    unreachable = False
    for name, (service, path) in ACCOUNT_VIEWS.items():
        try:
            out[name] = await call(service, "GET", path.format(account_id))
        except CliError as exc:
            out[name] = {"unavailable": str(exc)}
            failures.append(f"{name}: {exc}")
            unreachable = unreachable or "not reachable" in str(exc)
    if as_json:
        print(json.dumps(out, indent=2, default=str))
    else:
        for name, value in out.items():
            print(f"== {name}")
            print(json.dumps(value, indent=2, default=str))
        _print_traces(out.get("letters"))
    for failure in failures:
        print(f"autoletter: {failure}", file=sys.stderr)
    return 2 if unreachable else 1 if failures else 0


def _print_traces(letters: Any) -> None:
    """One line per recent letter with its trace id, to look it up in the trace viewer."""
    items = letters.get("items", []) if isinstance(letters, dict) else []
    if items:
        print("== traces of the last letters (letter, status, trace id)")
        for letter in items[:10]:
            print(f"{letter['letter_id']}  {letter['status']:<9} {letter.get('trace_id') or '-'}")


async def dead_letters(args: argparse.Namespace) -> int:
    settings = CliSettings()
    prefix = settings.kafka_topic_prefix
    async with reaching_kafka(settings.kafka_bootstrap_servers):
        if args.dlq_command == "list":
            for group in CONSUMER_GROUPS.values():  # declared in contracts, beside the topics
                name = group.dlq().full_name(prefix)
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
