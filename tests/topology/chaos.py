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
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))  # the end-to-end journeys and system

import journeys as j
from aiokafka.admin import AIOKafkaAdminClient
from reconciliation_checks import assert_reconciled
from system import System, body, running_system

from autoletter.contracts import new_event
from autoletter.contracts.letters import SendLetter
from autoletter.devstack.kafka import KafkaCluster, KafkaServer
from autoletter.devstack.process import ServerFailed
from autoletter.runtime.testing import publish, read_all, wait_for

T = TypeVar("T")
SERVICES = ("standard", "registered")
BROKER = "broker"
COMMAND_BATCH = 20
DOCUMENT = j.pdf()
FINAL_STATES = {"payment_failed", "uncollectible"}  # a declined invoice once Stripe gave up


@dataclass(frozen=True)
class Plan:
    """What one soak does; everything random in it comes from `seed`."""

    letters: int
    accounts: int
    kills: int
    seed: int
    declining_share: float = 0.25
    http_share: float = 0.5
    submitters: int = 8

    def kills_per_phase(self) -> tuple[int, int, int]:
        """Kills during submission, during the close and during Stripe's retries."""
        later = self.kills // 5
        return self.kills - 2 * later, later, later


@dataclass
class Account:
    account_id: str
    card: str
    services: tuple[str, ...]
    customer_id: str = ""
    letters: Counter[str] = field(default_factory=Counter)
    http_letter_ids: set[str] = field(default_factory=set)

    @property
    def declines(self) -> bool:
        return self.card == j.DECLINING_CARD


@dataclass(frozen=True)
class Letter:
    account: Account
    service: str
    by_http: bool
    key: str


@dataclass
class Figures:
    """What a soak did and how long each part took (seconds)."""

    seed: int
    letters: int = 0
    by_http: int = 0
    by_command: int = 0
    accounts: int = 0
    declining_accounts: int = 0
    kills: list[str] = field(default_factory=list)
    #: Processes that exited while being started again (e.g. a broker was down) and were restarted.
    crashed_at_start: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    reconciliation: dict[str, Any] = field(default_factory=dict)

    def report(self) -> str:
        brokers = sum(1 for k in self.kills if k.startswith(BROKER))
        lines = [
            f"seed {self.seed}",
            f"letters {self.letters} ({self.by_http} by HTTP, {self.by_command} by SendLetter) across "
            f"{self.accounts} accounts ({self.declining_accounts} with a declining card)",
            f"kills {len(self.kills)} (brokers {brokers}): {', '.join(self.kills)}",
            f"processes that exited while starting again: {len(self.crashed_at_start)} "
            f"{self.crashed_at_start or ''}",
            *(f"{name}: {seconds:.1f} s" for name, seconds in self.timings.items()),
            f"reconciliation: {len(self.reconciliation.get('differences', []))} differences, "
            f"checked {self.reconciliation.get('checked')}",
        ]
        return "\n".join(lines)


