"""Run the emulator: python -m autoletter.stripe_emulator --port N --webhook-url URL --webhook-secret whsec_…

[--stripe-mock URL] validates every request against stripe-mock first.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from pathlib import Path

import uvicorn

from autoletter.stripe_emulator.app import create_app
from autoletter.stripe_emulator.config import EmulatorConfig, WebhookTarget


def parse(argv: list[str] | None = None) -> tuple[EmulatorConfig, str, int]:
    """The emulator's configuration, host and port from the command line."""
    parser = argparse.ArgumentParser(prog="python -m autoletter.stripe_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12112)
    parser.add_argument("--webhook-url", action="append", default=[], help="repeatable")
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_EMULATOR_WEBHOOK_SECRET"),
        help="signing secret for every --webhook-url (or STRIPE_EMULATOR_WEBHOOK_SECRET)",
    )
    parser.add_argument("--stripe-mock", default=None, help="stripe-mock base URL to validate requests")
    parser.add_argument("--public-url", default=None, help="base of hosted page URLs (default: request's)")
    parser.add_argument("--retry-days", default="1,3,7", help="retry offsets from the first attempt, in days")
    parser.add_argument("--mark-uncollectible", action="store_true", help="after the last failed retry")
    parser.add_argument("--frozen-clock", action="store_true", help="time moves only via /_emulator/clock")
    parser.add_argument("--state", type=Path, default=None, help="SQLite file: state kept across restarts")
    args = parser.parse_args(argv)
    if args.webhook_url and not args.webhook_secret:
        parser.error("--webhook-url needs --webhook-secret (or STRIPE_EMULATOR_WEBHOOK_SECRET)")
    config = EmulatorConfig(
        stripe_mock=args.stripe_mock,
        webhooks=tuple(WebhookTarget(url, args.webhook_secret) for url in args.webhook_url),
        public_url=args.public_url or f"http://{args.host}:{args.port}",
        retry_schedule=tuple(timedelta(days=float(d)) for d in args.retry_days.split(",") if d.strip()),
        after_final_failure="mark_uncollectible" if args.mark_uncollectible else "leave_open",
        frozen_clock=args.frozen_clock,
        state_path=args.state.resolve() if args.state else None,
    )
    return config, args.host, args.port


def main(argv: list[str] | None = None) -> None:
    config, host, port = parse(argv)
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


if __name__ == "__main__":
    main()
