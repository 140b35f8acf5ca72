"""Jaeger, the trace viewer of the local run (`autoletter dev --tracing`; never in CI).

Built once from the Go module proxy at a pinned version into the cache: a throwaway module takes it
as a tool (`go get -tool`, since its own go.mod has replace directives `go install` refuses), then
`go build`. The first build takes minutes. Run with no configuration it is the all-in-one: memory
storage, OTLP on 4317 (gRPC) and 4318 (HTTP), the UI on 16686.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autoletter.devstack.paths import cache_dir
from autoletter.devstack.process import ServerProcess, port_open

JAEGER_VERSION = "v1.76.0"
_PACKAGE = "github.com/jaegertracing/jaeger/cmd/jaeger"
OTLP_HTTP_PORT = 4318
UI_PORT = 16686


def binary(say: Callable[[str], None] = print) -> Path:
    """The jaeger binary, built once into the cache."""
    exe = cache_dir() / f"jaeger-{JAEGER_VERSION}" / "jaeger"
    if exe.exists():
        return exe
    if shutil.which("go") is None:
        raise RuntimeError("Go is needed once to build Jaeger (go build)")
    say(f"building Jaeger {JAEGER_VERSION} from the Go module proxy (once; it takes minutes) ...")
    exe.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "0"}
    with tempfile.TemporaryDirectory(prefix="jaeger-build-") as work:
        for argv in (
            ["go", "mod", "init", "autoletter.local/jaeger-build"],
            ["go", "get", "-tool", f"{_PACKAGE}@{JAEGER_VERSION}"],
            ["go", "build", "-o", str(exe), _PACKAGE],
        ):
            subprocess.run(argv, cwd=work, env=env, check=True, capture_output=True)
    return exe


@dataclass
class Jaeger:
    """A running all-in-one Jaeger: where services export, and where people look."""

    otlp_endpoint: str
    ui_url: str
    process: ServerProcess

    def stop(self) -> None:
        self.process.stop(timeout=10)


def start(log_dir: Path, timeout: float = 60.0, say: Callable[[str], None] = print) -> Jaeger:
    exe = binary(say)
    proc = ServerProcess("jaeger", [str(exe)], log_dir / "jaeger.log")
    proc.wait_until(
        lambda: port_open("127.0.0.1", UI_PORT) and port_open("127.0.0.1", OTLP_HTTP_PORT),
        timeout,
        "listening",
    )
    return Jaeger(
        otlp_endpoint=f"http://127.0.0.1:{OTLP_HTTP_PORT}/v1/traces",
        ui_url=f"http://127.0.0.1:{UI_PORT}/",
        process=proc,
    )
