"""GroupWriter: concurrent items written together, each caller answered with its own result."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence

import pytest

from autoletter.runtime.grouping import GroupWriter


class Store:
    """A write that takes a moment (a commit), records its groups, and refuses the item "bad"."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []

    async def write(self, items: Sequence[str]) -> list[str]:
        await asyncio.sleep(0.01)
        if "bad" in items:
            raise ValueError("bad item")
        self.groups.append(list(items))
        return [item.upper() for item in items]


async def test_items_arriving_while_a_group_is_written_are_written_together() -> None:
    store = Store()
    writer = GroupWriter(store.write)
    items = [f"item-{n}" for n in range(30)]
    results = await asyncio.gather(*(writer.submit(i) for i in items))
    assert results == [i.upper() for i in items]  # each caller gets its own item's result
    assert sorted(i for g in store.groups for i in g) == sorted(items)
    assert len(store.groups) < len(items) and writer.groups == len(store.groups)


async def test_a_group_is_capped_at_max_group() -> None:
    store = Store()
    writer = GroupWriter(store.write, max_group=4)
    await asyncio.gather(*(writer.submit(f"i{n}") for n in range(10)))
    assert max(len(g) for g in store.groups) <= 4


async def test_a_failing_group_is_written_one_by_one_and_only_the_bad_item_fails() -> None:
    store = Store()
    writer = GroupWriter(store.write)
    outcomes = await asyncio.gather(*(writer.submit(i) for i in ["a", "bad", "c"]), return_exceptions=True)
    assert outcomes[0] == "A" and outcomes[2] == "C"
    assert isinstance(outcomes[1], ValueError)
    assert ["a"] in store.groups and ["c"] in store.groups


async def test_a_lone_item_is_written_at_once_and_the_writer_starts_again_later() -> None:
    store = Store()
    writer = GroupWriter(store.write)
    assert await writer.submit("one") == "ONE"
    assert await writer.submit("two") == "TWO"
    assert store.groups == [["one"], ["two"]]


async def test_a_caller_that_gives_up_does_not_cancel_its_group() -> None:
    store = Store()
    writer = GroupWriter(store.write)
    waiting = asyncio.create_task(writer.submit("x"))
    other = asyncio.create_task(writer.submit("y"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await other == "Y"
    assert ["x", "y"] in store.groups  # written all the same


async def test_the_failure_of_an_item_whose_caller_gave_up_is_not_reported_as_unretrieved() -> None:
    unretrieved: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: unretrieved.append(context))
    store = Store()
    writer = GroupWriter(store.write)
    waiting = asyncio.create_task(writer.submit("bad"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await writer.submit("next") == "NEXT"  # the bad item's group has been written (and failed)
    del waiting
    gc.collect()  # an unretrieved exception is reported when its future is collected
    assert unretrieved == []
