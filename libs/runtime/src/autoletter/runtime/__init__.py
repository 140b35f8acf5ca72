"""Shared runtime of the AutoLetter services (settings, database, clock, messaging, observability)."""
