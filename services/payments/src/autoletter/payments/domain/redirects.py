"""Where Stripe may send the customer back to: allow-listed hosts only, so our hosted pages can never
be turned into an open redirect."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class RedirectNotAllowed(ValueError):
    """A return URL that is malformed or points outside the allow-list."""


def check_redirect(url: str, allowed_hosts: Collection[str]) -> str:
    """The URL unchanged when it is absolute, https (http only on loopback) and on an allowed host."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise RedirectNotAllowed("not a valid URL") from exc
    if parts.scheme not in ("https", "http") or not host:
        raise RedirectNotAllowed("must be an absolute http(s) URL")
    if parts.scheme == "http" and host not in _LOOPBACK:
        raise RedirectNotAllowed("must use https")
    if parts.username or parts.password:
        raise RedirectNotAllowed("must not carry credentials")
    if host not in {h.lower() for h in allowed_hosts}:
        raise RedirectNotAllowed(f"host {host} is not allowed")
    return url
