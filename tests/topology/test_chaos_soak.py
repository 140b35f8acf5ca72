"""The short chaos soak (issue 19): 300 letters across 20 accounts, at most 10 SIGKILLs of service
processes and brokers while letters are submitted, during the close and during Stripe's retries, on
the session's three-broker cluster with two processes per service. Its logic is chaos.py's, which
also runs the long soak (docs/chaos-soak.md). The seed is printed; CHAOS_SEED=<seed> repeats its plan."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import chaos

from autoletter.devstack.kafka import KafkaCluster

LETTERS, ACCOUNTS, KILLS = 300, 20, 10


@pytest.mark.timeout(1800)  # a safety net: ~15 min were seen on a machine loaded 60 deep
async def test_letters_survive_killed_processes_and_brokers_posted_billed_and_reconciled_once(
    kafka_cluster: KafkaCluster, database_url: str, stripe_api_base: str, server_workdir: Path
) -> None:
    plan = chaos.Plan(LETTERS, ACCOUNTS, KILLS, chaos.seed_from(os.environ.get("CHAOS_SEED")))
    print(f"chaos soak seed {plan.seed} (repeat with CHAOS_SEED={plan.seed})")
    figures = await chaos.soak_on_new_system(
        server_workdir, database_url, kafka_cluster, stripe_api_base, plan
    )
    assert 1 <= len(figures.kills) <= KILLS, figures.kills
    assert figures.by_http and figures.by_command and figures.declining_accounts
    assert figures.reconciliation["differences"] == []
    assert figures.reconciliation["checked"]["letters"] >= LETTERS, figures.reconciliation
