"""A stateful stand-in for Stripe on loopback: the services talk to it through stripe-python.

Dev and test tooling only; see tools/stripe_emulator/README.md for what of Stripe it covers.
"""

from autoletter.stripe_emulator.app import create_app
from autoletter.stripe_emulator.config import EmulatorConfig, WebhookTarget

__all__ = ["EmulatorConfig", "WebhookTarget", "create_app"]
