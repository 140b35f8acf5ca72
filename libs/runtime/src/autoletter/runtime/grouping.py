"""Group commit: items that concurrent callers submit are written together, one transaction per group.

While one group is being written (its commit waits for the disk), the items that arrive meanwhile
gather into the next group: under load, many requests share one commit; alone, a request is written
at once. Each caller gets its own item's result only after its group committed. If a group fails,
each of its items is written again alone, so one bad item fails its own caller only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupWriter(Generic[T, R]):
    """`write(items)` returns one result per item, in order, and commits them together."""

    def __init__(
        self, write: Callable[[Sequence[T]], Awaitable[Sequence[R]]], *, max_group: int = 100
    ) -> None:
        self._write = write
        self._max = max_group
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None
        #: Groups written so far (a group that failed and was written one by one counts once).
        self.groups = 0

    async def submit(self, item: T) -> R:
        """Write `item` with whatever else is waiting; its result once its group is committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="group-writer")
        try:
            return await asyncio.shield(future)  # a caller that gives up does not cancel the group
        except asyncio.CancelledError:
            future.add_done_callback(_nobody_waits)
            raise

    async def _drain(self) -> None:
        while self._pending:
            group, self._pending = self._pending[: self._max], self._pending[self._max :]
            self.groups += 1
            try:
                results = await self._write([item for item, _ in group])
            except Exception:
                await self._one_by_one(group)
                continue
            for (_, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _one_by_one(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        for item, future in group:
            try:
                [result] = await self._write([item])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)


def _nobody_waits(future: asyncio.Future[R]) -> None:
    """The outcome of an item whose caller gave up is read here, so that a failure is not reported
    as "exception never retrieved" (it was its own caller's to see)."""
    if not future.cancelled():
        future.exception()
