"""`autoletter dev`: the whole system on one machine, no Docker, no accounts (DESIGN §10)."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from autoletter.cli.local_run import LocalRun
from autoletter.cli.timetravel import align_emulator
from autoletter.devstack.process import ServerFailed, ServerProcess
from autoletter.runtime.auth import OPS_ROLE, mint_token

PORTS = {"console": 8000, "profile": 8001, "payments": 8002, "letters": 8003, "invoicing": 8004}
EMULATOR_PORT = 12112
POSTGRES_PORT = 55432
KAFKA_PORT = 19092  # and its controller on the next port


@dataclass(frozen=True)
class Ports:
    """Where the local run listens: the fixed ports above, or nine consecutive ones from a base."""

    http: dict[str, int]
    emulator: int
    postgres: int
    kafka: int

    @classmethod
    def from_base(cls, base: int | None) -> Ports:
        if base is None:
            return cls(dict(PORTS), EMULATOR_PORT, POSTGRES_PORT, KAFKA_PORT)
        http: dict[str, int] = {name: base + i for i, name in enumerate(PORTS)}
        return cls(http, base + 5, base + 6, base + 7)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.http[name]}"

    def env(self) -> dict[str, str]:
        """Each process's port and its neighbours' URLs (the defaults name the fixed ports)."""
        services = [name for name in self.http if name != "console"]
        return {
            **{f"{name.upper()}_HTTP_PORT": str(port) for name, port in self.http.items()},
            **{f"CONSOLE_{name.upper()}_URL": self.url(name) for name in services},
            "INVOICING_LETTERS_URL": self.url("letters"),
            "INVOICING_PAYMENTS_URL": self.url("payments"),
        }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(os.environ.get("AUTOLETTER_DEV_DIR") or ".autoletter/dev"),
        help="where data is kept (default: $AUTOLETTER_DEV_DIR, else .autoletter/dev)",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=os.environ.get("AUTOLETTER_DEV_PORT_BASE") or None,  # a string default is parsed too
        help="listen on nine ports from this one (console, four services, emulator, PostgreSQL, Kafka "
        "and its controller) instead of 8000-8004, 12112, 55432, 19092-19093 "
        "(default: $AUTOLETTER_DEV_PORT_BASE)",
    )
    parser.add_argument("--fresh", action="store_true", help="start over: delete the data first")
    parser.add_argument("--no-console", action="store_true", help="do not start the web console")
    parser.add_argument(
        "--brokers",
        type=int,
        choices=(1, 3),
        default=1,
        help="3: a three-node Kafka cluster as in production (formatted anew at each start)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        choices=(1, 2, 3),
        default=1,
        help="processes per service, sharing each port (SO_REUSEPORT) as replicas would",
    )
    parser.add_argument(
        "--tracing",
        action="store_true",
        help="also run Jaeger (built once from Go modules) and export traces to it",
    )


def _interrupt(*_: object) -> None:
    """The first Ctrl-C or SIGTERM stops everything in order; later ones are ignored, not allowed to cut
    that stop short. A terminal's Ctrl-C reaches us twice under `uv run` (from the terminal, and
    forwarded by uv)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def say(message: str) -> None:
    print(f"autoletter dev: {message}", flush=True)


