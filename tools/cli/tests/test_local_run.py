"""The CLI against a local run: it finds what `autoletter dev` wrote, moves the clock, and reports
every unreachable part in one line (exit 2) instead of a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from autoletter.cli.errors import CliError
from autoletter.cli.local_run import LocalRun
from autoletter.cli.main import main
from autoletter.cli.timetravel import align_emulator, parse_duration
from autoletter.devstack.process import ServerProcess, free_port
from autoletter.runtime.auth import verify_token

SECRET = "a-local-run-secret-0123456789-abcdefghij"


def local_run(tmp: Path, *, emulator_url: str | None = "http://127.0.0.1:1", port: int = 1) -> Path:
    """A facts file as `autoletter dev` writes it, every address pointing at `port`."""
    (tmp / "jwt.secret").write_text(SECRET)
    LocalRun(
        urls={n: f"http://127.0.0.1:{port}" for n in ("profile", "payments", "letters", "invoicing")},
        kafka_bootstrap_servers=f"127.0.0.1:{port}",
        kafka_idempotent_producer=True,
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres",
        jwt_secret_file=str(tmp / "jwt.secret"),
        clock_offset_file=str(tmp / "clock-offset"),
        emulator_url=emulator_url,
    ).write(tmp)
    return tmp


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLETTER_")}
    return subprocess.run(
        [sys.executable, "-m", "autoletter.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env={**clean, **env},
    )


def test_token_is_signed_with_the_local_runs_secret_unless_the_environment_says_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOLETTER_DEV_DIR", str(local_run(tmp_path)))
    monkeypatch.delenv("AUTOLETTER_JWT_SECRET", raising=False)
    assert main(["token", "--account", "demo"]) == 0
    assert verify_token(SECRET, capsys.readouterr().out.strip()).account_id == "demo"

    monkeypatch.setenv("AUTOLETTER_JWT_SECRET", "the-environment-wins-0123456789-abcdef")
    assert main(["token", "--account", "demo"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token("the-environment-wins-0123456789-abcdef", token).account_id == "demo"


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["dlq", "list"], "Kafka is not reachable at 127.0.0.1:{port}"),
        (["account", "acc-1"], "profile is not reachable at http://127.0.0.1:{port}"),
        (
            ["billing", "close", "--period", "2026-01"],
            "invoicing is not reachable at http://127.0.0.1:{port}",
        ),
        (["stripe-events", "list"], "payments is not reachable at http://127.0.0.1:{port}"),
        (["clock", "show"], "Stripe emulator is not reachable at http://127.0.0.1:{port}"),
        (["clock", "advance", "1d"], "Stripe emulator is not reachable at http://127.0.0.1:{port}"),
    ],
)
def test_an_unreachable_part_is_one_line_naming_the_address_and_exit_2(
    tmp_path: Path, argv: list[str], what: str
) -> None:
    port = free_port()  # nothing listens there
    facts = local_run(tmp_path, emulator_url=f"http://127.0.0.1:{port}", port=port)
    result = cli(*argv, env={"AUTOLETTER_DEV_DIR": str(facts)})
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    assert all(line.startswith("autoletter: ") for line in result.stderr.splitlines()), result.stderr
    assert what.format(port=port) in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_the_clock_is_refused_with_real_stripe_and_never_goes_backwards(tmp_path: Path) -> None:
    real_stripe = local_run(tmp_path, emulator_url=None)
    real = cli("clock", "advance", "3d", env={"AUTOLETTER_DEV_DIR": str(real_stripe)})
    assert real.returncode == 2
    assert "real Stripe" in real.stderr
    back = cli("clock", "advance", "0s", env={"AUTOLETTER_DEV_DIR": str(local_run(tmp_path))})
    assert back.returncode == 2
    assert "only moves forward" in back.stderr
    assert not (tmp_path / "clock-offset").exists()


def test_durations_read_as_people_write_them() -> None:
    assert parse_duration("3d").total_seconds() == 3 * 86400
    assert parse_duration("1d12h").total_seconds() == 36 * 3600
    assert parse_duration("90s").total_seconds() == 90
    for bad in ("-3d", "3", "three days", "3d-1h", ""):
        with pytest.raises(CliError, match=r"duration|forward"):
            parse_duration(bad)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = ServerProcess(
        "stripe-emulator",
        [sys.executable, "-m", "autoletter.stripe_emulator", "--port", str(port)],
        tmp_path / "emulator.log",
    )

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/_emulator/clock", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        proc.wait_until(ready, 60, "ready")
        yield url
    finally:
        proc.stop()


def test_clock_advance_moves_the_services_and_the_emulator_together(tmp_path: Path, emulator: str) -> None:
    facts = local_run(tmp_path, emulator_url=emulator)
    env = {"AUTOLETTER_DEV_DIR": str(facts)}
    before = httpx.get(f"{emulator}/_emulator/clock").json()["now"]
    assert cli("clock", "advance", "3d", env=env).returncode == 0
    assert cli("clock", "advance", "12h", env=env).returncode == 0
    offset = float((tmp_path / "clock-offset").read_text())
    assert offset == 3.5 * 86400
    after = httpx.get(f"{emulator}/_emulator/clock").json()["now"]
    assert 3.5 * 86400 <= after - before < 3.5 * 86400 + 60
    shown = cli("clock", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "real time + 3 days, 12:00:00" in shown.stdout
    assert json.loads((facts / "run.json").read_text())["emulator_url"] == emulator


def test_a_fresh_emulator_catches_up_with_the_local_runs_business_time(tmp_path: Path, emulator: str) -> None:
    offset_file = tmp_path / "clock-offset"
    offset_file.write_text(str(2 * 86400))  # the services are two days ahead; the emulator just started
    assert align_emulator(emulator, offset_file) > 2 * 86400 - 60
    stripe_now = httpx.get(f"{emulator}/_emulator/clock").json()["now"]
    assert abs(stripe_now - (time.time() + 2 * 86400)) < 60
    assert align_emulator(emulator, offset_file) == 0  # already there: never moved back or twice