def say(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Faults ---------------------------------------------------------------------------------------


class Chaos:
    """SIGKILLs, one broker at a time and never both processes of a service; each victim restarted."""

    def __init__(self, system: System, cluster: KafkaCluster, rng: random.Random, figures: Figures) -> None:
        self.system = system
        self.cluster = cluster
        self.rng = rng
        self.figures = figures
        self.down: set[str] = set()  # processes (and BROKER) killed and not yet back
        self.recoveries: list[asyncio.Task[None]] = []

    def candidates(self, services: tuple[str, ...], brokers: bool) -> list[str]:
        """Processes that may die now (their service has every process up) and, if free, a broker."""
        busy = {name.split("#")[0] for name in self.down}
        found = [
            n for n in self.system.processes if n.split("#")[0] in services and n.split("#")[0] not in busy
        ]
        if brokers and BROKER not in self.down:
            found += [BROKER] * max(1, len(found) // 3)  # about a broker for every three processes
        return found

    async def strike(self, services: tuple[str, ...], brokers: bool = True) -> None:
        """Kill one victim at once; it comes back in the background (`recovered` waits for it)."""
        await wait_for(lambda: bool(self.candidates(services, brokers)), 300, "a victim that may die")
        victim = self.rng.choice(self.candidates(services, brokers))
        self.down.add(victim)
        if victim == BROKER:
            node = self.rng.choice(self.cluster.nodes)
            node.process.stop(timeout=0, sig=signal.SIGKILL)
            label, comeback = f"{BROKER} {node.process.name}", self._broker_back(node)
        else:
            self.system.kill(victim)
            label, comeback = victim, self._process_back(victim, self.rng.uniform(0.5, 3.0))
        self.figures.kills.append(label)
        say(f"SIGKILL {label} (kill {len(self.figures.kills)})")
        self.recoveries.append(asyncio.create_task(self._recover(victim, comeback)))

    async def _recover(self, victim: str, comeback: Awaitable[None]) -> None:
        try:
            await comeback
        except BaseException as exc:
            say(f"{victim} did not come back: {exc!r}")  # and `recovered` fails the soak with it
            raise
        finally:
            self.down.discard(victim)

    async def recovered(self) -> None:
        """Every victim back (and replicas in sync); a failed restart fails the soak here."""
        while self.recoveries:
            done, self.recoveries = self.recoveries, []
            await asyncio.gather(*done)

    async def _process_back(self, name: str, outage: float, attempts: int = 5) -> None:
        """Start the process again, as a supervisor would, again if it exits while starting (a
        process that starts while a broker is down can fail its startup: counted and reported)."""
        await asyncio.sleep(outage)  # the fault's length: the sibling serves alone meanwhile
        for attempt in range(1, attempts + 1):
            try:
                await asyncio.to_thread(self.system.start_again, name)
                process = self.system.processes[name]  # the shared port may answer from the sibling
                await asyncio.to_thread(
                    process.wait_until, partial(process.log_contains, "service_started"), 240, "started"
                )
                break
            except ServerFailed as exc:
                if attempt == attempts or self.system.processes[name].proc.poll() is None:
                    raise  # not a crash at startup, or crashing over and over
                self.figures.crashed_at_start.append(name)
                say(f"{name} exited while starting, started again: {_last_error(exc)}")
        say(f"{name} back")

    async def _broker_back(self, node: KafkaServer) -> None:
        """Restart the broker once the controller has fenced it (its partitions led elsewhere), then
        wait until it is in every in-sync replica set again: only then may another broker die."""
        node_id = self.cluster.nodes.index(node) + 1
        await wait_for(lambda: _live(self.cluster, node_id, False), 180, f"node {node_id} fenced")
        await asyncio.to_thread(self.cluster.revive, 240)
        await wait_for(lambda: _live(self.cluster, node_id, True), 180, f"node {node_id} back")
        await wait_for(lambda: in_sync(self.cluster), 300, "every partition's replicas in sync")
        say(f"{node.process.name} back, replicas in sync")

    async def harass(self, work: Awaitable[T], kills: int, services: tuple[str, ...]) -> T:
        """Run `work` while killing up to `kills` victims at random moments; stop killing when it ends."""
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        for _ in range(kills):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), self.rng.uniform(0.2, 2.5))
            if task.done():
                break
            await self.strike(services)
        return await task


def _last_error(exc: ServerFailed) -> str:
    """The end of the last line of the crashed process's log tail that names an error."""
    errors = [line for line in str(exc).splitlines() if "Error" in line]
    return errors[-1][-200:] if errors else str(exc).splitlines()[0]


@contextlib.asynccontextmanager
async def _admin(cluster: KafkaCluster) -> Any:
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _live(cluster: KafkaCluster, node_id: int, expected: bool) -> bool:
    """Whether the cluster lists the node among its live (unfenced) brokers."""
    try:
        async with _admin(cluster) as admin:
            brokers = (await admin.describe_cluster())["brokers"]
    except Exception:  # a cluster answering badly is not live yet: ask again
        return False
    return any(b["node_id"] == node_id for b in brokers) == expected


