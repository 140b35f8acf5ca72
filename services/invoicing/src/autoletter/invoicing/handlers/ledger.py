"""LetterSent → one priced usage line; StripeCustomerCreated → the account's customer id."""

from __future__ import annotations

from typing import Any

from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import StripeCustomerCreated
from autoletter.invoicing import metrics
from autoletter.invoicing.adapters import ledger_repo
from autoletter.invoicing.adapters.prices_repo import PriceBook
from autoletter.invoicing.domain.lines import price_usage
from autoletter.invoicing.domain.pricing import NoPriceInForce
from autoletter.runtime.consumer import BatchHandler, PoisonMessage
from autoletter.runtime.uow import SqlUnitOfWork


def record_usage(prices: PriceBook) -> BatchHandler:
    """The batch handler of LetterSent: price each letter at its sent_at, write all lines at once.

    The consumer hands over every new LetterSent of a batch (up to ``usage_batch_size``) inside the
    batch's transaction, so a batch of 500 letters is one insert next to its inbox rows.
    """

    async def on_letters_sent(uow: SqlUnitOfWork[Any], events: list[LetterSent]) -> None:
        session = uow.session
        price_list = await prices.get(session)
        rows = []
        for event in events:
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
                # (In a batch, the runtime retries message by message, so only this one goes.)
                raise PoisonMessage(str(exc)) from exc
            rows.append(
                ledger_repo.usage_row(
                    usage, account_id=event.account_id, event_id=event.event_id, currency=currency
                )
            )
        written = await ledger_repo.insert_usage(session, rows)
        for service, n in written.items():
            # Counted before commit: a batch that then fails to commit is counted again on retry.
            metrics.USAGE_LINES_RECORDED.labels(service).inc(n)

    return on_letters_sent


async def remember_customer(uow: SqlUnitOfWork[Any], event: StripeCustomerCreated) -> None:
    """Invoices are created for the Stripe customer payments created for the account."""
    await ledger_repo.save_customer(
        uow.session, event.account_id, event.stripe_customer_id, event.occurred_at
    )
