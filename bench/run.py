"""Every benchmark against the same servers, one table, and bench/results.json.

    bench/run [--quick] [--profile]

Each benchmark runs in a process of its own (the measured code runs there, in-process, except the
outbox's consumer-in-its-own-process side); its peak RSS is read when it exits. Ratios compare our
path with a baseline measured in the same run; absolute rates move with whatever else runs.

`--profile` runs each benchmark under py-spy (every process it starts, idle waits left out) and writes
test-artifacts/profile-<benchmark>.txt (collapsed stacks, the input of any flame-graph viewer) and
profile-<benchmark>-top.txt (where the time went, by package and function). RSS is then py-spy's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from _profile import summarize

from autoletter.devstack import servers

HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "test-artifacts"
#: (script, full arguments, quick arguments)
BENCHMARKS = [
    ("outbox_throughput.py", ["--events", "20000"], ["--events", "8000"]),
    ("invoicing_ledger.py", ["--letters", "50000"], ["--letters", "20000"]),
    ("letters_release.py", ["--letters", "10000"], ["--letters", "1500"]),
    ("invoicing_close.py", ["--account-services", "2000"], ["--account-services", "300"]),
    ("payments_webhooks.py", ["--events", "3000", "--samples", "50"], ["--events", "600", "--samples", "20"]),
    ("tracing_overhead.py", ["--events", "10000"], ["--events", "4000"]),
]


Result = dict[str, object]


def run_one(
    script: str, arguments: list[str], env: dict[str, str], profile: bool = False
) -> tuple[list[Result], float]:
    """The results a benchmark reported, and its peak RSS in MB (from the kernel, at its exit)."""
    command = [sys.executable, str(HERE / script), *arguments]
    stacks = ARTIFACTS / f"profile-{Path(script).stem}.txt"
    if profile:
        ARTIFACTS.mkdir(exist_ok=True)
        spy = str(Path(sys.executable).with_name("py-spy"))
        command = [
            spy,
            "record",
            "--subprocesses",
            "--format",
            "raw",
            "--full-filenames",
            "--rate",
            "100",
            "-o",
            str(stacks),
            "--",
            *command,
        ]
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{script} failed (exit {proc.returncode}):\n{out[-3000:]}")
    if profile:
        stacks.with_name(f"{stacks.stem}-top.txt").write_text(summarize(stacks))
    marked = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("BENCH-RESULT ")]
    if not marked:  # py-spy does not pass its child's exit status on
        raise SystemExit(f"{script} reported no result:\n{out[-3000:]}")
    return [json.loads(m) for m in marked], usage.ru_maxrss / 1024


def main(quick: bool, profile: bool = False) -> int:
    started = time.monotonic()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="autoletter-bench-") as work, ExitStack() as stack:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": stack.enter_context(servers.kafka(Path(work))),
            "DATABASE_URL": stack.enter_context(servers.postgres(Path(work))),
            "STRIPE_API_BASE": stack.enter_context(servers.stripe_mock(Path(work))),
        }
        for script, full, short in BENCHMARKS:
            results, peak_mb = run_one(script, short if quick else full, env, profile)
            for result in results:
                rows.append({**result, "process": script, "peak_rss_mb": round(peak_mb, 1)})
            print(f"  {script}: done ({time.monotonic() - started:.0f} s)", flush=True)
    (HERE / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    columns = ("path", "ours", "baseline", "unit", "ratio", "target", "process", "RSS MB")
    header = "{:<55} {:>10} {:>10} {:<11} {:>6} {:>6}  {:<22} {:>6}".format(*columns)
    print(header)
    print("-" * len(header))
    for r in rows:
        mark = "" if r["met"] else "  (below target)"
        print(
            f"{r['name']:<55} {r['ours']:>10,.1f} {r['baseline']:>10,.1f} {r['unit']:<11} {r['ratio']:>6.2f}"
            f" {r['target']:>6.2f}  {r['process']:<22} {r['peak_rss_mb']:>6}{mark}"
        )
    print(f"written: {HERE / 'results.json'} ({time.monotonic() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller runs: about three minutes here")
    parser.add_argument("--profile", action="store_true", help="under py-spy: profiles in test-artifacts/")
    args = parser.parse_args()
    sys.exit(main(args.quick, args.profile))
