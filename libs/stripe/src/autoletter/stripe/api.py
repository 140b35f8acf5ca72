"""The one place the Stripe API version is pinned, and the client every service uses.

stripe-python 15.6.x sends API version 2026-08-26.dahlia, the spec embedded in stripe-mock v0.203.0,
so every request checked by stripe-mock is checked against the shapes we really get.

Requests go over aiohttp: stripe-python's httpx client cost 3-4 ms of CPU per request here (most of it
in httpcore's connection pool, which checks every idle connection's socket on each request), aiohttp
0.6-0.9 ms (bench/README.md, issue 21), and a monthly close is bound by that CPU.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp

import stripe

API_VERSION = "2026-08-26.dahlia"

#: stripe-python's own default (seconds for a whole request).
TIMEOUT_S = 80.0


class _AioHttpClient(stripe.AIOHTTPClient):
    """stripe-python's aiohttp client with one session per event loop, closed when the client is
    garbage-collected or its loop shuts down (asyncio.run and uvicorn cancel the loop's tasks): nothing
    is left unclosed, and a client used from a second loop (a CLI command after another) gets a
    session of its own."""

    def __init__(self) -> None:
        super().__init__(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        self._sessions = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]()

    @property
    def _session(self) -> Any:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            self._cached_session = None
            session = super()._session  # stripe-python's session: its CA bundle and connector
            self._sessions[loop] = session
            unused = asyncio.Event()
            closer = loop.create_task(_close_when(unused, session), name="stripe-http-session")
            _CLOSERS.add(closer)
            closer.add_done_callback(_CLOSERS.discard)
            weakref.finalize(self, _wake, loop, unused)
        return session


#: The pending closers (the loop keeps only weak references to its tasks).
_CLOSERS: set[asyncio.Task[None]] = set()


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    if not loop.is_closed():
        loop.call_soon_threadsafe(event.set)


async def _close_when(unused: asyncio.Event, session: aiohttp.ClientSession) -> None:
    try:
        await unused.wait()
    except GeneratorExit:
        return  # destroyed along with a loop that was closed without cancelling it: nothing to await
    except asyncio.CancelledError:
        await session.close()
        raise
    await session.close()


def client(api_key: str, *, api_base: str | None = None, max_network_retries: int = 3) -> stripe.StripeClient:
    """A StripeClient pinned to API_VERSION; 429 and network errors are retried with backoff."""
    base = {"api": api_base} if api_base else {}
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=max_network_retries,
        http_client=_AioHttpClient(),
    )
