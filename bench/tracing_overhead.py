"""Tracing's overhead: the outbox path (commit → relay → inbox consumer) with every trace exported
over OTLP/HTTP to a local receiver, and with one trace in ten exported, each as a ratio to the same
path with nothing exported (sampling 0: context still propagates). Each side runs in a fresh
process, since the tracer provider is global.

    uv run python bench/tracing_overhead.py [--events 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "e2e"))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "runtime"))
from _results import report
from _servers import kafka_and_postgres
from otlp_receiver import otlp_receiver


def one_side(bootstrap: str, database_url: str, events: int, env: dict[str, str]) -> float:
    """Seconds for `events` through the outbox path in a child process with `env`."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", bootstrap, database_url, str(events)],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


async def child(bootstrap: str, database_url: str, count: int) -> None:
    from outbox_throughput import through_outbox
    from test_outbox import letter_sent

    events = [letter_sent(f"acc-{i % 200}") for i in range(count)]
    print(await through_outbox(bootstrap, database_url, events))


def main(count: int) -> None:
    with kafka_and_postgres() as (bootstrap, database_url), otlp_receiver() as receiver:
        one_side(bootstrap, database_url, 1000, {"AUTOLETTER_TRACING_SAMPLE_RATIO": "0"})  # warm up
        off = one_side(bootstrap, database_url, count, {"AUTOLETTER_TRACING_SAMPLE_RATIO": "0"})
        on = one_side(
            bootstrap,
            database_url,
            count,
            {"AUTOLETTER_TRACING_SAMPLE_RATIO": "1", "AUTOLETTER_OTLP_ENDPOINT": receiver.url},
        )
        spans = len(receiver.spans)
        tenth = one_side(
            bootstrap,
            database_url,
            count,
            {"AUTOLETTER_TRACING_SAMPLE_RATIO": "0.1", "AUTOLETTER_OTLP_ENDPOINT": receiver.url},
        )
        print(f"events: {count}; spans received: {spans} (every trace), {len(receiver.spans) - spans} (10 %)")
        print(f"tracing off (sampled 0, context propagated): {count / off:,.0f} msg/s ({off:.2f} s)")
        print(f"tracing on (every span exported over OTLP/HTTP): {count / on:,.0f} msg/s ({on:.2f} s)")
        print(f"ratio on/off: {off / on:.2f} (target >= 0.9)")
        print(f"tracing on, 10 % of traces exported: {count / tenth:,.0f} msg/s ({tenth:.2f} s)")
        report("tracing on vs off (outbox path)", count / on, count / off, "msg/s", 0.9)
        report("tracing on, 10 % of traces exported, vs off", count / tenth, count / off, "msg/s", 0.9)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        asyncio.run(child(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10000)
    main(parser.parse_args().events)
