"""The chaos soak (issue 19): letters across accounts while service processes and brokers are killed.

Accounts with a card that pays (4242…) and one that declines (…0341), with `standard`, `registered`
or both; letters sent by HTTP and by the `SendLetter` command on `letters.requests`. Meanwhile
SIGKILLs: of one process of a service at a time per service (its sibling keeps the port), and of one
broker at a time (the next broker kill only once every partition's replicas are back in sync), while
letters are submitted, during the monthly close and while Stripe retries the declined payments.
Every choice comes from `random.Random(seed)`; the seed is printed, and `--seed` repeats a run
(the timing of the machine still varies, so a repeat is the same plan, not the same interleaving).

At the end: every accepted letter posted once (one spool envelope), announced sent once, billed
once (one usage line, on one invoice), the declined accounts' services `overdue`, the paying ones'
invoices paid, and the reconciliation of the period clean.

The bin/test soak is tests/topology/test_chaos_soak.py; the long run is this module as a command:

    uv run --locked python tests/topology/chaos.py --letters 3000 --accounts 100 --kills 60 [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))  # the end-to-end journeys and system

import journeys as j
from chaos_checks import (
    assert_posted_once,
    assert_webhooks_delivered,
    close_until_completed,
    drain,
    stripe_retries,
)
from chaos_faults import Chaos, assert_replicated, in_sync
from chaos_plan import (
    Figures,
    Plan,
    say,
)
from chaos_traffic import open_accounts, plan_accounts, plan_letters, submit
from reconciliation_checks import assert_reconciled
from system import System, running_system

from autoletter.devstack.kafka import KafkaCluster
from autoletter.runtime.testing import wait_for


async def soak(system: System, cluster: KafkaCluster, plan: Plan) -> Figures:
    """Run the plan on a running system (two processes per service) on a three-broker cluster."""
    rng = random.Random(plan.seed)
    figures = Figures(plan.seed, letters=plan.letters, accounts=plan.accounts)
    say(f"seed {plan.seed}: {plan.letters} letters, {plan.accounts} accounts, up to {plan.kills} kills")
    chaos = Chaos(system, cluster, rng, figures)
    clock = _Stopwatch(figures)
    await assert_replicated(system, cluster)
    accounts = plan_accounts(plan, rng)
    figures.declining_accounts = sum(a.declines for a in accounts)
    await open_accounts(system, accounts)
    clock.lap("accounts opened")

    letters = plan_letters(plan, accounts, rng)
    figures.by_http = sum(1 for letter in letters if letter.by_http)
    figures.by_command = plan.letters - figures.by_http
    at_submission, at_close, at_retries = plan.kills_per_phase()
    period = j.period_of(j.now(system))
    progress: Counter[str] = Counter()
    submission = asyncio.create_task(submit(system, letters, plan.submitters, progress))
    for milestone in sorted(rng.sample(range(1, plan.letters), min(at_submission, plan.letters - 1))):
        await wait_for(lambda m=milestone: progress["submitted"] >= m or submission.done(), 600, "letters")
        if submission.done():
            break
        await chaos.strike(("profile", "payments", "letters", "invoicing"))
    await submission
    clock.lap("submission")
    letter_ids = await drain(system, accounts, period, timeout=300 + plan.letters / 5)
    clock.lap("time to drain (every letter sent and its usage recorded)")
    await chaos.recovered()
    assert_posted_once(system, letter_ids)

    await j.advance_past(system, j.next_month_start(j.now(system)))
    runs = await chaos.harass(close_until_completed(system, period), at_close, ("invoicing", "payments"))
    await chaos.recovered()
    clock.lap(f"close ({runs} run(s) asked for)")
    retries = stripe_retries(system, accounts, period, timeout=300)
    await chaos.harass(retries, at_retries, ("payments", "invoicing"))
    await chaos.recovered()
    clock.lap("Stripe's retries until every outcome shown")
    deliveries = await assert_webhooks_delivered(system)
    figures.reconciliation = await assert_reconciled(system, period)
    clock.lap(f"reconciliation ({deliveries} webhooks delivered)")
    figures.timings["total"] = clock.total()
    say("done\n" + figures.report())
    return figures


class _Stopwatch:
    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.start = self.last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.figures.timings[name] = now - self.last
        self.last = now
        say(f"{name}: {self.figures.timings[name]:.1f} s")

    def total(self) -> float:
        return time.monotonic() - self.start


async def soak_on_new_system(
    work: Path, database_url: str, cluster: KafkaCluster, stripe_api_base: str, plan: Plan
) -> Figures:
    """The system started afresh (two processes per service) on the cluster, soaked, stopped."""
    # Topics with a replica on each broker, as in production (DESIGN §10): one broker down loses none.
    settings = {"AUTOLETTER_KAFKA_REPLICATION_FACTOR": str(len(cluster.nodes))}
    await asyncio.to_thread(cluster.revive)  # a broker an earlier test killed
    await wait_for(lambda: in_sync(cluster), 300, "every partition's replicas in sync before the soak")
    with running_system(
        work, database_url, cluster.bootstrap, stripe_api_base, replicas=2, settings=settings
    ) as system:
        return await soak(system, cluster, plan)


def seed_from(given: str | None) -> int:
    return int(given) if given else random.SystemRandom().randrange(2**32)


# --- The long run, as a command ---------------------------------------------------------------------


@contextlib.contextmanager
def _servers(work: Path) -> Iterator[tuple[KafkaCluster, str, str]]:
    from autoletter.devstack import kafka, servers

    cluster = kafka.start_cluster(work / "kafka-cluster", nodes=3)
    try:
        with servers.postgres(work) as database_url, servers.stripe_mock(work) as stripe_api_base:
            yield cluster, database_url, stripe_api_base
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--letters", type=int, default=3000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--kills", type=int, default=60, help="at most this many SIGKILLs")
    parser.add_argument("--seed", help="repeat the plan of an earlier run (printed at its start)")
    parser.add_argument("--work", type=Path, help="servers' data and logs (default: a new directory)")
    args = parser.parse_args(argv)
    plan = Plan(args.letters, args.accounts, args.kills, seed_from(args.seed))
    work = args.work or Path(tempfile.mkdtemp(prefix="autoletter-chaos-"))
    say(f"servers and logs in {work}")
    with _servers(work) as (cluster, database_url, stripe_api_base):
        try:
            asyncio.run(soak_on_new_system(work, database_url, cluster, stripe_api_base, plan))
        except BaseException:
            say(f"FAILED with seed {plan.seed}; logs in {work}")
            raise
    return 0  # the report was printed at the end of the soak


if __name__ == "__main__":
    sys.exit(main())
