"""Adapters of the profile service: its table and the repository over it."""
