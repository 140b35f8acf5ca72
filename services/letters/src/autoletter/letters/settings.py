"""Settings of the letters service (env: AUTOLETTER_<FIELD> for all services, LETTERS_<FIELD> here)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from autoletter.runtime.settings import ServiceSettings


class LettersSettings(ServiceSettings):
    """What the letters service needs beyond the common settings."""

    service_name: ClassVar[str] = "letters"

    http_port: int = 8003
    spool_dir: Path = Field(default=Path("var/letters-spool"), description="Print spool directory.")
    hold_limit: timedelta = Field(default=timedelta(days=30), description="A held letter expires after this.")
    status_pending_limit: timedelta = Field(
        default=timedelta(minutes=10),
        description="A letter waiting for an unknown status expires after this.",
    )
    max_document_bytes: int = Field(
        default=700 * 1024, ge=1, description="Largest PDF inside a letter request."
    )
    max_uploaded_document_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, description="Largest PDF uploaded on its own (POST …/documents)."
    )
    document_retention: timedelta = Field(
        default=timedelta(days=7),
        description="An uploaded document is deleted this long after the last letter using it is sent "
        "or ends (or after upload, if no letter names it).",
    )
    document_cleanup_interval_s: float = Field(
        default=3600.0, gt=0, description="How often idle uploaded documents are deleted."
    )
    max_pages: int = Field(default=200, ge=1, description="Most pages a letter may have.")
    duplex: bool = Field(default=False, description="Print on both sides: sheets = ceil(pages / 2).")
    dispatch_batch_size: int = Field(default=500, ge=1, description="Most letters spooled per transaction.")
    dispatch_batch_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1, description="Most document bytes held in memory per dispatch batch."
    )
    dispatch_concurrency: int = Field(default=16, ge=1, description="Letters written to the spool at once.")
    dispatch_poll_interval_s: float = Field(default=1.0, gt=0, description="Dispatcher poll when not woken.")
    dispatch_retry_delay_s: float = Field(default=5.0, gt=0, description="First retry of a failed dispatch.")
    expiry_sweep_interval_s: float = Field(default=30.0, gt=0, description="How often held letters expire.")
