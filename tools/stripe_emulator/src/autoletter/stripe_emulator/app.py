"""create_app(config): the FastAPI application serving Stripe's API, hosted pages and /_emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from autoletter.stripe_emulator import api, collection, control, debug, pages
from autoletter.stripe_emulator.config import EmulatorConfig
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.gateway import Gateway


def create_app(config: EmulatorConfig | None = None) -> FastAPI:
    """A fresh emulator (empty state) as an ASGI app; `app.state.emulator` is its Emulator."""
    emulator = Emulator(config or EmulatorConfig())
    gateway = Gateway(emulator)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ticker = asyncio.get_running_loop().create_task(_tick(emulator))
        emulator.resume_deliveries()
        yield
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await gateway.close()
        await emulator.dispatcher.close()
        emulator.save()
        if emulator.store is not None:
            emulator.store.close()

    app = FastAPI(title="Stripe emulator", lifespan=lifespan, docs_url="/_emulator/docs", redoc_url=None,
                  openapi_url="/_emulator/openapi.json")  # fmt: skip
    app.state.emulator = emulator
    app.include_router(control.router(emulator))
    app.include_router(debug.router(emulator))
    app.include_router(pages.router(emulator))
    app.include_router(api.router(gateway))
    return app


async def _tick(emulator: Emulator) -> None:
    """With a running clock, retries fall due on their own: run them even when no request comes in."""
    while True:
        await asyncio.sleep(emulator.config.tick_s)
        async with emulator.lock:
            collection.run_due(emulator)
            emulator.save()
