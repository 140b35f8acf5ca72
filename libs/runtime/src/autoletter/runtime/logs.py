"""Structured JSON logs carrying the correlation id of the flow being handled."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from aiokafka import errors as aiokafka_errors

from autoletter.runtime import tracing

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

#: Retried by aiokafka while a fresh broker elects its group coordinator.
_STARTUP_STATES = (
    aiokafka_errors.CoordinatorNotAvailableError,
    aiokafka_errors.NotCoordinatorError,
    aiokafka_errors.CoordinatorLoadInProgressError,
)

#: aiokafka.cluster's message while a subscribed topic does not exist yet (its owner creates it).
_TOPIC_NOT_YET = "Topic %s not found in cluster metadata"

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation_id and any extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": correlation_id.get(),
            **tracing.log_ids(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ExpectedStartupStates(logging.Filter):
    """aiokafka logs, at error level and then retries, states every fresh start goes through: a group
    coordinator still being elected, a topic another service has not created yet. They are waited
    through, so they are logged as info."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        expected = record.msg == _TOPIC_NOT_YET or any(isinstance(arg, _STARTUP_STATES) for arg in args)
        if record.levelno >= logging.ERROR and expected:
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def configure(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    """Route the root logger to stdout, as JSON unless told otherwise."""
    handler = logging.StreamHandler(sys.stdout)
    if json_logs:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    for name in ("aiokafka.consumer.group_coordinator", "aiokafka.cluster"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExpectedStartupStates) for f in logger.filters):
            logger.addFilter(ExpectedStartupStates())
