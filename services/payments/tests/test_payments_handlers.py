"""Payments' handlers on a fake unit of work, an in-memory repository and a fake Stripe gateway: no
database, no broker, no stripe-mock.

Which events a decision stages (in which flow), what it stores and what it refuses are checked here;
the other test_*.py modules check the same through the real service, PostgreSQL, Kafka and stripe-mock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from payments_fakes import (
    ACCOUNT,
    BERLIN,
    INVOICE_ID,
    NOW,
    FakeStripe,
    context,
    invoice_event,
    ready_account,
    statuses,
    unit,
)

from autoletter.contracts.common import ProfileField, Service, ServiceStatus
from autoletter.contracts.payments import (
    PaymentFailed,
    PaymentSucceeded,
    ServiceStatusChanged,
    StatusReason,
    StripeCustomerCreated,
)
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete
from autoletter.payments.adapters import stripe_events as se
from autoletter.payments.domain.invoices import InvoiceState
from autoletter.payments.domain.status import PrerequisitesMissing
from autoletter.payments.handlers import profile, services, webhooks
from autoletter.payments.handlers.common import stripe_correlation


async def test_a_final_payment_failure_makes_the_service_overdue_in_the_stripe_events_flow() -> None:
    uow, repos = unit()
    ready_account(repos, Service.STANDARD)
    event = invoice_event("evt_final", se.INVOICE_FAILED, attempt_count=4)

    assert await webhooks.process(uow, context(), event) == "invoice_failed"

    failed, changed = uow.staged
    assert isinstance(failed, PaymentFailed)
    assert (failed.final, failed.invoice_id, failed.service) == (True, INVOICE_ID, Service.STANDARD)
    assert (failed.failure_code, failed.attempt_count, failed.next_attempt_at) == ("card_declined", 4, None)
    assert statuses([changed]) == [
        (Service.STANDARD, ServiceStatus.OVERDUE, ServiceStatus.ACTIVE, StatusReason.INVOICE_FAILED)
    ]
    for e in uow.staged:  # one flow: the Stripe event's
        assert e.correlation_id == stripe_correlation("evt_final")
        assert (e.causation_id, e.account_id, e.producer, e.occurred_at) == (None, ACCOUNT, "payments", NOW)
    assert repos.invoices["in_1"].state is InvoiceState.FAILED
    assert repos.services[(ACCOUNT, Service.STANDARD)].status is ServiceStatus.OVERDUE
    assert repos.services[(ACCOUNT, Service.REGISTERED)].status is ServiceStatus.INACTIVE
    assert repos.locked == [ACCOUNT]


async def test_a_redelivered_or_older_invoice_fact_changes_nothing() -> None:
    uow, repos = unit()
    ready_account(repos, Service.STANDARD)
    final = invoice_event("evt_final", se.INVOICE_FAILED, attempt_count=4)
    assert await webhooks.process(uow, context(), final) == "invoice_failed"
    after_first = (list(uow.staged), dict(repos.invoices), dict(repos.services))

    # Stripe redelivers the same event, then an earlier failure with retries left arrives late.
    assert await webhooks.process(uow, context(), final) == "stale"
    older = invoice_event(
        "evt_older",
        se.INVOICE_FAILED,
        attempt_count=2,
        next_attempt=NOW + timedelta(days=3),
        created=NOW - timedelta(days=3),
    )
    assert await webhooks.process(uow, context(), older) == "stale"

    assert (uow.staged, repos.invoices, repos.services) == after_first


async def test_paying_the_failed_invoice_makes_the_service_active_again() -> None:
    uow, repos = unit()
    ready_account(repos, Service.STANDARD)
    await webhooks.process(uow, context(), invoice_event("evt_final", se.INVOICE_FAILED, attempt_count=4))
    uow.staged.clear()

    paid = invoice_event("evt_paid", se.INVOICE_PAID, attempt_count=5)
    assert await webhooks.process(uow, context(), paid) == "invoice_paid"

    succeeded, changed = uow.staged
    assert isinstance(succeeded, PaymentSucceeded) and succeeded.amount_cents == 1900
    assert statuses([changed]) == [
        (Service.STANDARD, ServiceStatus.ACTIVE, ServiceStatus.OVERDUE, StatusReason.INVOICES_SETTLED)
    ]
    assert {e.correlation_id for e in uow.staged} == {stripe_correlation("evt_paid")}


async def test_an_invoice_of_an_unknown_customer_is_ignored() -> None:
    uow, repos = unit()
    stripe = FakeStripe()
    event = invoice_event("evt_other", se.INVOICE_FAILED, attempt_count=4)
    assert await webhooks.process(uow, context(stripe), event) == "ignored_unknown_customer"
    assert (uow.staged, repos.invoices, repos.locked, stripe.calls) == ([], {}, [], [])


async def test_activation_without_prerequisites_stages_nothing() -> None:
    uow, repos = unit()
    with pytest.raises(PrerequisitesMissing) as refused:
        await services.activate(uow, ACCOUNT, Service.STANDARD)
    assert refused.value.missing == ["name", "email", "address", "payment_method"]
    assert uow.staged == []
    assert repos.services == {}


async def test_activation_with_prerequisites_starts_a_flow_of_its_own() -> None:
    uow, repos = unit()
    ready_account(repos)
    assert await services.activate(uow, ACCOUNT, Service.REGISTERED) is ServiceStatus.ACTIVE
    (event,) = uow.staged
    assert statuses([event]) == [
        (Service.REGISTERED, ServiceStatus.ACTIVE, ServiceStatus.INACTIVE, StatusReason.ACTIVATED)
    ]
    assert event.correlation_id == event.event_id and event.causation_id is None
    assert repos.services[(ACCOUNT, Service.REGISTERED)].since == NOW
    assert repos.locked == [ACCOUNT]
    # Activating twice changes nothing.
    assert await services.activate(uow, ACCOUNT, Service.REGISTERED) is ServiceStatus.ACTIVE
    assert len(uow.staged) == 1


async def test_an_incomplete_profile_blocks_active_services_naming_what_is_missing() -> None:
    uow, repos = unit()
    ready_account(repos, Service.STANDARD)
    msg = ProfileIncomplete.create(
        account_id=ACCOUNT,
        producer="profile",
        occurred_at=NOW - timedelta(seconds=1),
        missing=[ProfileField.EMAIL],
    )

    await profile.on_profile_incomplete(uow, msg)

    (event,) = uow.staged  # the registered service is inactive: its status does not move
    assert isinstance(event, ServiceStatusChanged)
    assert statuses([event]) == [
        (Service.STANDARD, ServiceStatus.BLOCKED, ServiceStatus.ACTIVE, StatusReason.PROFILE_INCOMPLETE)
    ]
    assert event.missing == [ProfileField.EMAIL]
    assert (event.correlation_id, event.causation_id) == (msg.correlation_id, msg.event_id)
    assert repos.accounts[ACCOUNT].profile_complete is False
    assert repos.accounts[ACCOUNT].missing == (ProfileField.EMAIL,)
    assert repos.services[(ACCOUNT, Service.STANDARD)].status is ServiceStatus.BLOCKED


async def test_a_first_complete_profile_creates_the_customer_and_announces_both_services() -> None:
    uow, repos = unit()
    stripe = FakeStripe()
    msg = ProfileCompleted.create(
        account_id=ACCOUNT,
        producer="profile",
        occurred_at=NOW - timedelta(seconds=1),
        name="ACME GmbH",
        email="billing@acme.example",
        address=BERLIN,
    )

    await profile.on_profile_complete(uow, context(stripe), msg)

    created, *announced = uow.staged
    assert isinstance(created, StripeCustomerCreated) and created.stripe_customer_id == f"cus_{ACCOUNT}"
    assert statuses(announced) == [
        (s, ServiceStatus.INACTIVE, ServiceStatus.INACTIVE, StatusReason.NOT_ACTIVATED) for s in Service
    ]
    for e in uow.staged:
        assert (e.correlation_id, e.causation_id) == (msg.correlation_id, msg.event_id)
    assert repos.accounts[ACCOUNT].stripe_customer_id == f"cus_{ACCOUNT}"
    assert repos.accounts[ACCOUNT].profile_complete is True
    assert stripe.calls == [("create_customer", ACCOUNT)]

    # The same completion again: the customer is kept in sync, nothing is announced twice.
    uow.staged.clear()
    await profile.on_profile_complete(uow, context(stripe), msg)
    assert uow.staged == []
    assert stripe.calls[-1] == ("update_customer", f"cus_{ACCOUNT}")
