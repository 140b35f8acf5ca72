"""The `autoletter` operating commands against the running system."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

import journeys as j
from system import System


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
