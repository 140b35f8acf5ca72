"""The README's "Walkthrough on the local run", done as a new user would: `bin/dev` started as a
subprocess, the browser steps in the console (a real Chromium), and the CLI commands exactly as the
README writes them, from an empty data directory to a failed, retried, overdue and recovered invoice,
with the local run stopped and started again in the middle.

The run lives in its own data directory (AUTOLETTER_DEV_DIR) on nine free ports from a base
(AUTOLETTER_DEV_PORT_BASE): a developer's own `.autoletter/dev/` and `bin/dev` are not disturbed. The
commands find the run through its `run.json`, as they do on a developer's machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import journeys as j
import pytest
from system import System
from test_console_journey import (
    ARTIFACTS,
    activate_standard,
    add_card_through_checkout,
    fill_settings,
    letter_pdf,
    nav,
    page,  # noqa: F401 - a fixture
    playwright_api,
    reload_until,
    send_letter,
    sign_in,
    submit_letter,
    visible,
)

from autoletter.cli.local_run import FACTS_FILE, LocalRun
from autoletter.devstack.process import ServerProcess
from autoletter.runtime.testing import wait_for

Page = playwright_api.Page
expect = playwright_api.expect

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()

# Every command this test runs, as the README writes it (YYYY-MM: the month the walkthrough bills).
BIN_DEV = "bin/dev"
BIN_DEV_FRESH = "bin/dev --fresh"
ADVANCE_PAST_MONTH_END = "uv run autoletter clock advance 31d"
BILLING_CLOSE = "uv run autoletter billing close --period YYYY-MM"
ADVANCE_THROUGH_RETRIES = "uv run autoletter clock advance 8d"
ACCOUNT = "uv run autoletter account demo"
CLOCK_SHOW = "uv run autoletter clock show"
RECONCILE = "uv run autoletter reconcile --period YYYY-MM"
DLQ_LIST = "uv run autoletter dlq list"
STRIPE_EVENTS_LIST = "uv run autoletter stripe-events list"
TOKEN = "uv run autoletter token --account demo"
RUN_BY_THE_WALKTHROUGH = (
    BIN_DEV,
    BIN_DEV_FRESH,
    ADVANCE_PAST_MONTH_END,
    BILLING_CLOSE,
    ADVANCE_THROUGH_RETRIES,
    ACCOUNT,
    CLOCK_SHOW,
    RECONCILE,
    DLQ_LIST,
    STRIPE_EVENTS_LIST,
    TOKEN,
)

STARTED = "Ctrl-C stops everything."
STOPPED = "autoletter dev: stopped"
#: What one start of the whole local run may take on a busy machine (Kafka, PostgreSQL, six processes);
#: about half a minute on a quiet one.
START_TIMEOUT_S = 360.0
PORTS_NEEDED = 9


def readme(command: str, period: str = "") -> list[str]:
    """The command as the README writes it (checked), with the month in place of YYYY-MM."""
    assert command in README, f"the README does not show {command!r}"
    assert period or "YYYY-MM" not in command, command
    return shlex.split(command.replace("YYYY-MM", period))


def free_port_base() -> int:
    """Nine consecutive free ports below the ephemeral range (free ports handed out elsewhere come
    from that range, so they cannot be taken in between)."""
    for _ in range(100):
        base = random.randrange(20_000, 32_000)
        try:
            for port in range(base, base + PORTS_NEEDED):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no nine consecutive free ports found")


@dataclass
class Walkthrough:
    """One person's terminal: where `bin/dev` keeps its data, and the environment every command gets."""

    data: Path
    env: dict[str, str]
    logs: Path
    started: list[ServerProcess] = field(default_factory=list)

    def start(self, command: str = BIN_DEV) -> tuple[ServerProcess, str]:
        """`bin/dev` in the foreground of its own terminal session; returns once it says it is up."""
        n = len(self.started) + 1
        proc = ServerProcess(f"bin/dev #{n}", readme(command), self.logs / f"bin-dev-{n}.log", self.env, REPO)
        self.started.append(proc)
        proc.wait_until(lambda: proc.log_contains(STARTED), START_TIMEOUT_S, "up")
        return proc, proc.log_path.read_text()

    @staticmethod
    async def stop(proc: ServerProcess) -> None:
        """Ctrl-C: SIGINT to the terminal's process group; everything stops cleanly."""
        proc.stop(timeout=90, sig=signal.SIGINT)
        # `uv run` may return before its child has stopped every server: the child says when.
        await wait_for(lambda: proc.log_contains(STOPPED), 90, f"{STOPPED!r} in {proc.log_path}")

    async def run(self, command: str, period: str = "") -> str:
        """A README command in the checkout, as typed; it must succeed. Returns its output."""
        argv = readme(command, period)
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=REPO,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 180)
        assert proc.returncode == 0, (
            f"{shlex.join(argv)} exited {proc.returncode}:\n{out.decode()}{err.decode()}"
        )
        return out.decode()

    def system(self) -> System:
        """The local run as the journey helpers see a system (URLs, Kafka, the JWT secret, the clock)."""
        facts = self.facts()
        secret = facts.jwt_secret()
        assert secret and facts.emulator_url
        return System(
            urls=facts.urls,
            emulator_url=facts.emulator_url,
            kafka_bootstrap=facts.kafka_bootstrap_servers,
            topic_prefix=facts.kafka_topic_prefix,
            jwt_secret=secret,
            offset_file=Path(facts.clock_offset_file),
            work=self.data,
        )

    def facts(self) -> LocalRun:
        """What `bin/dev` wrote for the other commands."""
        return LocalRun(**json.loads((self.data / FACTS_FILE).read_text()))


