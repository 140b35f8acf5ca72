"""`autoletter reconcile`: what a person reads, and an unreachable invoicing in one line."""

from __future__ import annotations

import socket

import pytest

from autoletter.cli.main import main
from autoletter.cli.reconcile import describe

REPORT = {
    "period": "2026-10",
    "closed": True,
    "settled": False,
    "unsettled": ["letters"],
    "checked": {"letters": 3, "usage_lines": 2, "invoices": 1},
    "counts": {"letter_without_usage": 1, "invoice_usage_mismatch": 1, "stripe_total_mismatch": 0},
    "differences": [
        {"kind": "letter_without_usage", "account_id": "acc-1", "ref": "L1", "detail": "sent, no usage line"},
        {
            "kind": "invoice_usage_mismatch",
            "account_id": "acc-1",
            "ref": "I1",
            "detail": "usage 1, invoice 2",
        },
    ],
}


def test_each_difference_is_one_line_and_an_unsettled_side_is_named() -> None:
    lines = describe(REPORT)
    assert lines[0] == "reconciliation of 2026-10: 3 letters, 2 usage_lines, 1 invoices"
    assert "letters had messages in flight" in lines[1]
    assert "  letter_without_usage: account acc-1 L1: sent, no usage line" in lines
    assert lines[-1] == "2 difference(s)"
    clean = REPORT | {"settled": True, "differences": [], "counts": {"letter_without_usage": 0}}
    assert describe(clean)[-1] == "no differences"


def test_an_unreachable_invoicing_is_one_line_naming_the_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AUTOLETTER_INVOICING_URL", f"http://127.0.0.1:{port}")
    assert main(["reconcile", "--period", "2026-10"]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and len(err.strip().splitlines()) == 1, err
