"""LetterSent → one priced usage line; StripeCustomerCreated → the account's customer id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import StripeCustomerCreated
from autoletter.invoicing.adapters import ledger_repo
from autoletter.invoicing.adapters.prices_repo import PriceBook
from autoletter.invoicing.domain.lines import price_usage
from autoletter.invoicing.domain.pricing import NoPriceInForce
from autoletter.runtime.consumer import Handler, PoisonMessage


def record_usage(prices: PriceBook) -> Handler:
    """The handler of LetterSent: price the letter at its sent_at and stage its usage line."""

    async def on_letter_sent(session: AsyncSession, event: LetterSent) -> None:
        price_list = await prices.get(session)
        try:
            usage = price_usage(
                price_list,
                letter_id=event.letter_id,
                service=event.service,
                sent_at=event.sent_at,
                sheets=event.sheets,
            )
            currency = price_list.in_force(event.service, event.sent_at).currency
        except NoPriceInForce as exc:
            # Retrying cannot help: the price list must be fixed, then the dead letter replayed.
            raise PoisonMessage(str(exc)) from exc
        ledger_repo.stage_usage(
            session, usage, account_id=event.account_id, event_id=event.event_id, currency=currency
        )

    return on_letter_sent


async def remember_customer(session: AsyncSession, event: StripeCustomerCreated) -> None:
    """Invoices are created for the Stripe customer payments created for the account."""
    await ledger_repo.save_customer(session, event.account_id, event.stripe_customer_id, event.occurred_at)
