"""Failures reported to the person in one sentence (exit 2), never as a traceback or with a secret."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from aiokafka.errors import KafkaError


class CliError(Exception):
    """A failure to report to the person in one line."""


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__


@asynccontextmanager
async def reaching_kafka(bootstrap: str) -> AsyncIterator[None]:
    """Turn a Kafka that does not answer into one line naming the address tried."""
    try:
        yield
    except BrokenPipeError:
        raise  # our reader went away (`| head`): not Kafka's doing
    except (KafkaError, OSError) as exc:
        raise CliError(f"Kafka is not reachable at {bootstrap} ({type(exc).__name__})") from exc


def service_unreachable(service: str, url: str, exc: httpx.HTTPError) -> CliError:
    """One line naming the service and the URL tried (our URLs carry no credentials)."""
    return CliError(f"{service} is not reachable at {url} ({type(exc).__name__}: {_why(exc)})")
