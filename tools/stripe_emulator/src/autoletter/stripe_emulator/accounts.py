"""Customers and their payment methods (attach, detach, the default for invoices)."""

from __future__ import annotations

import copy
from typing import Any

from autoletter.stripe_emulator import debits
from autoletter.stripe_emulator.cards import EXP_MONTH, EXP_YEAR, card_for
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import invalid
from autoletter.stripe_emulator.ibans import iban_for
from autoletter.stripe_emulator.objects import build, empty_list, new_id
from autoletter.stripe_emulator.params import as_int, merge_metadata

_PLAIN_FIELDS = ("name", "email", "phone", "description", "address", "shipping", "preferred_locales")


def create_customer(em: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    customer = build(
        "customer",
        id=new_id("cus_", 14),
        created=em.now(),
        metadata=merge_metadata({}, params.get("metadata")),
        invoice_prefix=new_id("", 8).upper(),
        next_invoice_sequence=1,
        delinquent=False,
        tax_exempt="none",
        preferred_locales=[],
    )
    _apply(em, customer, params)
    em.state.customers[customer["id"]] = customer
    em.emit("customer.created", customer)
    return customer


def update_customer(em: Emulator, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
    customer = em.state.get(customer_id, "customer")
    before = copy.deepcopy(customer)
    _apply(em, customer, params)
    if "metadata" in params:
        customer["metadata"] = merge_metadata(customer["metadata"], params["metadata"])
    previous = _previous_attributes(before, customer)
    if previous:
        em.emit("customer.updated", customer, previous)
    return customer


def _apply(em: Emulator, customer: dict[str, Any], params: dict[str, Any]) -> None:
    for name in _PLAIN_FIELDS:
        if name in params:
            customer[name] = None if params[name] == "" else params[name]
    if isinstance(customer.get("address"), dict):
        keys = ("city", "country", "line1", "line2", "postal_code", "state")
        customer["address"] = {k: customer["address"].get(k) for k in keys}
    if "balance" in params:
        customer["balance"] = as_int(params["balance"], param="balance")
    settings = params.get("invoice_settings")
    if isinstance(settings, dict) and "default_payment_method" in settings:
        pm_id = settings["default_payment_method"] or None
        if pm_id is not None:
            pm = em.state.get(pm_id, "PaymentMethod", param="invoice_settings[default_payment_method]")
            if pm["customer"] != customer["id"]:
                raise invalid(
                    f"The customer does not have a payment method with the ID {pm_id}. The payment method "
                    "must be attached to the customer.",
                    param="invoice_settings[default_payment_method]",
                    code="resource_missing",
                )
        customer["invoice_settings"]["default_payment_method"] = pm_id


def _previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's previous_attributes: changed top-level fields; for nested objects, the changed keys."""
    previous: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and key != "metadata":
            previous[key] = {k: v for k, v in old.items() if new.get(k) != v}
        else:
            previous[key] = old
    return previous


def default_method(em: Emulator, customer_id: str) -> str | None:
    customer = em.state.get(customer_id, "customer")
    return customer["invoice_settings"]["default_payment_method"]  # type: ignore[no-any-return]


def new_card(em: Emulator, number: str) -> dict[str, Any]:
    """A card payment method from a test card; only brand, last4 and expiry are kept."""
    card = card_for(number)
    pm = build(
        "payment_method",
        id=new_id("pm_"),
        created=em.now(),
        type="card",
        metadata={},
        customer=None,
        allow_redisplay="always",
    )
    pm["card"].update(
        brand="visa",
        display_brand="visa",
        country="US",
        exp_month=EXP_MONTH,
        exp_year=EXP_YEAR,
        last4=card.last4,
        funding="credit",
        fingerprint=new_id("", 16),
    )
    em.state.payment_methods[pm["id"]] = pm
    em.state.behaviours[pm["id"]] = card.behaviour
    return pm


def new_sepa_debit(em: Emulator, iban: str) -> dict[str, Any]:
    """A sepa_debit payment method from a test IBAN; only last 4, bank code and country are kept."""
    test_iban = iban_for(iban)
    pm = build(
        "payment_method",
        id=new_id("pm_"),
        created=em.now(),
        type="sepa_debit",
        metadata={},
        customer=None,
        allow_redisplay="always",
    )
    pm.pop("card", None)  # Stripe's object carries only its own type's details
    pm["sepa_debit"] = {
        "bank_code": test_iban.bank_code,
        "branch_code": "",
        "country": test_iban.country,
        "fingerprint": new_id("", 16),
        "generated_from": {"charge": None, "setup_attempt": None},
        "last4": test_iban.last4,
    }
    em.state.payment_methods[pm["id"]] = pm
    em.state.behaviours[pm["id"]] = test_iban.behaviour
    return pm


def new_method(em: Emulator, *, card: str | None = None, iban: str | None = None) -> dict[str, Any]:
    """A card or, when an IBAN is given, a SEPA Direct Debit method."""
    return new_sepa_debit(em, iban) if iban else new_card(em, card or "")


def attach(em: Emulator, pm_id: str, customer_id: str) -> dict[str, Any]:
    pm = em.state.get(pm_id, "PaymentMethod")
    em.state.get(customer_id, "customer", param="customer")
    if pm["customer"] == customer_id:
        return pm
    if pm["customer"] is not None or pm_id in em.state.detached:
        raise invalid(
            "This PaymentMethod was previously used without being attached to a Customer or was detached "
            "from a Customer, and may not be used again.",
            param="payment_method",
        )
    pm["customer"] = customer_id
    em.emit("payment_method.attached", pm)
    return pm


def detach(em: Emulator, pm_id: str) -> dict[str, Any]:
    pm = em.state.get(pm_id, "PaymentMethod")
    customer_id = pm["customer"]
    if customer_id is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            param="payment_method",
        )
    if default_method(em, customer_id) == pm_id:
        update_customer(em, customer_id, {"invoice_settings": {"default_payment_method": ""}})
    pm["customer"] = None
    em.state.detached.add(pm_id)
    em.emit("payment_method.detached", pm, {"customer": customer_id})
    return pm


def list_methods(em: Emulator, customer_id: str, params: dict[str, Any], url: str) -> dict[str, Any]:
    em.state.get(customer_id, "customer", param="customer")
    kind = params.get("type")
    methods = [
        pm
        for pm in em.state.payment_methods.values()
        if pm["customer"] == customer_id and (not kind or pm["type"] == kind)
    ]
    methods.sort(key=lambda pm: pm["created"], reverse=True)
    return empty_list(url, [copy.deepcopy(pm) for pm in methods])


def add_card_to_customer(
    em: Emulator, customer_id: str, number: str, *, make_default: bool, iban: str | None = None
) -> dict[str, Any]:
    """What the portal does: a new card (or IBAN, with its mandate), attached, made the default."""
    em.state.get(customer_id, "customer")
    pm = attach(em, new_method(em, card=number, iban=iban)["id"], customer_id)
    if iban:
        debits.new_mandate(em, pm["id"])
    if make_default:
        update_customer(em, customer_id, {"invoice_settings": {"default_payment_method": pm["id"]}})
    return pm
