"""Stripe's webhook signature: `t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<raw body>" keyed by the secret>`."""

from __future__ import annotations

import hashlib
import hmac


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
