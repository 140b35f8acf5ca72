"""Entrypoints: HTTP routes and Kafka handlers translate, validate and call the service layer."""
