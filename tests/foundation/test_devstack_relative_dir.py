"""The devstack accepts relative directories (the README's `--dir .autoletter/devstack`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from autoletter.devstack import postgres


def test_postgres_starts_from_a_relative_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    server = postgres.start(Path("relative") / "pgdata")
    try:

        async def answer() -> int:
            engine = create_async_engine(server.url)
            try:
                async with engine.connect() as conn:
                    return int((await conn.execute(text("SELECT 1"))).scalar_one())
            finally:
                await engine.dispose()

        assert asyncio.run(answer()) == 1
        assert (tmp_path / "relative" / "pgdata" / "PG_VERSION").exists()
    finally:
        server.stop()
