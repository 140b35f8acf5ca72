"""Entrypoints: HTTP routes, the Stripe webhook, the profile subscription and the event processor."""
