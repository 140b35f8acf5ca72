"""Benchmarks use the same servers as the tests: from the environment, or started here."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from autoletter.devstack import servers


@contextmanager
def kafka_and_postgres() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="autoletter-bench-") as work, ExitStack() as stack:
        kafka = stack.enter_context(servers.kafka(Path(work)))
        pg = stack.enter_context(servers.postgres(Path(work)))
        yield kafka, pg
