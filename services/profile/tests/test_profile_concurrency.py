"""Two writers with the same ETag: exactly one wins, the other is told the profile changed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fixture's type; conftest is not importable under --import-mode=importlib
    from conftest import ProfileService


async def test_two_writes_with_the_same_if_match_exactly_one_wins(
    service: ProfileService, account: str
) -> None:
    url = f"/v1/accounts/{account}/profile"
    headers = service.auth(account)
    etag = (await service.client.put(url, json={"name": "Start"}, headers=headers)).headers["etag"]
    for round_ in range(5):
        names = [f"Writer A{round_}", f"Writer B{round_}"]
        responses = await asyncio.gather(
            *(
                service.client.patch(url, json={"name": n}, headers={**headers, "If-Match": etag})
                for n in names
            )
        )
        assert sorted(r.status_code for r in responses) == [200, 412]
        (winner,) = [r for r in responses if r.status_code == 200]
        read = await service.client.get(url, headers=headers)
        assert read.json()["name"] == winner.json()["name"]
        assert read.headers["etag"] == winner.headers["etag"] == f'"{round_ + 2}"'
        etag = winner.headers["etag"]


async def test_two_first_writes_expecting_a_never_written_profile_exactly_one_wins(
    service: ProfileService, account: str
) -> None:
    url = f"/v1/accounts/{account}/profile"
    headers = {**service.auth(account), "If-Match": '"0"'}
    responses = await asyncio.gather(
        *(service.client.put(url, json={"name": n}, headers=headers) for n in ("First", "Second"))
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    assert await service.staged(account) == 1
