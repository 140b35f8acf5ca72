"""Recovery invoices: what a lost dispute makes owed again, billed anew (DESIGN §5)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

#: The one line of a recovery invoice (its key in the Stripe line's metadata).
LINE_KEY = "recovery"


def recovery_invoice_id(dispute_id: str) -> UUID:
    """Our id of the dispute's recovery invoice: derived, so every retry and resume names the same one."""
    return uuid5(NAMESPACE_URL, f"autoletter:recovery-invoice:{dispute_id}")


def stripe_key(dispute_id: str) -> str:
    return f"invoicing-recovery:{dispute_id}"
