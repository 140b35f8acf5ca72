"""`autoletter`: one command for people — run the system, close a month, inspect and replay. Every
subcommand has --help."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from autoletter.cli import dev, ops, reconcile, stripe_events, timetravel

SERVICES = ("profile", "payments", "letters", "invoicing", "console", "stripe-emulator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autoletter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("dev", help="run the whole system on this machine (no Docker, no accounts)")
    dev.add_arguments(p)

    p = sub.add_parser("serve", help="run one service, as a container would")
    p.add_argument("service", choices=SERVICES)

    p = sub.add_parser("token", help="mint a development bearer token")
    p.add_argument("--account", required=True, help="the account id (token subject)")
    p.add_argument("--ops", action="store_true", help="add the ops role (may act on any account)")
    p.add_argument("--hours", type=float, default=12.0, help="validity (default 12 h)")

    p = sub.add_parser("billing", help="billing operations")
    billing = p.add_subparsers(dest="billing_command", required=True, metavar="ACTION")
    close = billing.add_parser("close", help="close a period: one Stripe invoice per account and service")
    close.add_argument("--period", required=True, help="YYYY-MM (a calendar month, UTC)")
    close.add_argument("--invoicing-url", default=None, help="default: the local run's, else :8004")

    p = sub.add_parser("reconcile", help="compare letters, usage, invoices, payments and Stripe for a period")
    p.add_argument("--period", required=True, help="YYYY-MM (an ended calendar month, UTC)")

    p = sub.add_parser("account", help="one account across the services")
    p.add_argument("account_id")
    p.add_argument("--json", action="store_true", help="print raw JSON")

    sub.add_parser("config", help="print the configuration reference (every setting and its default)")

    p = sub.add_parser("dlq", help="inspect and replay dead letters")
    dlq = p.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    dlq.add_parser("list", help="dead-letter topics and how many letters each holds")
    show = dlq.add_parser("show", help="the dead letters of one topic")
    show.add_argument("topic", help="e.g. letters.events.dlq.invoicing.usage")
    replay = dlq.add_parser("replay", help="publish dead letters back to their topic")
    replay.add_argument("topic")
    replay.add_argument("--offset", type=int, action="append", help="only these offsets (repeatable)")

    p = sub.add_parser("clock", help="the local run's business time (every service and the Stripe emulator)")
    clock = p.add_subparsers(dest="clock_command", required=True, metavar="ACTION")
    clock.add_parser("show", help="the services' time and the emulator's test clock")
    forward = clock.add_parser("advance", help="move business time forward, e.g. 3d, 12h, 1d12h")
    forward.add_argument("duration", help="how far: a number with w, d, h, m or s (never backwards)")

    p = sub.add_parser("stripe-events", help="inspect and replay stored Stripe events that failed")
    events = p.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    events.add_parser("list", help="the stored Stripe events whose processing failed for good")
    one = events.add_parser("show", help="one stored Stripe event: its state, attempts and last error")
    one.add_argument("event_id")
    again = events.add_parser("replay", help="process a failed Stripe event again")
    again.add_argument("event_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in ("dev", "serve"):
        # The client libraries' own retry chatter is not for people: a failure is our one line.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        if args.command == "dev":
            return dev.run(args)
        if args.command == "serve":
            return ops.serve(args.service)
        if args.command == "config":
            from autoletter.cli.config_reference import render

            print(render(), end="")
            return 0
        if args.command == "token":
            print(ops.token(args.account, ops=args.ops, hours=args.hours))
            return 0
        if args.command == "billing":
            return asyncio.run(ops.close_period(args.period, args.invoicing_url))
        if args.command == "reconcile":
            return asyncio.run(reconcile.run(args.period))
        if args.command == "account":
            return asyncio.run(ops.show_account(args.account_id, as_json=args.json))
        if args.command == "dlq":
            return asyncio.run(ops.dead_letters(args))
        if args.command == "clock":
            if args.clock_command == "show":
                return asyncio.run(timetravel.show())
            return asyncio.run(timetravel.advance(args.duration))
        if args.command == "stripe-events":
            return asyncio.run(stripe_events.run(args))
    except ops.CliError as exc:
        print(f"autoletter: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader stopped early (`autoletter dlq show … | head`): stop quietly, as `cat` would.
        _silence_stdout()
        return 141
    return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the interpreter's last flush would hit the closed pipe again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
