"""Pure letter decisions: no database, broker or HTTP in here."""
