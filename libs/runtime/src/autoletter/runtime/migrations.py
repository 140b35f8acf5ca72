"""Alembic, one migration history per service schema (`alembic_version` lives in that schema)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from autoletter.runtime.db import check_schema_name, create_engine
from autoletter.runtime.tables import metadata as messaging_metadata


def _config(database_url: str, schema: str, script_location: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["schema"] = check_schema_name(schema)
    return cfg


async def upgrade(database_url: str, schema: str, script_location: Path, revision: str = "head") -> None:
    """Bring the service schema to `revision` (alembic runs its own event loop, so in a thread)."""
    await asyncio.to_thread(command.upgrade, _config(database_url, schema, script_location), revision)


def run_env(target_metadata: MetaData | None = None) -> None:
    """The body of every service's migrations/env.py (online mode, asyncpg)."""
    cfg = context.config
    url = cfg.attributes.get("database_url") or cfg.get_main_option("sqlalchemy.url")
    schema = cfg.attributes.get("schema") or cfg.get_main_option("schema")
    if not url or not schema:
        raise RuntimeError("run migrations through autoletter.runtime.migrations.upgrade")

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url, schema, pool_size=1)
        try:
            async with engine.connect() as conn:
                # Replicas start together: one migrates, the others wait, then find nothing to do
                # (without it both create the schema or alembic_version and one fails).
                await conn.execute(_MIGRATION_LOCK, {"schema": schema})
                await conn.commit()
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await conn.commit()
                await conn.run_sync(do_run)
                await conn.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


#: A session lock per schema, held by the migrating connection until it closes.
_MIGRATION_LOCK = text("SELECT pg_advisory_lock(hashtextextended('autoletter-migrations:' || :schema, 0))")


def create_messaging_tables() -> None:
    """Create the outbox and inbox tables; call from a service's first revision."""
    bind = op.get_bind()
    messaging_metadata.create_all(bind)


def drop_messaging_tables() -> None:
    bind = op.get_bind()
    messaging_metadata.drop_all(bind)