async def in_sync(cluster: KafkaCluster) -> bool:
    """Every partition of every topic (other tests' too) has a leader and all its replicas in sync."""
    try:
        async with _admin(cluster) as admin:
            topics = await admin.describe_topics()
    except Exception:  # a node going down or coming up: ask again
        return False
    partitions = [p for t in topics for p in t["partitions"]]
    return bool(partitions) and all(
        p["leader"] >= 0 and set(p["isr"]) == set(p["replicas"]) for p in partitions
    )


async def assert_replicated(system: System, cluster: KafkaCluster) -> None:
    """The system's topics have a replica on every broker: one broker down loses no partition."""
    async with _admin(cluster) as admin:
        topics = [t for t in await admin.describe_topics() if t["topic"].startswith(system.topic_prefix)]
    factors = {len(p["replicas"]) for t in topics for p in t["partitions"]}
    assert topics and factors == {len(cluster.nodes)}, factors


# --- The customers --------------------------------------------------------------------------------


def plan_accounts(plan: Plan, rng: random.Random) -> list[Account]:
    declining = max(1, round(plan.accounts * plan.declining_share))
    accounts = []
    for i in range(plan.accounts):
        services = rng.choice([SERVICES, SERVICES, ("standard",), ("registered",)])
        card = j.DECLINING_CARD if i < declining else j.GOOD_CARD
        accounts.append(Account(f"soak-{uuid.uuid4().hex[:10]}", card, services))
    return accounts


async def open_accounts(system: System, accounts: list[Account], parallel: int = 10) -> None:
    """Profile, card and services for each account (before any fault: the journeys' own steps)."""
    gate = asyncio.Semaphore(parallel)

    async def one(account: Account) -> None:
        async with gate:
            account.customer_id = await j.complete_profile(system, account.account_id)
            await j.add_card(system, account.account_id, account.card)
            for service in account.services:
                await j.activate(system, account.account_id, service)

    await asyncio.gather(*(one(a) for a in accounts))


def plan_letters(plan: Plan, accounts: list[Account], rng: random.Random) -> list[Letter]:
    letters = []
    for i in range(plan.letters):
        account = accounts[i] if i < len(accounts) else rng.choice(accounts)  # every account sends
        letters.append(
            Letter(
                account, rng.choice(account.services), rng.random() < plan.http_share, f"soak-{uuid.uuid4()}"
            )
        )
    return letters


