"""Transactional outbox: stage events in the caller's transaction; the relay publishes them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts import Envelope, encode, headers_for, topic_for
from autoletter.runtime import bulk, tracing
from autoletter.runtime.db import advisory_key, lock_accounts
from autoletter.runtime.tables import outbox

#: Set in a session's info when it staged rows.
STAGED = "outbox_staged"

#: Relays publish shards independently; an account always maps to the same shard.
SHARDS = 16


def shard_of(account_id: str) -> int:
    return advisory_key("outbox-shard", account_id) % SHARDS


async def add(
    session: AsyncSession, *messages: Envelope, traces: Mapping[UUID, Mapping[str, str]] | None = None
) -> None:
    """Stage messages in this transaction. Rows of one account get ids in commit order because the
    account's advisory lock is taken before the id is drawn from the sequence. Each row keeps the
    current trace context, or the one `traces` gives for its event id (tracing.headers_in)."""
    if not messages:
        return
    session.info[STAGED] = True  # the relays of this process are woken when it commits (relay.py)
    # Scoped by producer: services sharing one database must not serialise on each other's accounts.
    for producer in sorted({m.producer for m in messages}):
        await lock_accounts(
            session, f"outbox:{producer}", [m.account_id for m in messages if m.producer == producer]
        )
    trace_headers = tracing.capture()
    traces = traces or {}
    await bulk.insert_rows(
        session,
        outbox,
        {
            "event_id": [m.event_id for m in messages],
            "account_id": [m.account_id for m in messages],
            "shard": [shard_of(m.account_id) for m in messages],
            "topic": [topic_for(m).name for m in messages],
            "event_type": [m.event_type for m in messages],
            "payload": [encode(m) for m in messages],
            # The trace context is captured now, inside the request's or handler's span (PITFALLS):
            # the relay sends it as it was, so the consumer continues this trace.
            "headers": [
                json.dumps(
                    {**{k: v.decode() for k, v in headers_for(m)}, **traces.get(m.event_id, trace_headers)}
                )
                for m in messages
            ],
        },
    )
