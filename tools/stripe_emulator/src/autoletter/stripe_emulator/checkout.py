"""Checkout Sessions in setup mode and billing-portal sessions, with their hosted pages' actions."""

from __future__ import annotations

from typing import Any

from autoletter.stripe_emulator import accounts, debits
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import invalid
from autoletter.stripe_emulator.objects import build, new_id
from autoletter.stripe_emulator.params import merge_metadata

SESSION_LIFETIME_S = 24 * 3600


def create_session(em: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("mode") != "setup":
        raise invalid("The emulator supports Checkout in setup mode only.", param="mode")
    customer_id = params.get("customer")
    if not customer_id:
        raise invalid("The emulator needs an existing customer for a setup session.", param="customer")
    em.state.get(customer_id, "customer", param="customer")
    if not params.get("success_url"):
        raise invalid("You must provide a success_url.", param="success_url")
    methods = params.get("payment_method_types") or ["card"]
    intent = build(
        "setup_intent",
        id=new_id("seti_"),
        created=em.now(),
        customer=customer_id,
        status="requires_payment_method",
        usage="off_session",
        payment_method_types=methods,
        metadata={},
    )
    intent["client_secret"] = f"{intent['id']}_secret_{new_id('', 24)}"
    em.state.setup_intents[intent["id"]] = intent
    session_id = new_id("cs_test_", 58)
    session = build(
        "checkout.session",
        id=session_id,
        created=em.now(),
        expires_at=em.now() + SESSION_LIFETIME_S,
        mode="setup",
        customer=customer_id,
        success_url=params["success_url"],
        cancel_url=params.get("cancel_url"),
        client_reference_id=params.get("client_reference_id"),
        currency=params.get("currency"),
        metadata=merge_metadata({}, params.get("metadata")),
        payment_method_types=methods,
        payment_status="no_payment_required",
        setup_intent=intent["id"],
        status="open",
        ui_mode="hosted",
        url=em.url(f"/checkout/{session_id}"),
        payment_intent=None,
    )
    em.state.checkout_sessions[session_id] = session
    em.emit("setup_intent.created", intent)
    return session


def complete_session(
    em: Emulator, session_id: str, card_number: str, *, iban: str | None = None
) -> dict[str, Any]:
    """The person entered a test card (or an IBAN and accepted the mandate) and confirmed: method
    saved, intent succeeded (with the mandate for a debit), session complete."""
    session = em.state.get(session_id, "checkout.session")
    if session["status"] != "open":
        raise invalid(f"This Checkout Session is {session['status']}.", code="checkout_session_not_open")
    if iban and "sepa_debit" not in session["payment_method_types"]:
        raise invalid("This Checkout Session does not offer sepa_debit.", param="payment_method_types")
    pm = accounts.new_method(em, card=card_number, iban=iban)
    accounts.attach(em, pm["id"], session["customer"])
    mandate = debits.new_mandate(em, pm["id"])["id"] if iban else None
    intent = em.state.setup_intents[session["setup_intent"]]
    intent.update(status="succeeded", payment_method=pm["id"], latest_attempt=None, mandate=mandate)
    session.update(status="complete", url=None)
    em.emit("setup_intent.succeeded", intent)
    em.emit("checkout.session.completed", session)
    return session


def redirect_after(session: dict[str, Any], *, cancelled: bool) -> str:
    """Where the browser goes next, with {CHECKOUT_SESSION_ID} filled in as Stripe does."""
    target = session["cancel_url"] if cancelled else session["success_url"]
    return str(target or "/").replace("{CHECKOUT_SESSION_ID}", session["id"])


def create_portal_session(em: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = params.get("customer")
    if not customer_id:
        raise invalid("Missing required param: customer.", param="customer")
    em.state.get(customer_id, "customer", param="customer")
    session_id = new_id("bps_")
    session = build(
        "billing_portal.session",
        id=session_id,
        created=em.now(),
        customer=customer_id,
        configuration=new_id("bpc_"),
        flow=None,
        livemode=False,
        return_url=params.get("return_url"),
        url=em.url(f"/portal/{session_id}"),
    )
    em.state.portal_sessions[session_id] = session
    return session
