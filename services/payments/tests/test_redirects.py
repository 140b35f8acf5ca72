"""Return URLs of hosted pages: allow-listed hosts only."""

from __future__ import annotations

import pytest

from autoletter.payments.domain.redirects import RedirectNotAllowed, check_redirect

ALLOWED = ["app.autoletter.example", "localhost"]


@pytest.mark.parametrize(
    "url",
    [
        "https://app.autoletter.example/billing?ok=1",
        "http://localhost:3000/billing",
        "https://APP.autoletter.example/x",
    ],
)
def test_allowed_return_urls_pass_unchanged(url: str) -> None:
    assert check_redirect(url, ALLOWED) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/phish",
        "http://app.autoletter.example/billing",  # plain http outside loopback
        "https://app.autoletter.example.evil.example/",
        "https://user:pw@app.autoletter.example/",
        "javascript:alert(1)",
        "//app.autoletter.example/x",
        "/billing",
        "https://app.autoletter.example:99999/",
    ],
)
def test_other_return_urls_are_refused(url: str) -> None:
    with pytest.raises(RedirectNotAllowed):
        check_redirect(url, ALLOWED)
