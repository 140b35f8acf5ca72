"""The derived service status of DESIGN §5 and the changes it publishes.

A service's status is never set by hand: it is derived from three facts (the customer's switch, the
service's invoices that failed for good and are still unpaid, and the prerequisites). Every cause of a
change of those facts goes through `apply`, which returns the new facts and the status changes it caused,
each with the reason code of DESIGN §3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from autoletter.contracts.common import ProfileField, Service, ServiceStatus
from autoletter.contracts.payments import StatusReason

#: What the 409s name when a payment method is what is missing.
PAYMENT_METHOD = "payment_method"
ALL_PROFILE_FIELDS: tuple[ProfileField, ...] = (ProfileField.NAME, ProfileField.EMAIL, ProfileField.ADDRESS)


def derive_status(*, activated: bool, unpaid_final_invoices: int, prerequisites_met: bool) -> ServiceStatus:
    """The table of DESIGN §5, row by row."""
    if not activated:
        return ServiceStatus.INACTIVE
    if unpaid_final_invoices > 0:
        return ServiceStatus.OVERDUE
    if not prerequisites_met:
        return ServiceStatus.BLOCKED
    return ServiceStatus.ACTIVE


def _no_debts() -> Mapping[Service, int]:
    return MappingProxyType({})


@dataclass(frozen=True)
class AccountFacts:
    """Everything one account's two statuses are derived from."""

    profile_complete: bool = False
    missing: tuple[ProfileField, ...] = ALL_PROFILE_FIELDS
    has_default_payment_method: bool = False
    activated: frozenset[Service] = frozenset()
    #: Per service: invoices that failed for good and are neither paid nor voided.
    unpaid_final: Mapping[Service, int] = field(default_factory=_no_debts)

    @property
    def prerequisites_met(self) -> bool:
        return self.profile_complete and self.has_default_payment_method

    def missing_prerequisites(self) -> list[str]:
        """Profile fields first, then the payment method; empty when activation may proceed."""
        out: list[str] = (
            [] if self.profile_complete else [f.value for f in (self.missing or ALL_PROFILE_FIELDS)]
        )
        if not self.has_default_payment_method:
            out.append(PAYMENT_METHOD)
        return out

    def status(self, service: Service) -> ServiceStatus:
        return derive_status(
            activated=service in self.activated,
            unpaid_final_invoices=self.unpaid_final.get(service, 0),
            prerequisites_met=self.prerequisites_met,
        )

    def with_debt(self, service: Service, count: int) -> AccountFacts:
        debts = dict(self.unpaid_final)
        debts[service] = max(count, 0)
        return replace(self, unpaid_final=MappingProxyType(debts))


@dataclass(frozen=True)
class StatusChange:
    """One service's derived status moved; becomes a ServiceStatusChanged."""

    service: Service
    status: ServiceStatus
    previous_status: ServiceStatus
    reason: StatusReason
    missing: tuple[ProfileField, ...] | None = None


def changes(
    before: AccountFacts,
    after: AccountFacts,
    reason: StatusReason,
    services: Iterable[Service] = tuple(Service),
) -> list[StatusChange]:
    """The status changes between two sets of facts, for the services the cause concerns."""
    out = []
    for service in services:
        old, new = before.status(service), after.status(service)
        if old != new:
            missing = after.missing if reason is StatusReason.PROFILE_INCOMPLETE else None
            out.append(StatusChange(service, new, old, reason, missing))
    return out


def first_announcements(
    facts: AccountFacts, announced: Iterable[Service], changed: Iterable[StatusChange] = ()
) -> list[StatusChange]:
    """Every service has a status from the start: one never announced and not changing now is
    announced `inactive` (reason not_activated) once, so letters can refuse its letters at once."""
    skip = set(announced) | {c.service for c in changed}
    return [
        StatusChange(service, ServiceStatus.INACTIVE, ServiceStatus.INACTIVE, StatusReason.NOT_ACTIVATED)
        for service in Service
        if service not in skip and facts.status(service) is ServiceStatus.INACTIVE
    ]


class PrerequisitesMissing(Exception):
    """Activation refused: names what is missing (profile fields, payment_method)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("missing prerequisites: " + ", ".join(missing))
        self.missing = missing


# --- The causes. Each returns the new facts and the changes they cause. ---


def activate(facts: AccountFacts, service: Service) -> tuple[AccountFacts, list[StatusChange]]:
    """The customer switches a service on; refused while prerequisites are missing."""
    missing = facts.missing_prerequisites()
    if missing:
        raise PrerequisitesMissing(missing)
    after = replace(facts, activated=facts.activated | {service})
    return after, changes(facts, after, StatusReason.ACTIVATED, [service])


def deactivate(facts: AccountFacts, service: Service) -> tuple[AccountFacts, list[StatusChange]]:
    """The customer switches a service off; its debt stays."""
    after = replace(facts, activated=facts.activated - {service})
    return after, changes(facts, after, StatusReason.DEACTIVATED, [service])


def profile_completed(facts: AccountFacts) -> tuple[AccountFacts, list[StatusChange]]:
    after = replace(facts, profile_complete=True, missing=())
    return after, changes(facts, after, StatusReason.PROFILE_COMPLETED)


def profile_incomplete(
    facts: AccountFacts, missing: Iterable[ProfileField]
) -> tuple[AccountFacts, list[StatusChange]]:
    ordered = tuple(f for f in ALL_PROFILE_FIELDS if f in set(missing))
    after = replace(facts, profile_complete=False, missing=ordered or ALL_PROFILE_FIELDS)
    return after, changes(facts, after, StatusReason.PROFILE_INCOMPLETE)


def default_payment_method_set(facts: AccountFacts, present: bool) -> tuple[AccountFacts, list[StatusChange]]:
    """A default payment method arrived (present) or none is left."""
    after = replace(facts, has_default_payment_method=present)
    reason = StatusReason.PAYMENT_METHOD_ADDED if present else StatusReason.NO_PAYMENT_METHOD
    return after, changes(facts, after, reason)


def unpaid_invoices_counted(
    facts: AccountFacts, service: Service, count: int, reason_if_more: StatusReason | None = None
) -> tuple[AccountFacts, list[StatusChange]]:
    """The number of one service's unpaid failed-for-good invoices changed (a lost dispute counts as
    one, with reason payment_disputed)."""
    before_count = facts.unpaid_final.get(service, 0)
    after = facts.with_debt(service, count)
    more = reason_if_more or StatusReason.INVOICE_FAILED
    reason = more if count > before_count else StatusReason.INVOICES_SETTLED
    return after, changes(facts, after, reason, [service])
