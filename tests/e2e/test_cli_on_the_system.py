"""The `autoletter` operating commands against the running system."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import journeys as j
from system import System

from autoletter.cli.local_run import LocalRun
from autoletter.runtime.testing import wait_for


async def autoletter(system: System, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "AUTOLETTER_JWT_SECRET": system.jwt_secret,
        "AUTOLETTER_KAFKA_BOOTSTRAP_SERVERS": system.kafka_bootstrap,
        "AUTOLETTER_KAFKA_TOPIC_PREFIX": system.topic_prefix,
        **{f"AUTOLETTER_{name.upper()}_URL": url for name, url in system.urls.items()},
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "autoletter.cli.main",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_account_command_shows_one_account_across_the_services(system: System) -> None:
    account = f"acc-{uuid.uuid4().hex[:10]}"
    await j.complete_profile(system, account)
    code, out, err = await autoletter(system, "account", account, "--json")
    assert code == 0, err
    view = json.loads(out)
    assert view["profile"]["complete"] is True
    assert {s["service"] for s in view["billing"]["services"]} == {"standard", "registered"}
    assert "unavailable" not in json.dumps(view), view


async def test_account_command_prints_the_trace_of_each_recent_letter(system: System) -> None:
    account = f"acc-{uuid.uuid4().hex[:10]}"
    await j.complete_profile(system, account)
    await j.add_card(system, account, j.GOOD_CARD)
    await j.activate(system, account, "standard")
    receipt = await j.send_letter(system, account)
    code, out, err = await autoletter(system, "account", account)
    assert code == 0, err
    [line] = [x for x in out.splitlines() if x.startswith(receipt["letter_id"])]
    trace_id = line.split()[-1]
    assert len(trace_id) == 32 and int(trace_id, 16)
    assert system.traces is not None
    await wait_for(lambda: bool(system.traces and system.traces.trace(trace_id)), 30, "the letter's trace")
    assert any(s.service == "letters" for s in system.traces.trace(trace_id))


async def test_billing_close_of_an_open_month_is_refused_clearly(system: System) -> None:
    code, _, err = await autoletter(
        system, "billing", "close", "--period", "2999-01", "--invoicing-url", system.urls["invoicing"]
    )
    assert code == 2
    assert "period_not_ended" in err


async def test_dlq_list_names_every_dead_letter_topic(system: System) -> None:
    code, out, err = await autoletter(system, "dlq", "list")
    assert code == 0, err
    assert f"{system.topic_prefix}letters.events.dlq.invoicing.usage: 0" in out.splitlines()


async def test_the_cli_needs_no_settings_against_a_local_run(system: System, tmp_path: Path) -> None:
    """What `autoletter dev` writes is all the commands need: tokens the services accept, the account
    view, dead letters, failed Stripe events and the clock."""
    (tmp_path / "jwt.secret").write_text(system.jwt_secret)
    LocalRun(
        urls=system.urls,
        kafka_bootstrap_servers=system.kafka_bootstrap,
        kafka_idempotent_producer=True,
        database_url="postgresql+asyncpg://unused@127.0.0.1:1/unused",
        jwt_secret_file=str(tmp_path / "jwt.secret"),
        clock_offset_file=str(system.offset_file),
        emulator_url=system.emulator_url,
        kafka_topic_prefix=system.topic_prefix,
    ).write(tmp_path)
    env = {"AUTOLETTER_DEV_DIR": str(tmp_path)}
    account = f"acc-{uuid.uuid4().hex[:10]}"

    code, token, err = await local(env, "token", "--account", account)
    assert code == 0, err
    async with httpx.AsyncClient(base_url=system.urls["profile"]) as profile:
        response = await profile.get(
            f"/v1/accounts/{account}/profile", headers={"Authorization": f"Bearer {token.strip()}"}
        )
    assert response.status_code == 200, response.text
    await j.complete_profile(system, account)
    code, out, err = await local(env, "account", account, "--json")
    assert code == 0, err
    assert json.loads(out)["profile"]["complete"] is True
    code, out, err = await local(env, "dlq", "list")
    assert code == 0, err
    assert f"{system.topic_prefix}letters.events.dlq.invoicing.usage: 0" in out.splitlines()
    code, out, err = await local(env, "stripe-events", "list")
    assert code == 0, err
    assert "failed Stripe event(s)" in out

    code, out, err = await local(env, "clock", "advance", "2h")
    assert code == 0, err
    system.offset += timedelta(hours=2)  # the fixture's own view of the shared clock
    assert float(system.offset_file.read_text()) == system.offset.total_seconds()
    async with system.emulator() as emulator:
        stripe_now = (await emulator.get("/_emulator/clock")).json()["now"]
    assert abs(stripe_now - (datetime.now(UTC) + system.offset).timestamp()) < 60


async def local(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`autoletter …` with only what the local run wrote: no AUTOLETTER_* settings at all."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLETTER_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "autoletter.cli.main",
        *args,
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()
