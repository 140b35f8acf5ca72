"""One line per measured path, for `bench/run` to collect: `BENCH-RESULT {json}` on stdout."""

from __future__ import annotations

import json


def report(
    name: str, ours: float, baseline: float, unit: str, target: float, *, ratio: float | None = None
) -> None:
    """`ratio` defaults to ours / baseline (higher is better); `target` is the ratio to reach."""
    value = ratio if ratio is not None else (ours / baseline if baseline else 0.0)
    entry = {
        "name": name,
        "ours": round(ours, 3),
        "baseline": round(baseline, 3),
        "unit": unit,
        "ratio": round(value, 3),
        "target": target,
        "met": value >= target,
    }
    print("BENCH-RESULT " + json.dumps(entry), flush=True)
