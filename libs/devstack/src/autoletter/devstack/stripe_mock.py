"""stripe-mock, built with `go install` at a pinned tag whose spec matches our Stripe API version."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from autoletter.devstack.paths import cache_dir
from autoletter.devstack.process import ServerProcess, free_port, port_open

#: Embeds Stripe's OpenAPI spec for API version 2026-08-26.dahlia (stripe-python 15.6.x).
STRIPE_MOCK_VERSION = "v0.203.0"


def binary() -> Path:
    """The stripe-mock binary, built once into the cache."""
    bin_dir = cache_dir() / f"stripe-mock-{STRIPE_MOCK_VERSION}"
    exe = bin_dir / "stripe-mock"
    if exe.exists():
        return exe
    if shutil.which("go") is None:
        raise RuntimeError("Go is needed once to build stripe-mock (go install)")
    bin_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["go", "install", f"github.com/stripe/stripe-mock@{STRIPE_MOCK_VERSION}"],
        check=True,
        env={**os.environ, "GOBIN": str(bin_dir), "CGO_ENABLED": "0"},
    )
    return exe


@dataclass
class StripeMock:
    """A running stripe-mock; `api_base` is what stripe-python's api_base takes."""

    api_base: str
    process: ServerProcess

    def stop(self) -> None:
        self.process.stop(timeout=5)


def start(log_dir: Path, port: int | None = None, timeout: float = 30.0) -> StripeMock:
    exe = binary()
    port = port or free_port()
    proc = ServerProcess(
        "stripe-mock", [str(exe), "-http-port", str(port), "-https-port", "0"], log_dir / "stripe-mock.log"
    )
    proc.wait_until(lambda: port_open("127.0.0.1", port), timeout, "listening")
    return StripeMock(api_base=f"http://127.0.0.1:{port}", process=proc)
