"""Profile events: the Stripe customer and the account's completeness.

These run inside the runtime's consumer transaction. Creating or updating the Stripe customer there is
deliberate: the call is idempotent (key from the account id, or from the event id for updates), so when
the transaction fails after Stripe answered, the retry gets the same customer back, and the customer id,
the completeness and StripeCustomerCreated commit together or not at all. The price is a transaction
held open for one Stripe round trip per profile event, which these rare events afford.
"""

from __future__ import annotations

from autoletter.contracts import Envelope
from autoletter.contracts.payments import StripeCustomerCreated
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete, ProfileUpdated
from autoletter.payments.adapters.stripe_gateway import CustomerDetails
from autoletter.payments.domain import status
from autoletter.payments.handlers.announcements import with_first_announcements
from autoletter.payments.handlers.common import Context, PaymentsWork, commit_facts


async def on_profile_complete(
    uow: PaymentsWork, ctx: Context, msg: ProfileCompleted | ProfileUpdated
) -> None:
    """First completion creates the customer; every later one keeps it in sync."""
    account = await uow.repos.lock_account(msg.account_id)
    details = CustomerDetails(name=msg.name, email=msg.email, address=msg.address)
    events: list[Envelope] = []
    if account.stripe_customer_id is None:
        customer_id = await ctx.gateway.create_customer(msg.account_id, details)
        await uow.repos.set_stripe_customer(msg.account_id, customer_id, uow.now())
        events.append(uow.caused_by(msg, StripeCustomerCreated, stripe_customer_id=customer_id))
    else:
        await ctx.gateway.update_customer(account.stripe_customer_id, details, key=f"sync:{msg.event_id}")
    before = await uow.repos.load_facts(account)
    after, changed = status.profile_completed(before)
    changed = await with_first_announcements(uow, msg.account_id, before, changed)
    await uow.repos.set_profile_completeness(msg.account_id, True, [], uow.now())
    await commit_facts(uow, msg.account_id, after, changed, msg, *events)


async def on_profile_incomplete(uow: PaymentsWork, msg: ProfileIncomplete) -> None:
    account = await uow.repos.lock_account(msg.account_id)
    before = await uow.repos.load_facts(account)
    after, changed = status.profile_incomplete(before, msg.missing)
    changed = await with_first_announcements(uow, msg.account_id, before, changed)
    await uow.repos.set_profile_completeness(msg.account_id, False, after.missing, uow.now())
    await commit_facts(uow, msg.account_id, after, changed, msg)
