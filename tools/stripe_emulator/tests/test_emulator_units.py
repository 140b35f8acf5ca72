"""Pure parts: Stripe's form encoding, the signature scheme, card behaviours."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import stripe

from autoletter.stripe_emulator import __main__ as cli
from autoletter.stripe_emulator.cards import card_for, charge
from autoletter.stripe_emulator.errors import StripeError
from autoletter.stripe_emulator.params import merge_metadata, parse
from autoletter.stripe_emulator.signing import signature_header


def test_bracket_encoding_becomes_nested_dicts_and_lists() -> None:
    raw = "a[b][c]=1&expand[0]=x&expand[1]=y&lines[0][amount]=5&lines[1][amount]=6&lines[0][description]=d&e="
    assert parse(raw) == {
        "a": {"b": {"c": "1"}},
        "expand": ["x", "y"],
        "lines": [{"amount": "5", "description": "d"}, {"amount": "6"}],
        "e": "",
    }
    assert parse("expand[]=setup_intent&expand[]=customer") == {"expand": ["setup_intent", "customer"]}


def test_metadata_updates_merge_and_empty_values_delete() -> None:
    assert merge_metadata({"a": "1", "b": "2"}, {"b": "", "c": "3"}) == {"a": "1", "c": "3"}
    assert merge_metadata({"a": "1"}, "") == {}


def test_signature_verifies_with_stripe_python() -> None:
    payload = json.dumps(
        {"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}}
    ).encode()
    header = signature_header(payload, "whsec_abc", int(time.time()))
    assert stripe.Webhook.construct_event(payload, header, "whsec_abc").type == "invoice.paid"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload, signature_header(payload, "whsec_abc", int(time.time()) - 600), "whsec_abc"
        )


def test_test_cards_behave_like_stripes() -> None:
    assert charge(card_for("4242 4242 4242 4242").behaviour).succeeded
    declined = charge(card_for("4000000000000341").behaviour)
    assert declined.error is not None and declined.error["code"] == "card_declined"
    assert charge(card_for("4000002760003184").behaviour).needs_action
    with pytest.raises(StripeError) as err:
        card_for("4111111111111111")
    assert err.value.status == 402 and err.value.body["code"] == "incorrect_number"


def test_command_line_configures_webhooks_retries_and_stripe_mock() -> None:
    config, host, port = cli.parse(
        ["--port", "12999", "--webhook-url", "http://127.0.0.1:8002/v1/stripe/webhook",
         "--webhook-secret", "whsec_cli", "--stripe-mock", "http://127.0.0.1:12111",
         "--retry-days", "2,5", "--mark-uncollectible"]
    )  # fmt: skip
    assert (host, port) == ("127.0.0.1", 12999)
    assert config.webhooks[0].url.endswith("/v1/stripe/webhook") and config.webhooks[0].secret == "whsec_cli"
    assert config.stripe_mock == "http://127.0.0.1:12111"
    assert config.retry_schedule == (timedelta(days=2), timedelta(days=5))
    assert config.after_final_failure == "mark_uncollectible"
    assert config.public_url == "http://127.0.0.1:12999"
