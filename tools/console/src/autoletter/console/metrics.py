"""The few numbers of the services' /metrics an operator looks at first."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

BACKLOG = "autoletter_outbox_backlog"
DEAD_LETTERS = "autoletter_dead_letters_total"


@dataclass(frozen=True)
class DeadLetters:
    group: str
    reason: str
    count: int


@dataclass(frozen=True)
class Highlights:
    """Unpublished outbox rows and messages moved to dead-letter topics, for one service."""

    outbox_backlog: int | None
    dead_letters_total: int
    dead_letters: list[DeadLetters] = field(default_factory=list)


def highlights(text: str, service: str | None = None) -> Highlights:
    """Parse the Prometheus text; with `service`, only samples labelled for it (or unlabelled) count."""
    backlog: int | None = None
    dead: list[DeadLetters] = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            owner = sample.labels.get("service")
            if service is not None and owner not in (None, service):
                continue
            if sample.name == BACKLOG:
                backlog = (backlog or 0) + int(sample.value)
            elif sample.name == DEAD_LETTERS and sample.value > 0:
                dead.append(
                    DeadLetters(
                        sample.labels.get("group", ""), sample.labels.get("reason", ""), int(sample.value)
                    )
                )
    return Highlights(backlog, sum(d.count for d in dead), dead)