@pytest.fixture
def walkthrough(tmp_path: Path) -> Iterator[Walkthrough]:
    # No AUTOLETTER_* setting from the caller's shell: the commands rely on what `bin/dev` writes.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLETTER_")}
    if "AUTOLETTER_CACHE_DIR" in os.environ:  # where the Kafka jars were fetched
        env["AUTOLETTER_CACHE_DIR"] = os.environ["AUTOLETTER_CACHE_DIR"]
    # Not under tmp_path: pytest resets /tmp/pytest-of-<user> to mode 0700 whenever a session starts,
    # and PostgreSQL, run as its own user when we are root, then loses its data directory.
    data = Path(tempfile.mkdtemp(prefix="autoletter-readme-")) / "dev"
    env |= {
        "AUTOLETTER_DEV_DIR": str(data),
        "AUTOLETTER_DEV_PORT_BASE": str(free_port_base()),
        "UV_LOCKED": "1",  # as bin/test: the lock file is the truth, never rewritten by a test
    }
    terminal = Walkthrough(data=data, env=env, logs=tmp_path / "terminal")
    yield terminal
    for proc in terminal.started:  # a failed test still stops what it started, as Ctrl-C would
        proc.stop(timeout=90, sig=signal.SIGINT)
    deadline = time.monotonic() + 90
    while not all(_ended(p) for p in terminal.started) and time.monotonic() < deadline:
        time.sleep(0.5)  # `uv run` returns before its child has stopped the servers (see stop())
    shutil.rmtree(data.parent, ignore_errors=True)


def _ended(proc: ServerProcess) -> bool:
    return proc.log_contains(STOPPED) or proc.log_contains("autoletter dev: could not start")


@pytest.mark.timeout(900)  # two starts of the whole local run, each up to START_TIMEOUT_S
async def test_the_readme_walkthrough_from_bin_dev_to_a_recovered_invoice(
    walkthrough: Walkthrough,
    page: Page,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    # A leftover from an earlier run, which `--fresh` deletes.
    walkthrough.data.mkdir(parents=True)
    (walkthrough.data / "leftover").write_text("an earlier run")
    started = time.monotonic()
    dev, said = walkthrough.start(BIN_DEV_FRESH)
    assert "--fresh: deleting" in said and not (walkthrough.data / "leftover").exists()
    try:
        await _walk(walkthrough, page, dev, said, tmp_path)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)  # what one looks at when this fails
        await page.screenshot(path=str(ARTIFACTS / "readme-walkthrough.png"), full_page=True)
    print(f"README walkthrough: {time.monotonic() - started:.0f}s")


