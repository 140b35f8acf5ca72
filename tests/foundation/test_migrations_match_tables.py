"""Every service's migrations build exactly the tables its code declares (`adapters/tables.py`, and
the runtime's outbox and inbox), on the real PostgreSQL: the schema is written twice, so it is checked."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from autoletter.runtime import tables as runtime_tables
from autoletter.runtime.db import create_engine
from autoletter.runtime.migrations import upgrade

SERVICES = ("profile", "payments", "letters", "invoicing")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrated_schema_is_the_one_the_code_declares(
    database_url: str, unique: str, service: str
) -> None:
    metadata: MetaData = importlib.import_module(f"autoletter.{service}.adapters.tables").metadata
    bootstrap = importlib.import_module(f"autoletter.{service}.bootstrap")
    migrations: Path = bootstrap.MIGRATIONS
    schema = f"m{unique}"
    engine = create_engine(database_url, schema, pool_size=1)
    try:
        await upgrade(database_url, schema, migrations)

        def differences(conn: Connection) -> list[Any]:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            found = []
            for declared in (metadata, runtime_tables.metadata):
                found += [d for d in compare_metadata(context, declared) if _about(d, declared)]
            return found

        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


def _about(diff: Any, metadata: MetaData) -> bool:
    """Alembic compares with every table it finds: keep what concerns the tables this metadata has."""
    change = diff[0] if isinstance(diff, list) else diff
    subject = change[1]
    if change[0].endswith("_table"):
        table = subject.name
    elif hasattr(subject, "table"):  # an index or a constraint
        table = subject.table.name
    else:  # a column: (operation, schema, table, …)
        table = change[2]
    return table in metadata.tables