def _secret(path: Path, prefix: str) -> str:
    """A secret generated on first use and kept with the data (never printed)."""
    if not path.exists():
        path.write_text(prefix + secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _start_kafka(data: Path, stack: ExitStack, brokers: int = 1, port: int = KAFKA_PORT) -> tuple[str, bool]:
    if shutil.which("java") and brokers > 1:
        from autoletter.devstack import kafka

        # Formatted anew at each start (its ports are free ones): this run's events are not kept.
        shutil.rmtree(data / "kafka-cluster", ignore_errors=True)
        say(f"starting a {brokers}-node Apache Kafka cluster (KRaft; replication 3, min in-sync 2) ...")
        cluster = kafka.start_cluster(data / "kafka-cluster", nodes=brokers)
        stack.callback(cluster.stop)
        return cluster.bootstrap, True
    if shutil.which("java"):
        from autoletter.devstack import kafka

        say("starting Apache Kafka (KRaft) ...")
        server = kafka.start(data / "kafka", port=port, controller_port=port + 1)
        stack.callback(server.stop)
        return server.bootstrap, True
    from autoletter.devstack import tansu

    say(
        "no Java here: starting the Tansu broker instead. It keeps everything in memory, so this run "
        "starts fresh and forgets all events when it stops."
    )
    tansu_server = tansu.start(data)
    stack.callback(tansu_server.stop)
    return tansu_server.bootstrap, False


def _wait_ready(name: str, url: str, proc: ServerProcess, timeout: float = 180.0) -> None:
    def ready() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    proc.wait_until(ready, timeout, f"ready at {url}")
    say(f"{name} ready")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except ServerFailed as exc:  # what failed and the tail of its log, not a traceback
        say(f"could not start: {exc}")
        return 1


def _run(args: argparse.Namespace) -> int:
    # SIGTERM behaves like Ctrl-C: the ExitStack then stops every server started so far, in order.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # even when started with SIGINT ignored
    data: Path = args.dir.resolve()
    ports = Ports.from_base(args.port_base)
    if args.fresh and data.exists():
        say(f"--fresh: deleting {data}")
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)
    logs = data / "logs"
    with ExitStack() as stack:
        from autoletter.devstack import postgres

        say("starting PostgreSQL ...")
        pg = postgres.start(data / "pgdata", port=ports.postgres)
        stack.callback(pg.stop)
        bootstrap, durable = _start_kafka(data, stack, args.brokers, ports.kafka)
        if durable:
            say(f"data kept in {data} (use --fresh to start over)")

        jwt_secret = _secret(data / "jwt.secret", "")
        clock_file = data / "clock-offset"
        emulator_state = data / "stripe-emulator.sqlite"
        if not durable and emulator_state.exists():
            say("the broker forgets on stop, so the Stripe emulator starts fresh too")
            emulator_state.unlink()
        env = {
            "AUTOLETTER_ENVIRONMENT": "development",
            "AUTOLETTER_DATABASE_URL": pg.url,
            "AUTOLETTER_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "AUTOLETTER_KAFKA_IDEMPOTENT_PRODUCER": "true" if durable else "false",
            "AUTOLETTER_KAFKA_REPLICATION_FACTOR": str(min(args.brokers, 3)),
            "AUTOLETTER_JWT_SECRET": jwt_secret,
            "AUTOLETTER_CLOCK_OFFSET_FILE": str(clock_file),
            "AUTOLETTER_LOG_JSON": "true",
            "LETTERS_SPOOL_DIR": str(data / "spool"),
            # After `autoletter clock advance`, a month that ended is noticed within seconds.
            "INVOICING_CLOSE_CHECK_INTERVAL_S": "10",
            "PAYMENTS_CHECKOUT_SUCCESS_URL": f"{ports.url('console')}/billing?setup=success",
            "PAYMENTS_CHECKOUT_CANCEL_URL": f"{ports.url('console')}/billing?setup=cancelled",
            "PAYMENTS_PORTAL_RETURN_URL": f"{ports.url('console')}/billing",
            **ports.env(),
        }
        traces_ui = ""
        if args.tracing:
            from autoletter.devstack import jaeger

            say("starting Jaeger ...")
            viewer = jaeger.start(logs, say=say)
            stack.callback(viewer.stop)
            env["AUTOLETTER_OTLP_ENDPOINT"] = viewer.otlp_endpoint
            traces_ui = f"\n  traces        {viewer.ui_url}   (Jaeger: find a letter by its trace id)"
        emulator_url: str | None = None
        real_key = os.environ.get("STRIPE_API_KEY", "")
        if real_key.startswith("sk_test_") and os.environ.get("STRIPE_WEBHOOK_SECRET"):
            say(
                "using real Stripe (test mode) from STRIPE_API_KEY; forward webhooks with "
                f"`stripe listen --forward-to 127.0.0.1:{ports.http['payments']}/v1/stripe/webhook`"
            )
            env |= {
                "AUTOLETTER_STRIPE_API_KEY": real_key,
                "AUTOLETTER_STRIPE_WEBHOOK_SECRET": os.environ["STRIPE_WEBHOOK_SECRET"],
            }
        else:
            webhook_secret = _secret(data / "webhook.secret", "whsec_")
            emulator_url = f"http://127.0.0.1:{ports.emulator}"
            env |= {
                "AUTOLETTER_STRIPE_API_BASE": emulator_url,
                "AUTOLETTER_STRIPE_WEBHOOK_SECRET": webhook_secret,
            }
            say("starting the Stripe emulator (no Stripe account needed) ...")
            emulator = ServerProcess(
                "stripe-emulator",
                [
                    sys.executable,
                    "-m",
                    "autoletter.stripe_emulator",
                    "--port",
                    str(ports.emulator),
                    "--webhook-url",
                    f"{ports.url('payments')}/v1/stripe/webhook",
                    "--state",
                    str(emulator_state),
                ],
                logs / "stripe-emulator.log",
                env={"STRIPE_EMULATOR_WEBHOOK_SECRET": webhook_secret},
            )
            stack.callback(emulator.stop)
            _wait_ready("Stripe emulator", f"{emulator_url}/_emulator/", emulator)
            if align_emulator(emulator_url, clock_file) >= 60:  # seconds of drift are not news
                say("the emulator's test clock caught up with the local run's business time")

        services = [n for n in PORTS if n != "console" or not args.no_console]
        if args.replicas > 1:
            env["AUTOLETTER_HTTP_REUSE_PORT"] = "true"  # the replicas of a service share its port
        # The console is one process; each service runs `--replicas` of them.
        names = [
            name if i == 1 else f"{name}-{i}"
            for name in services
            for i in range(1, (args.replicas if name != "console" else 1) + 1)
        ]
        procs: dict[str, ServerProcess] = {}
        for name in names:
            service = name.split("-")[0]
            procs[name] = ServerProcess(
                name,
                [sys.executable, "-m", "autoletter.cli.main", "serve", service],
                logs / f"{name}.log",
                env=env,
            )
            stack.callback(procs[name].stop)
        for name in names:
            service = name.split("-")[0]
            path = "/readyz" if service != "console" else "/"
            _wait_ready(name, f"{ports.url(service)}{path}", procs[name])

        facts = LocalRun(
            urls={name: ports.url(name) for name in ports.http},
            kafka_bootstrap_servers=bootstrap,
            kafka_idempotent_producer=durable,
            database_url=pg.url,
            jwt_secret_file=str(data / "jwt.secret"),
            clock_offset_file=str(clock_file),
            emulator_url=emulator_url,
        ).write(data)
        say(f"connection facts for the other autoletter commands in {facts}")
        demo = mint_token(jwt_secret, "demo", ttl=timedelta(days=7))
        ops_token = mint_token(jwt_secret, "ops", roles=[OPS_ROLE], ttl=timedelta(days=7))
        print(
            f"""
AutoLetter is running (logs in {logs}):
  web console   {ports.url("console")}/      sign in as any account id, e.g. demo
  profile       {ports.url("profile")}/docs
  payments      {ports.url("payments")}/docs
  letters       {ports.url("letters")}/docs
  invoicing     {ports.url("invoicing")}/docs
  stripe        http://127.0.0.1:{ports.emulator}/_emulator/   (emulator: customers, invoices, webhooks)
  kafka         {bootstrap}
  postgres      {pg.url}{traces_ui}

  other commands need no settings here: uv run autoletter token --account demo | account demo |
    billing close --period YYYY-MM | clock show | clock advance 3d | dlq list | stripe-events list

  dev token (account demo, 7 days):
    {demo}
  ops token:
    {ops_token}

Ctrl-C stops everything.""",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
        say("stopping ...")
        for name in reversed(names):
            procs[name].stop()
    say("stopped")
    return 0
