"""The derived status of DESIGN §5, checked against the table for any sequence of facts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoletter.contracts.common import ProfileField, Service, ServiceStatus
from autoletter.contracts.payments import StatusReason
from autoletter.payments.domain import status as domain
from autoletter.payments.domain.status import AccountFacts, PrerequisitesMissing, derive_status

ANY = None
#: DESIGN §5, row by row: (activated, unpaid failed-for-good >= 1, prerequisites met) -> status.
TABLE = [
    (False, ANY, ANY, ServiceStatus.INACTIVE),
    (True, True, ANY, ServiceStatus.OVERDUE),
    (True, False, False, ServiceStatus.BLOCKED),
    (True, False, True, ServiceStatus.ACTIVE),
]


def table_status(activated: bool, debt: int, prerequisites: bool) -> ServiceStatus:
    matches = [
        row[3]
        for row in TABLE
        if row[0] == activated
        and (row[1] is ANY or row[1] == (debt >= 1))
        and (row[2] is ANY or row[2] == prerequisites)
    ]
    assert len(matches) == 1, "the table has exactly one row for every combination"
    return matches[0]


services = st.sampled_from(list(Service))
steps = st.one_of(
    st.tuples(st.just("activate"), services),
    st.tuples(st.just("deactivate"), services),
    st.tuples(st.just("profile_completed")),
    st.tuples(st.just("profile_incomplete"), st.sets(st.sampled_from(list(ProfileField)), min_size=1)),
    st.tuples(st.just("default_payment_method"), st.booleans()),
    st.tuples(st.just("unpaid_invoices"), services, st.integers(min_value=0, max_value=3)),
)


class Model:
    """The facts kept the plainest possible way, independent of the domain code."""

    def __init__(self) -> None:
        self.activated: set[Service] = set()
        self.debt = {s: 0 for s in Service}
        self.complete = False
        self.method = False

    def status(self, service: Service) -> ServiceStatus:
        return table_status(service in self.activated, self.debt[service], self.complete and self.method)


def run(facts: AccountFacts, model: Model, step: tuple) -> tuple[AccountFacts, list[domain.StatusChange]]:
    kind = step[0]
    if kind == "activate":
        if not (model.complete and model.method):
            with pytest.raises(PrerequisitesMissing):
                domain.activate(facts, step[1])
            return facts, []
        model.activated.add(step[1])
        return domain.activate(facts, step[1])
    if kind == "deactivate":
        model.activated.discard(step[1])
        return domain.deactivate(facts, step[1])
    if kind == "profile_completed":
        model.complete = True
        return domain.profile_completed(facts)
    if kind == "profile_incomplete":
        model.complete = False
        return domain.profile_incomplete(facts, step[1])
    if kind == "default_payment_method":
        model.method = step[1]
        return domain.default_payment_method_set(facts, step[1])
    model.debt[step[1]] = step[2]
    return domain.unpaid_invoices_counted(facts, step[1], step[2])


REASONS = {
    "activate": {StatusReason.ACTIVATED},
    "deactivate": {StatusReason.DEACTIVATED},
    "profile_completed": {StatusReason.PROFILE_COMPLETED},
    "profile_incomplete": {StatusReason.PROFILE_INCOMPLETE},
    "default_payment_method": {StatusReason.PAYMENT_METHOD_ADDED, StatusReason.NO_PAYMENT_METHOD},
    "unpaid_invoices": {StatusReason.INVOICE_FAILED, StatusReason.INVOICES_SETTLED},
}


@settings(max_examples=400, deadline=None)
@given(st.lists(steps, max_size=40))
def test_status_follows_the_design_table_for_any_sequence_of_facts(sequence: list[tuple]) -> None:
    facts, model = AccountFacts(), Model()
    for step in sequence:
        before = {s: model.status(s) for s in Service}
        facts, changed = run(facts, model, step)
        after = {s: model.status(s) for s in Service}
        for service in Service:
            assert facts.status(service) == after[service]
        # One ServiceStatusChanged per service whose status moved, none for the others.
        assert {c.service for c in changed} == {s for s in Service if before[s] != after[s]}
        for change in changed:
            assert change.previous_status == before[change.service]
            assert change.status == after[change.service]
            assert change.reason in REASONS[step[0]]
            if change.reason is StatusReason.PROFILE_INCOMPLETE:
                assert change.missing and set(change.missing) == set(step[1])
            else:
                assert change.missing is None


@given(st.booleans(), st.integers(min_value=0, max_value=5), st.booleans())
def test_derive_status_is_the_table(activated: bool, debt: int, prerequisites: bool) -> None:
    assert derive_status(
        activated=activated, unpaid_final_invoices=debt, prerequisites_met=prerequisites
    ) == table_status(activated, debt, prerequisites)


def test_a_failure_of_one_service_never_touches_the_other() -> None:
    facts = AccountFacts(profile_complete=True, missing=(), has_default_payment_method=True)
    facts, _ = domain.activate(facts, Service.STANDARD)
    facts, _ = domain.activate(facts, Service.REGISTERED)
    facts, changed = domain.unpaid_invoices_counted(facts, Service.STANDARD, 1)
    assert [(c.service, c.status, c.reason) for c in changed] == [
        (Service.STANDARD, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    ]
    assert facts.status(Service.REGISTERED) is ServiceStatus.ACTIVE


def test_debt_survives_deactivation() -> None:
    facts = AccountFacts(profile_complete=True, missing=(), has_default_payment_method=True)
    facts, _ = domain.activate(facts, Service.STANDARD)
    facts, _ = domain.unpaid_invoices_counted(facts, Service.STANDARD, 1)
    facts, changed = domain.deactivate(facts, Service.STANDARD)
    assert changed[0].status is ServiceStatus.INACTIVE
    facts, changed = domain.activate(facts, Service.STANDARD)
    assert (changed[0].status, changed[0].reason) == (ServiceStatus.OVERDUE, StatusReason.ACTIVATED)


def test_activation_names_every_missing_prerequisite() -> None:
    facts = AccountFacts(profile_complete=False, missing=(ProfileField.EMAIL, ProfileField.ADDRESS))
    with pytest.raises(PrerequisitesMissing) as refused:
        domain.activate(facts, Service.REGISTERED)
    assert refused.value.missing == ["email", "address", "payment_method"]
