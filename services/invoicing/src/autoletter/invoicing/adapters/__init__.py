"""Adapters: the database tables and queries, the price file, Stripe."""
