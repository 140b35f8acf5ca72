"""LetterSent → one priced usage line; StripeCustomerCreated → the account's customer id."""

from __future__ import annotations

from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import StripeCustomerCreated
from autoletter.invoicing import metrics
from autoletter.invoicing.adapters.repository import UsageEntry
from autoletter.invoicing.domain.lines import usage_at
from autoletter.invoicing.domain.pricing import NoPriceInForce
from autoletter.invoicing.handlers.issue import InvoicingWork
from autoletter.runtime.consumer import PoisonMessage


async def record_usage(uow: InvoicingWork, events: list[LetterSent]) -> None:
    """The batch handler of LetterSent: price each letter at its sent_at, write all lines at once.

    The consumer hands over every new LetterSent of a batch (up to ``usage_batch_size``) inside the
    batch's transaction, so a batch of 500 letters is one insert next to its inbox rows.
    """
    price_list = await uow.repos.price_list()
    entries = []
    for event in events:
        try:
            price = price_list.in_force(event.service, event.sent_at)
        except NoPriceInForce as exc:
            # Retrying cannot help: the price list must be fixed, then the dead letter replayed.
            # (In a batch, the runtime retries message by message, so only this one goes.)
            raise PoisonMessage(str(exc)) from exc
        usage = usage_at(price, letter_id=event.letter_id, sent_at=event.sent_at, sheets=event.sheets)
        entries.append(UsageEntry(usage, event.account_id, event.event_id, price.currency))
    written = await uow.repos.add_usage(entries)
    for service, n in written.items():
        # Counted before commit: a batch that then fails to commit is counted again on retry.
        metrics.USAGE_LINES_RECORDED.labels(service).inc(n)


async def remember_customer(uow: InvoicingWork, event: StripeCustomerCreated) -> None:
    """Invoices are created for the Stripe customer payments created for the account."""
    await uow.repos.save_customer(event.account_id, event.stripe_customer_id, event.occurred_at)
