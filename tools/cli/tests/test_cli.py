"""The `autoletter` command: help everywhere, tokens the services accept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autoletter.cli import main as cli_main
from autoletter.cli import ops
from autoletter.cli.errors import reaching_kafka
from autoletter.cli.main import build_parser, main
from autoletter.runtime.auth import verify_token
from autoletter.runtime.settings import DEV_JWT_SECRET


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["dev"],
        ["serve"],
        ["token"],
        ["billing", "close"],
        ["account"],
        ["dlq", "list"],
        ["dlq", "show"],
        ["dlq", "replay"],
        ["clock", "show"],
        ["clock", "advance"],
        ["stripe-events", "list"],
        ["stripe-events", "show"],
        ["stripe-events", "replay"],
    ],
)
def test_every_command_has_help(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autoletter.cli.main", *argv, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: autoletter" in result.stdout


def test_token_is_accepted_by_the_services_verifier(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AUTOLETTER_JWT_SECRET", raising=False)
    monkeypatch.setenv("AUTOLETTER_DEV_DIR", str(tmp_path))  # no local run: the development default
    assert main(["token", "--account", "acc_42", "--ops"]) == 0
    principal = verify_token(DEV_JWT_SECRET, capsys.readouterr().out.strip())
    assert principal.account_id == "acc_42"
    assert principal.is_ops


def test_unknown_service_is_refused() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "billing"])


def test_configuration_reference_is_fresh() -> None:
    from autoletter.cli.config_reference import render

    path = Path(__file__).parents[3] / "docs" / "configuration.md"
    assert path.read_text() == render(), "regenerate with `uv run autoletter config > docs/configuration.md`"


def test_a_reader_that_stops_early_ends_the_command_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def reader_gone(_: object) -> int:
        async with reaching_kafka("kafka.example:9092"):
            raise BrokenPipeError  # what print() raises once `| head` has closed the pipe

    monkeypatch.setattr(ops, "dead_letters", reader_gone)
    monkeypatch.setattr(cli_main, "_silence_stdout", lambda: None)  # pytest's captured stdout stays
    assert main(["dlq", "list"]) == 141
    assert capsys.readouterr().err == ""  # not "Kafka is not reachable"
