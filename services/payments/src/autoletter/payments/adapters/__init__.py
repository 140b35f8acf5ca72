"""Adapters: the database, Stripe, and Stripe's webhook payload shapes."""
