"""The whole system as separate processes on the test servers: four services and the Stripe emulator."""

from __future__ import annotations

import secrets
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from otlp_receiver import Receiver

from autoletter.devstack.process import ServerProcess, free_port
from autoletter.runtime.auth import OPS_ROLE, mint_token
from autoletter.runtime.clock import OffsetClock

SERVICES = ("profile", "payments", "letters", "invoicing")


@dataclass
class System:
    """URLs, secrets and the shared clock of one running system."""

    urls: dict[str, str]
    emulator_url: str
    kafka_bootstrap: str
    topic_prefix: str
    jwt_secret: str
    offset_file: Path
    work: Path
    offset: timedelta = field(default=timedelta(0))
    logs: Path | None = None
    #: The spans the services exported, when the system was started with a receiver.
    traces: Receiver | None = None
    #: The services' running processes, and how to start one again after `kill`.
    processes: dict[str, ServerProcess] = field(default_factory=dict)
    starter: Callable[[str], ServerProcess] | None = None

    def kill(self, name: str) -> None:
        """The service's process dies at once (SIGKILL): no graceful shutdown, nothing flushed."""
        self.processes[name].stop(timeout=0, sig=signal.SIGKILL)

    def start_again(self, name: str) -> None:
        assert self.starter is not None
        self.processes[name] = self.starter(name)
        _wait_ready(self.processes[name], self.urls[name.split("#")[0]])

    def restart(self, name: str) -> None:
        """A rolling restart's step: SIGTERM (graceful shutdown), then the process again, ready."""
        self.processes[name].stop(timeout=30)
        self.start_again(name)

    def token(self, account_id: str, *, ops: bool = False) -> str:
        return mint_token(
            self.jwt_secret, account_id, roles=[OPS_ROLE] if ops else [], ttl=timedelta(days=400)
        )

    def client(self, service: str, account_id: str, *, ops: bool = False) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.urls[service],
            timeout=30.0,
            headers={"Authorization": f"Bearer {self.token(account_id, ops=ops)}"},
        )

    def emulator(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.emulator_url, timeout=30.0)

    async def advance(self, delta: timedelta) -> None:
        """Move every service's clock and the emulator's test clock forward together."""
        self.offset += delta
        OffsetClock.write(self.offset_file, self.offset)
        async with self.emulator() as emulator:
            response = await emulator.post(
                "/_emulator/clock/advance", json={"seconds": delta.total_seconds()}
            )
            response.raise_for_status()

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_ready(proc: ServerProcess, url: str) -> None:
    """A shared port may answer from another replica: so this process must also say it started."""
    started = partial(proc.log_contains, "service_started")
    proc.wait_until(lambda: started() and _ready(f"{url}/readyz"), 120, "ready")


