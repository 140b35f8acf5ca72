"""Entrypoints of the profile service: its HTTP routes."""
