"""The composition root of letters: its Deps, and the Service the runtime runs."""

from __future__ import annotations

from pathlib import Path

from autoletter.contracts import TOPICS
from autoletter.letters.adapters.repository import LettersRepository
from autoletter.letters.adapters.spool import DispatchPort, SpoolDispatcher
from autoletter.letters.domain.model import HoldLimits
from autoletter.letters.entrypoints import consumers, http, reconciliation, uploads
from autoletter.letters.entrypoints.deps import Deps
from autoletter.letters.handlers.common import LettersContext
from autoletter.letters.handlers.dispatch import LetterDispatcher
from autoletter.letters.handlers.requests import DocumentRules
from autoletter.letters.settings import LettersSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.jobs import Job
from autoletter.runtime.notify import Channel
from autoletter.runtime.service import Resources, Service

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(
    settings: LettersSettings | None = None,
    clock: Clock | None = None,
    dispatch_port: DispatchPort | None = None,
) -> Service[Deps]:
    """Wire letters from its settings (read from the environment when not given)."""
    settings = settings or LettersSettings()
    resources = Resources.open(settings, clock)
    accepted = Channel.of(settings.database_schema, "letters_accepted")
    units = resources.units(LettersRepository)
    ctx = LettersContext(
        limits=HoldLimits(default=settings.hold_limit, status_pending=settings.status_pending_limit),
        rules=DocumentRules(
            settings.max_document_bytes,
            settings.max_pages,
            settings.duplex,
            max_upload_bytes=settings.max_uploaded_document_bytes,
        ),
        accepted=accepted,
    )
    dispatcher = LetterDispatcher(
        units,
        dispatch_port or SpoolDispatcher(settings.spool_dir),
        batch_size=settings.dispatch_batch_size,
        concurrency=settings.dispatch_concurrency,
        batch_bytes=settings.dispatch_batch_bytes,
        retry_delay=settings.dispatch_retry_delay_s,
    )
    deps = Deps(settings, resources.clock, resources.sessions, units, ctx, dispatcher)
    return Service(
        resources,
        deps,
        MIGRATIONS,
        "AutoLetter letters",
        units=units,
        publishes=[TOPICS["letters.events"]],
        subscriptions=consumers.subscriptions(ctx),
        routers=[http.router(), uploads.router(), reconciliation.router],
        channels=[accepted],
        jobs=[
            Job(
                "dispatch",
                dispatcher.dispatch_pending,
                settings.dispatch_poll_interval_s,
                wake=accepted.wake,
                on_stop=dispatcher.close,
            ),
            Job("expiry", deps.expire_held_letters, settings.expiry_sweep_interval_s),
            Job("documents", deps.delete_idle_documents, settings.document_cleanup_interval_s),
            Job("metrics", deps.refresh_metrics, settings.metrics_interval_s),
        ],
    )
