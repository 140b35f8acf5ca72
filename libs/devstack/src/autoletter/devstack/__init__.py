"""Starts the real servers on one machine: Apache Kafka (KRaft), PostgreSQL, stripe-mock, Tansu."""