async def _walk(walkthrough: Walkthrough, tab: Page, dev: ServerProcess, said: str, tmp_path: Path) -> None:
    system = walkthrough.system()
    console = system.urls["console"]
    assert f"web console   {console}/" in said and "dev token (account demo" in said
    letter = letter_pdf(tmp_path / "letter.pdf")

    # 1. Sign in as `demo` (the English labels: the browser asks for English).
    await sign_in(tab, console, "demo")
    # 2. "Add a payment method" is refused: the profile is incomplete, and the page says what is missing.
    await tab.get_by_role("button", name="Add a payment method").click()
    refused = tab.locator("[role=alert][data-error='profile_incomplete']")
    for missing in ("your name", "your postal address", "your billing e-mail"):
        await expect(refused).to_contain_text(missing)
    await fill_settings(tab)
    # 3. The hosted Checkout page of the emulator, the 4242 card, back on Billing.
    await add_card_through_checkout(tab, system, console)
    # 4. standard, activated.
    await activate_standard(tab)
    # 5. A letter, accepted and sent; Ops shows the usage.
    await send_letter(tab, letter)
    period = j.period_of(j.now(system))
    await _ops_shows_usage(tab, console)
    await sign_in(tab, console, "demo")

    # 6. The 0341 card in the portal; a month later the close bills the letter and the charge fails.
    await _card_in_the_portal(tab, system, j.DECLINING_CARD)
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")  # the ledger has the letter
    await walkthrough.run(ADVANCE_PAST_MONTH_END)
    await walkthrough.run(BILLING_CLOSE, period)  # or the schedule's own run: both end the same
    failed = tab.get_by_test_id("payment-failed")
    await nav(tab, "Billing")
    await reload_until(tab, lambda: visible(failed), 60, "the failed payment on Billing")
    await expect(failed).to_contain_text("Stripe will try again on")

    # Stripe's retries on its own clock; after the last one the invoice has failed for good.
    await walkthrough.run(ADVANCE_THROUGH_RETRIES)
    standard = tab.locator(".service[data-service='standard']")
    await reload_until(
        tab, lambda: visible(standard.locator(".pill[data-status='overdue']")), 60, "standard overdue"
    )
    await expect(failed).to_contain_text("Stripe will not try again")
    assert '"status": "overdue"' in await walkthrough.run(ACCOUNT)
    await j.consumer_caught_up(system, "letters.service-status", "payments.events")
    held = await submit_letter(tab, letter)
    held_row = tab.locator(f"tr[data-letter='{held}'] .pill")
    await expect(held_row).to_have_attribute("data-status", "held")

    # Stopping and starting bin/dev changes nothing: the emulator remembers customers, invoices, clock.
    await walkthrough.stop(dev)
    dev, said = walkthrough.start(BIN_DEV)
    assert "--fresh: deleting" not in said
    assert "caught up" not in said, "the emulator forgot its clock: the local run had to move it again"
    _both_clocks_a_month_ahead(await walkthrough.run(CLOCK_SHOW))

    # "Change the payment method" → a working card → the invoice is paid, standard active, the letter out.
    # (The portal needs the emulator to know the customer; the payment needs it to know the invoice.)
    await sign_in(tab, console, "demo")
    await _card_in_the_portal(tab, system, j.GOOD_CARD)
    await reload_until(
        tab, lambda: visible(standard.locator(".pill[data-status='active']")), 60, "standard active again"
    )
    await expect(failed).to_have_count(0)
    await nav(tab, "Letters")
    held_sent = tab.locator(f"tr[data-letter='{held}'] .pill[data-status='sent']")
    await reload_until(tab, lambda: visible(held_sent), 60, "the held letter sent")
    _both_clocks_a_month_ahead(await walkthrough.run(CLOCK_SHOW))

    # The other commands against the same run: a token it accepts, no dead letter, nothing failed,
    # and the billed month adds up everywhere.
    token = (await walkthrough.run(TOKEN)).strip()
    async with system.client("profile", "demo") as profile:
        response = await profile.get(
            "/v1/accounts/demo/profile", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
    dead = await walkthrough.run(DLQ_LIST)
    assert dead.strip() and all(line.endswith(": 0") for line in dead.splitlines()), dead
    assert "0 failed Stripe event(s)" in await walkthrough.run(STRIPE_EVENTS_LIST)
    await walkthrough.run(RECONCILE, period)

    await walkthrough.stop(dev)


async def _ops_shows_usage(tab: Page, console: str) -> None:
    """Ops (signed in with the ops box ticked) looks up `demo`: one standard letter this month."""
    await tab.goto(f"{console}/sign-in")
    await tab.get_by_label("Account id").fill("ops-person")
    await tab.get_by_label("Ops role").check()
    await tab.get_by_role("button", name="Sign in").click()
    await nav(tab, "Ops")
    await tab.get_by_role("textbox", name="Account id").fill("demo")
    await tab.get_by_role("button", name="Look up").click()
    usage = tab.get_by_test_id("usage")
    await expect(usage).to_contain_text("Standard")
    await expect(usage.locator("tbody tr").first.locator("td").nth(1)).to_have_text("1")


async def _card_in_the_portal(tab: Page, system: System, card: str) -> None:
    """Billing → "Change the payment method" (the emulator's portal) → a test card as the default →
    back on Billing, once payments knows the new card."""
    await nav(tab, "Billing")
    await tab.get_by_role("button", name="Change the payment method").first.click()
    await tab.wait_for_url(f"{system.emulator_url}/portal/*")
    await tab.locator(f"input[name='card'][value='{card}']").check()
    await tab.get_by_role("button", name="Add and make default").click()
    await tab.wait_for_url(f"{system.emulator_url}/portal/*")
    await tab.get_by_role("link", name="Return").click()
    await tab.wait_for_url(f"{system.urls['console']}/billing*")
    method = tab.get_by_test_id("payment-method")
    await reload_until(tab, lambda: _shows(method, f"•••• {card[-4:]}"), 30, f"the card {card[-4:]}")


async def _shows(locator: playwright_api.Locator, text: str) -> bool:
    return text in (await locator.inner_text())


_WHEN = re.compile(r"^(services|stripe)\s+(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC", re.MULTILINE)


def _both_clocks_a_month_ahead(shown: str) -> None:
    """`clock show`: the services' and the emulator's clocks together, 39 days ahead of real time."""
    clocks = {
        name: datetime.strptime(when, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        for name, when in _WHEN.findall(shown)
    }
    assert set(clocks) == {"services", "stripe"}, shown
    assert abs(clocks["services"] - clocks["stripe"]) < timedelta(minutes=2), shown
    assert clocks["services"] - datetime.now(UTC) > timedelta(days=38), shown