async def submit(system: System, letters: list[Letter], workers: int, progress: Counter[str]) -> None:
    """Every letter handed over, by HTTP (retried with its Idempotency-Key when the replica died) or
    as a `SendLetter` command (re-published with the same event and command id when a broker failed)."""
    queue: asyncio.Queue[list[Letter]] = asyncio.Queue()
    commands: list[Letter] = []
    for letter in letters:
        if letter.by_http:
            queue.put_nowait([letter])
        else:
            commands.append(letter)
            if len(commands) == COMMAND_BATCH:
                queue.put_nowait(commands)
                commands = []
    if commands:
        queue.put_nowait(commands)
    tenth = max(1, len(letters) // 10)

    async def work() -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            if batch[0].by_http:
                await _post(system, batch[0])
            else:
                await _command(system, batch)
            for letter in batch:
                letter.account.letters[letter.service] += 1
            before, progress["submitted"] = progress["submitted"], progress["submitted"] + len(batch)
            if before // tenth != progress["submitted"] // tenth:
                say(f"{progress['submitted']} of {len(letters)} letters handed over")

    await asyncio.gather(*(work() for _ in range(workers)))


async def _retrying(call: Callable[[], Awaitable[T]], what: str, timeout: float = 180) -> T:
    """`call` again after a lost connection, a 5xx or a broker error, until the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await call()
        except AssertionError:
            raise
        except Exception as exc:  # a replica killed mid-request (its sibling answers next), a broker
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: still failing after {timeout:.0f}s") from exc
            await asyncio.sleep(0.2)


class Retry(Exception):
    """An answer worth asking again: the replica was going down."""


async def _post(system: System, letter: Letter) -> None:
    account = letter.account.account_id

    async def post() -> dict[str, Any]:
        async with system.client("letters", account) as letters:
            response = await letters.post(
                f"/v1/accounts/{account}/letters",
                headers={"Idempotency-Key": letter.key},
                json={"service": letter.service, "recipient": j.RECIPIENT, "document_base64": DOCUMENT},
            )
        if response.status_code >= 500:
            raise Retry(response.text)
        assert response.status_code == 202, response.text
        return dict(body(response))

    receipt = await _retrying(post, f"letter {letter.key}")
    assert receipt["status"] in ("accepted", "sent"), receipt  # every service is active while sending
    letter.account.http_letter_ids.add(str(receipt["letter_id"]))


async def _command(system: System, batch: list[Letter]) -> None:
    messages = [
        new_event(
            SendLetter,
            account_id=letter.account.account_id,
            producer="chaos-soak",
            occurred_at=j.now(system),
            command_id=letter.key,
            service=letter.service,
            recipient=j.RECIPIENT,
            document_base64=DOCUMENT,
        )
        for letter in batch
    ]
    await _retrying(
        lambda: publish(system.kafka_bootstrap, system.topic(SendLetter.topic), *messages), "SendLetter"
    )


# --- What must hold ---------------------------------------------------------------------------------


async def sent_by_account(system: System) -> dict[str, dict[str, set[uuid.UUID]]]:
    """account → letter id → the ids of its LetterSent events (a re-published event keeps its id)."""
    sent: dict[str, dict[str, set[uuid.UUID]]] = defaultdict(lambda: defaultdict(set))
    for event in await read_all(system.kafka_bootstrap, system.topic("letters.events")):
        if event.event_type == "LetterSent":
            sent[event.account_id][str(event.letter_id)].add(event.event_id)  # type: ignore[attr-defined]
    return sent


async def drain(system: System, accounts: list[Account], period: str, timeout: float) -> set[str]:
    """Wait until every letter is sent and billed; returns the sent letter ids."""
    sent: dict[str, dict[str, set[uuid.UUID]]] = {}

    async def all_sent() -> bool:
        nonlocal sent
        sent = await sent_by_account(system)
        return all(len(sent[a.account_id]) >= sum(a.letters.values()) for a in accounts)

    await wait_for(all_sent, timeout, "every letter sent")
    for a in accounts:  # announced once each, every HTTP letter among them, no extra letter
        letters = sent[a.account_id]
        assert len(letters) == sum(a.letters.values()), (a.account_id, len(letters), a.letters)
        assert a.http_letter_ids <= set(letters), a.account_id
        twice = {letter: ids for letter, ids in letters.items() if len(ids) != 1}
        assert not twice, f"LetterSent more than once: {twice}"
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events", timeout=timeout)
    for a in accounts:
        await wait_for(partial(_usage_is, system, a, period), 60, f"usage of {a.account_id}")
    return {letter for letters in sent.values() for letter in letters}


async def _usage_is(system: System, account: Account, period: str) -> bool:
    async def usage() -> dict[str, int]:
        async with system.client("invoicing", account.account_id) as invoicing:
            response = await invoicing.get(
                f"/v1/accounts/{account.account_id}/usage", params={"period": period}
            )
        if response.status_code >= 500:
            raise Retry(response.text)
        assert response.status_code == 200, response.text
        return {s["service"]: s["letters"] for s in body(response)["services"]}

    recorded = await _retrying(usage, "usage")
    assert all(recorded[s] <= account.letters[s] for s in SERVICES), (account.account_id, recorded)
    return all(recorded[s] == account.letters[s] for s in SERVICES)


def assert_posted_once(system: System, letter_ids: set[str]) -> None:
    """One spool envelope per letter, whichever process dispatched it and however often."""
    envelopes = Counter(p.stem for p in system.work.glob("spool-*/*/*.json") if p.stem in letter_ids)
    assert set(envelopes) == letter_ids, f"{len(letter_ids - set(envelopes))} letters never posted"
    twice = [letter for letter, n in envelopes.items() if n > 1]
    assert not twice, f"posted more than once: {twice}"


async def close_until_completed(system: System, period: str, timeout: float = 600) -> int:
    """Ask for the close until a run completes; returns how many runs were asked for. A run whose
    process died reads `interrupted` once its lease lapses (or stays `pending` if it never started),
    one asked for while another holds the lease is `skipped`: the next request resumes the close."""
    deadline = time.monotonic() + timeout
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:

        async def request() -> str:
            response = await invoicing.post("/v1/billing-runs", json={"period": period})
            if response.status_code >= 500:
                raise Retry(response.text)
            assert response.status_code == 202, response.text
            return str(body(response)["run_id"])

        for attempt in range(1, 100):
            run_id = await _retrying(request, "a billing run")
            status = "pending"

            async def ended(run_id: str = run_id) -> bool:
                nonlocal status
                response = await _retrying(partial(invoicing.get, f"/v1/billing-runs/{run_id}"), "run")
                status = str(body(response).get("status")) if response.status_code == 200 else "unknown"
                return status in ("completed", "failed", "skipped", "interrupted")

            with contextlib.suppress(AssertionError):  # lease (30 s) and margin: then ask again
                await wait_for(ended, 45, f"billing run {run_id}")
            if status == "completed":
                return attempt
            assert time.monotonic() < deadline, f"no close of {period} completed in {timeout:.0f}s"
            say(f"billing run {run_id} {status}: asking again")
            if status == "skipped":  # another run holds the lease: pace the requests, it may end
                await asyncio.sleep(1)
    raise AssertionError("unreachable")


async def stripe_retries(system: System, accounts: list[Account], period: str, timeout: float) -> None:
    """Stripe's retries, a week in all: declined invoices fail for good, their services go overdue,
    the others' invoices are paid; wait until every side shows it."""
    for _ in range(3):
        await system.advance(timedelta(days=3))
    for account in accounts:
        await wait_for(partial(_outcome_shown, system, account, period), timeout, account.account_id)


async def _outcome_shown(system: System, account: Account, period: str) -> bool:
    async def invoices() -> list[dict[str, Any]]:
        return await j.invoices(system, account.account_id)

    async def statuses() -> dict[str, str]:
        async with system.client("payments", account.account_id) as payments:
            response = await payments.get(f"/v1/accounts/{account.account_id}/billing")
        if response.status_code >= 500:
            raise Retry(response.text)
        assert response.status_code == 200, response.text
        return {s["service"]: s["status"] for s in body(response)["services"]}

    billed = {s for s in SERVICES if account.letters[s]}
    mine = [i for i in await _retrying(invoices, "invoices") if i["period"] == period]
    assert len(mine) == len({i["service"] for i in mine}), mine  # one invoice per service and month
    if {i["service"] for i in mine} != billed:
        return False
    assert all(i["letters"] == account.letters[i["service"]] for i in mine), (mine, account.letters)
    if not all(i["state"] in (FINAL_STATES if account.declines else {"paid"}) for i in mine):
        return False
    shown = await _retrying(statuses, "billing overview")
    wanted = {s: "overdue" if account.declines and s in billed else "active" for s in account.services}
    return all(shown.get(s) == status for s, status in wanted.items())


async def assert_webhooks_delivered(system: System) -> int:
    """Stripe's deliveries all reached a payments process in the end (retried past the kills)."""
    async with system.emulator() as emulator:
        deliveries = body(await emulator.get("/_emulator/webhooks"))
    failed = [d for d in deliveries if d["status"] == "failed"]
    assert not failed, failed[:3]
    return len(deliveries)


# --- The soak -------------------------------------------------------------------------------------


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
