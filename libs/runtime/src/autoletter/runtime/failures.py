"""Outage or poison: what a failure says about whose fault it is, decided by evidence.

A message must never be dead-lettered because the database or Stripe was briefly unavailable (its
effect would then never happen: a letter sent and never billed). The driver's SQLSTATE, the kind of
network error, and `TransientError` (which a dependency's adapter raises for its outages, e.g.
autoletter.stripe's `outages_as_transient`) say which failures are the world's and which the message's.
"""

from __future__ import annotations

from enum import StrEnum

from asyncpg.exceptions import InterfaceError as DriverInterfaceError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class Failure(StrEnum):
    """How a failed unit of work is retried."""

    #: The database or a dependency is unavailable: waited out without limit, never dead-lettered.
    OUTAGE = "outage"
    #: Deadlock or serialisation failure: roll back and run the whole unit of work again.
    CONFLICT = "conflict"
    #: Statement or lock timeout, query cancelled: retried for a bounded time while the database
    #: answers, then dead-lettered (a message slow by itself must not block its partition forever).
    SLOW = "slow"
    #: The message's or the handler's fault: a few retries, then the dead-letter topic.
    MESSAGE = "message"


class TransientError(Exception):
    """Raised by a handler when a dependency is unavailable: an outage, retried without limit."""


#: SQLSTATE classes and codes (PostgreSQL appendix A) that mean the database, not the message.
_OUTAGE_CLASSES = ("08", "53", "58")  # connection exception, insufficient resources, system error
_OUTAGE_CODES = ("57P01", "57P02", "57P03", "57P04", "57P05")  # shutdown, crash, starting, dropped, idle
_CONFLICT_CLASSES = ("40",)  # serialization_failure 40001, deadlock_detected 40P01
_SLOW_CODES = ("57014", "55P03")  # query_canceled (statement_timeout, pg_cancel_backend), lock_not_available

#: Network and pool failures that carry no SQLSTATE.
_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    TransientError,
    OSError,  # ConnectionError, TimeoutError (= asyncio's), refused and reset connections
    PoolTimeoutError,
    InterfaceError,
    DriverInterfaceError,  # raw asyncpg: the connection was closed under us
)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE the driver reported, looking inside SQLAlchemy's wrapper and exception chains."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str) and len(code) == 5:
            return code
        orig = current.orig if isinstance(current, DBAPIError) else None
        todo.extend([orig, current.__cause__, current.__context__])
    return None


def classify(exc: BaseException) -> Failure:
    """Whose fault the failure is, and so how it is retried."""
    code = sqlstate(exc)
    if code is not None:
        if code.startswith(_OUTAGE_CLASSES) or code in _OUTAGE_CODES:
            return Failure.OUTAGE
        if code.startswith(_CONFLICT_CLASSES):
            return Failure.CONFLICT
        if code in _SLOW_CODES:
            return Failure.SLOW
        return Failure.MESSAGE  # a constraint, a syntax error, bad data: the message's fault
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Failure.OUTAGE
    if isinstance(exc, OperationalError | PoolTimeoutError):
        return Failure.OUTAGE  # no SQLSTATE: the driver could not reach the server
    if _is_outage(exc):
        return Failure.OUTAGE
    return Failure.MESSAGE


def _is_outage(exc: BaseException) -> bool:
    current: BaseException | None = exc
    for _ in range(5):  # the handler may have wrapped the cause in its own error
        if current is None:
            return False
        if isinstance(current, _OUTAGE_TYPES):
            return True
        current = current.__cause__
    return False
