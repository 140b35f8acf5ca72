"""Held letters ending without a release: cancelled by the customer, or expired past their limit."""

from __future__ import annotations

from uuid import UUID

from autoletter.letters.adapters.repository import LettersRepository, open_letter
from autoletter.letters.domain import decisions
from autoletter.letters.domain.model import OpenLetter
from autoletter.letters.handlers.common import ACCOUNT_LOCK, LettersContext, LettersWork, apply
from autoletter.runtime.uow import Units

_ACCOUNTS_PER_PASS = 500


class LetterNotFound(Exception):
    """No such letter for this account."""


async def cancel_letter(uow: LettersWork, ctx: LettersContext, account_id: str, letter_id: UUID) -> None:
    """Cancel a held letter (raises LetterNotFound, or LetterNotHeld when it is past holding)."""
    await uow.lock(ACCOUNT_LOCK, account_id)
    row = await uow.repos.get_letter(account_id, letter_id)
    if row is None:
        raise LetterNotFound(str(letter_id))
    transition = decisions.cancel(open_letter(row))
    correlations = {row.letter_id: row.correlation_id}
    await apply(uow, ctx, account_id, row.service, [transition], correlations, None, uow.now())


async def expire_account(uow: LettersWork, ctx: LettersContext, account_id: str) -> int:
    """Expire one account's held letters that are past their limit; returns how many."""
    await uow.lock(ACCOUNT_LOCK, account_id)
    now = uow.now()
    rows = await uow.repos.held_letters_due(account_id, now)
    by_service: dict[str, list[OpenLetter]] = {}
    for r in rows:
        by_service.setdefault(r.service, []).append(open_letter(r))
    correlations = {r.letter_id: r.correlation_id for r in rows}
    count = 0
    for service, held in by_service.items():
        transitions = decisions.expire(held, now)
        await apply(uow, ctx, account_id, service, transitions, correlations, None, now)
        count += len(transitions)
    return count


async def expire_held_letters(units: Units[LettersRepository], ctx: LettersContext) -> int:
    """Expire every held letter past its limit (LetterExpired each), one transaction per account;
    returns how many. The expiry job's step (tests call it)."""
    total = 0
    while True:
        async with units.read() as repos:
            accounts = await repos.accounts_with_due_holds(units.clock.now(), limit=_ACCOUNTS_PER_PASS)
        for account_id in accounts:
            async with units.begin() as uow:
                total += await expire_account(uow, ctx, account_id)
        if len(accounts) < _ACCOUNTS_PER_PASS:
            return total
