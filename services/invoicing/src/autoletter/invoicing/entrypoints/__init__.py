"""Entrypoints: HTTP routes, Kafka subscriptions and background jobs. They translate, nothing more."""
