"""Many rows in one statement: one array parameter per column, unnested by the server.

The statement is the same whatever the number of rows, so SQLAlchemy compiles it once and PostgreSQL
plans it once. `executemany` sends a Bind/Execute per row (a quarter of the outbox writer's time),
and a multi-row VALUES is compiled anew for every batch size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Result, Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


async def insert_rows(
    session: AsyncSession,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    *,
    on_conflict: str = "",
    returning: tuple[str, ...] = (),
) -> Result[Any]:
    """Insert the rows whose values `columns` gives column by column (all of one length), in their
    order: identity values are drawn in it. `on_conflict` is the clause after ON CONFLICT (e.g.
    "DO NOTHING"); `returning` names columns of the rows written. JSONB values are passed as JSON
    text."""
    statement = _statement(table, tuple(columns), on_conflict, returning)
    return await session.execute(statement, {f"c{i}": list(v) for i, v in enumerate(columns.values())})


@cache
def _statement(
    table: Table, names: tuple[str, ...], on_conflict: str, returning: tuple[str, ...]
) -> TextClause:
    arrays = ", ".join(
        f"CAST(:c{i} AS {table.c[name].type.compile(dialect=_DIALECT)}[])" for i, name in enumerate(names)
    )
    listed = ", ".join(f'"{name}"' for name in names)
    sql = (
        f'INSERT INTO "{table.name}" ({listed})'  # noqa: S608 (identifiers from the table, not input)
        f" SELECT {listed} FROM unnest({arrays}) WITH ORDINALITY AS r({listed}, _row) ORDER BY _row"
    )
    if on_conflict:
        sql += f" ON CONFLICT {on_conflict}"
    if returning:
        sql += " RETURNING " + ", ".join(f'"{name}"' for name in returning)
    return text(sql)
