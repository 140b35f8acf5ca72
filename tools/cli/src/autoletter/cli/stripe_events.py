"""`autoletter stripe-events list | show | replay`: stored Stripe events that failed, like `dlq`."""

from __future__ import annotations

import argparse
import json
from urllib.parse import quote

from autoletter.cli.ops import call

_BASE = "/v1/ops/stripe-events"


async def run(args: argparse.Namespace) -> int:
    if args.events_command == "list":
        body = await call("payments", "GET", _BASE, params={"state": "failed"})
        for event in body["events"]:
            print(json.dumps(event, default=str))
        print(f"{len(body['events'])} failed Stripe event(s)")
        return 0
    path = f"{_BASE}/{quote(args.event_id, safe='')}"
    if args.events_command == "show":
        print(json.dumps(await call("payments", "GET", path), indent=2, default=str))
        return 0
    replayed = await call("payments", "POST", f"{path}/replay")
    print(f"{replayed['event_id']} is {replayed['state']} again: payments processes it next")
    return 0
