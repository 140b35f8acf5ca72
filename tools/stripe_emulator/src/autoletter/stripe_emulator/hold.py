"""A Stripe that keeps some requests waiting (slow, or stuck mid-call) until told to answer.

Tests use it to catch a caller while it waits on Stripe — to kill the process that sent the request,
say — knowing which connection it came from. The held request then runs as usual when released (the
caller may be gone by then: Stripe did the work, nobody read the answer)."""

from __future__ import annotations

import asyncio
from typing import Any


class Hold:
    """Requests whose method and path match wait in `wait` until `release`."""

    def __init__(self) -> None:
        self._method: str | None = None
        self._path = ""
        self._open = asyncio.Event()
        self._open.set()
        self.held: list[dict[str, Any]] = []

    def hold(self, method: str, path_prefix: str) -> None:
        self._method, self._path = method.upper(), path_prefix
        self._open.clear()

    def release(self) -> None:
        self._method = None
        self._open.set()

    async def wait(self, method: str, path: str, client: tuple[str, int] | None) -> None:
        """Return at once unless this request matches what is held; then when released."""
        if self._open.is_set() or method.upper() != self._method or not path.startswith(self._path):
            return
        entry = {"method": method, "path": path, "client_port": client[1] if client else None}
        self.held.append(entry)
        try:
            await self._open.wait()
        finally:
            self.held.remove(entry)

    def describe(self) -> dict[str, Any]:
        return {"holding": not self._open.is_set(), "method": self._method, "path": self._path,
                "held": list(self.held)}  # fmt: skip
