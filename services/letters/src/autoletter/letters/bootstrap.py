"""Composition root of the letters service: settings, clock, handlers, jobs and the HTTP app."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI

from autoletter.contracts import TOPICS
from autoletter.letters import metrics
from autoletter.letters.adapters.spool import DispatchPort, SpoolDispatcher
from autoletter.letters.dispatch import LetterDispatcher, expire_held_letters, listen, run_periodically
from autoletter.letters.domain.model import HoldLimits
from autoletter.letters.entrypoints import consumers, http, reconciliation, uploads
from autoletter.letters.handlers import LettersContext
from autoletter.letters.retention import delete_idle_documents
from autoletter.letters.settings import LettersSettings
from autoletter.letters.submission import DocumentRules
from autoletter.runtime.clock import Clock
from autoletter.runtime.service import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


class LettersRuntime(ServiceRuntime):
    """The shared runtime plus what the letters jobs and routes need."""

    settings: LettersSettings
    letters: LettersContext
    dispatcher: LetterDispatcher

    async def expire_held_letters(self) -> int:
        """Run one expiry sweep now (the background job does this periodically)."""
        return await expire_held_letters(self.sessions, self.letters)

    async def dispatch_pending(self) -> int:
        """Run one dispatch pass now (the background job does this when woken)."""
        return await self.dispatcher.dispatch_pending()

    async def delete_idle_documents(self) -> int:
        """Run one cleanup of uploaded documents now (the background job does this periodically)."""
        return await delete_idle_documents(
            self.sessions, self.letters.clock, self.settings.document_retention
        )


def create_runtime(
    settings: LettersSettings | None = None,
    clock: Clock | None = None,
    dispatch_port: DispatchPort | None = None,
) -> LettersRuntime:
    """Wire the letters service from its settings (read from the environment when not given)."""
    settings = settings or LettersSettings()
    clock = clock or settings.make_clock()  # the system clock unless a dev offset file is configured
    ctx = LettersContext(
        clock=clock,
        limits=HoldLimits(default=settings.hold_limit, status_pending=settings.status_pending_limit),
        rules=DocumentRules(
            settings.max_document_bytes,
            settings.max_pages,
            settings.duplex,
            max_upload_bytes=settings.max_uploaded_document_bytes,
        ),
        notify_channel=f"{settings.database_schema}.letters_accepted",
        producer=settings.service_name,
    )
    wake = asyncio.Event()

    async def dispatcher_job(rt: ServiceRuntime) -> None:
        try:
            await run_periodically(
                letters_rt.dispatch_pending, settings.dispatch_poll_interval_s, "dispatch", wake
            )
        finally:
            letters_rt.dispatcher.close()

    async def listener_job(rt: ServiceRuntime) -> None:
        await listen(rt.engine, ctx.notify_channel, wake)

    async def expiry_job(rt: ServiceRuntime) -> None:
        await run_periodically(letters_rt.expire_held_letters, settings.expiry_sweep_interval_s, "expiry")

    async def documents_job(rt: ServiceRuntime) -> None:
        await run_periodically(
            letters_rt.delete_idle_documents, settings.document_cleanup_interval_s, "documents"
        )

    async def refresh_metrics() -> None:
        await metrics.refresh(letters_rt.sessions, clock.now())

    async def metrics_job(rt: ServiceRuntime) -> None:
        await run_periodically(refresh_metrics, settings.metrics_interval_s, "metrics")

    letters_rt = LettersRuntime(
        settings,
        migrations=MIGRATIONS,
        subscriptions=consumers.subscriptions(ctx),
        publishes=[TOPICS["letters.events"]],
        clock=clock,
        background=[dispatcher_job, listener_job, expiry_job, documents_job, metrics_job],
    )
    letters_rt.letters = ctx
    letters_rt.dispatcher = LetterDispatcher(
        letters_rt.sessions,
        ctx,
        dispatch_port or SpoolDispatcher(settings.spool_dir),
        batch_size=settings.dispatch_batch_size,
        concurrency=settings.dispatch_concurrency,
        batch_bytes=settings.dispatch_batch_bytes,
        retry_delay=settings.dispatch_retry_delay_s,
    )
    return letters_rt


def create_app(runtime: LettersRuntime) -> FastAPI:
    """The HTTP app; its lifespan starts and stops the runtime."""
    return runtime.create_app(
        http.router(runtime.letters),
        uploads.router(runtime.letters),
        reconciliation.router,
        title="AutoLetter letters",
    )
