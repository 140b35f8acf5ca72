"""Adapters of the letters service: database tables and queries, PDF inspection, the print spool."""