@contextmanager
def running_system(
    work: Path,
    database_url: str,
    kafka_bootstrap: str,
    stripe_mock: str | None,
    traces: Receiver | None = None,
    replicas: int = 1,
    settings: Mapping[str, str] | None = None,
) -> Iterator[System]:
    """Start the emulator and the four services (`autoletter serve <name>`), ready; stop them after.
    With `traces`, the services export their spans to that receiver. With `replicas` > 1, each
    service runs that many processes sharing its port (SO_REUSEPORT), named `<service>#<n>` from the
    second on. `settings` are added to every service's environment (e.g. a replication factor)."""
    run = uuid.uuid4().hex[:8]
    ports = {name: free_port() for name in SERVICES}
    emulator_port = free_port()
    webhook_secret = "whsec_" + secrets.token_urlsafe(24)
    jwt_secret = secrets.token_urlsafe(32)
    offset_file = work / f"clock-offset-{run}"
    logs = work / f"logs-{run}"
    system = System(
        urls={n: f"http://127.0.0.1:{p}" for n, p in ports.items()},
        emulator_url=f"http://127.0.0.1:{emulator_port}",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"e2e{run}.",
        jwt_secret=jwt_secret,
        offset_file=offset_file,
        work=work,
        logs=logs,
        traces=traces,
    )
    env = {
        "AUTOLETTER_ENVIRONMENT": "test",
        "AUTOLETTER_DATABASE_URL": database_url,
        "AUTOLETTER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AUTOLETTER_KAFKA_TOPIC_PREFIX": system.topic_prefix,
        "AUTOLETTER_JWT_SECRET": jwt_secret,
        "AUTOLETTER_CLOCK_OFFSET_FILE": str(offset_file),
        "AUTOLETTER_STRIPE_API_BASE": system.emulator_url,
        "AUTOLETTER_STRIPE_API_KEY": "sk_test_123",  # a key stripe-mock (behind the emulator) accepts
        "AUTOLETTER_STRIPE_WEBHOOK_SECRET": webhook_secret,
        "AUTOLETTER_GRACEFUL_TIMEOUT_S": "5",
        "AUTOLETTER_METRICS_INTERVAL_S": "1",
        "LETTERS_SPOOL_DIR": str(work / f"spool-{run}"),
        "INVOICING_LETTERS_URL": f"http://127.0.0.1:{ports['letters']}",  # the reconciliation's sides
        "INVOICING_PAYMENTS_URL": f"http://127.0.0.1:{ports['payments']}",
        "INVOICING_RECONCILIATION_CHECK_INTERVAL_S": "2",
        **{f"{n.upper()}_HTTP_PORT": str(p) for n, p in ports.items()},
        **{f"{n.upper()}_DATABASE_SCHEMA": f"e2e{run}_{n}" for n in SERVICES},
    }
    if traces is not None:
        env |= {"AUTOLETTER_OTLP_ENDPOINT": traces.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    if replicas > 1:
        env["AUTOLETTER_HTTP_REUSE_PORT"] = "true"
    env |= dict(settings or {})
    with ExitStack() as stack:
        argv = [
            sys.executable,
            "-m",
            "autoletter.stripe_emulator",
            "--port",
            str(emulator_port),
            "--webhook-url",
            f"{system.urls['payments']}/v1/stripe/webhook",
        ]
        if stripe_mock:
            argv += ["--stripe-mock", stripe_mock]
        emulator = ServerProcess(
            "stripe-emulator",
            argv,
            logs / "stripe-emulator.log",
            env={"STRIPE_EMULATOR_WEBHOOK_SECRET": webhook_secret},
        )
        stack.callback(emulator.stop)

        def start(name: str) -> ServerProcess:
            service = name.split("#")[0]  # "letters#2": the second process of letters
            proc = ServerProcess(
                name,
                [sys.executable, "-m", "autoletter.cli.main", "serve", service],
                logs / f"{name.replace('#', '-')}.log",
                env=env,
            )
            stack.callback(proc.stop)
            return proc

        procs = system.processes
        for name in SERVICES:
            for replica in range(1, replicas + 1):
                key = name if replica == 1 else f"{name}#{replica}"
                procs[key] = start(key)
        system.starter = start
        emulator.wait_until(lambda: _ready(f"{system.emulator_url}/_emulator/clock"), 60, "ready")
        for name, proc in procs.items():
            _wait_ready(proc, system.urls[name.split("#")[0]])
        started = time.monotonic()
        yield system
        _ = started


@contextmanager
def running_console(system: System) -> Iterator[str]:
    """The web console as a process in front of the system's services; yields its 127.0.0.1 URL.

    Its public URL is the loopback one, so Checkout sends the browser back to the console (payments
    accepts redirects to localhost and 127.0.0.1 only)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "AUTOLETTER_ENVIRONMENT": "test",
        "CONSOLE_ENVIRONMENT": "test",
        "AUTOLETTER_JWT_SECRET": system.jwt_secret,
        "CONSOLE_JWT_SECRET": system.jwt_secret,
        "CONSOLE_HTTP_PORT": str(port),
        "CONSOLE_PUBLIC_URL": url,
        **{f"CONSOLE_{name.upper()}_URL": base for name, base in system.urls.items()},
    }
    logs = system.logs or system.work
    console = ServerProcess(
        "console", [sys.executable, "-m", "autoletter.console"], logs / "console.log", env=env
    )
    try:
        console.wait_until(lambda: _ready(f"{url}/readyz"), 60, "ready")
        yield url
    finally:
        console.stop()


def service_log(system: System, name: str) -> str:
    """A service's log, for assertion messages."""
    logs = sorted(system.work.glob("logs-*"))
    return (logs[-1] / f"{name}.log").read_text(errors="replace")[-4000:] if logs else ""


def body(response: httpx.Response) -> Any:
    assert response.headers.get("content-type", "").startswith("application/json"), response.text
    return response.json()
