"""`python -m autoletter.devstack up`: start Kafka, PostgreSQL and stripe-mock and print their addresses."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from autoletter.devstack import kafka, servers, stripe_mock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autoletter.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("provision", help="fetch the Kafka jars and build stripe-mock into the cache")
    up = sub.add_parser("up", help="start the test servers and print their environment")
    up.add_argument("--dir", type=Path, default=Path(".autoletter/devstack"))
    args = parser.parse_args(argv)
    if args.command == "provision":
        print(f"kafka jars: {kafka.ensure_jars()}", flush=True)
        print(f"stripe-mock: {stripe_mock.binary()}", flush=True)
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": stack.enter_context(servers.kafka(args.dir)),
            "DATABASE_URL": stack.enter_context(servers.postgres(args.dir)),
            "STRIPE_API_BASE": stack.enter_context(servers.stripe_mock(args.dir)),
        }
        for key, value in env.items():
            print(f"export {key}={value}", flush=True)
        (args.dir / "env.sh").write_text("".join(f"export {k}={v}\n" for k, v in env.items()))
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: servers in order
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
