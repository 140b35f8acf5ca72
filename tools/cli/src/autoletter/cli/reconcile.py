"""`autoletter reconcile --period YYYY-MM`: invoicing compares every side of the period now and the
differences are printed, one per line. Exit 0 when there are none, 1 when some were found."""

from __future__ import annotations

from typing import Any

from autoletter.cli.ops import call

COMPARISON_TIMEOUT_S = 900.0


def describe(report: dict[str, Any]) -> list[str]:
    """The lines a person reads: what was checked, whether every side was settled, each difference."""
    checked = ", ".join(f"{n} {what}" for what, n in report["checked"].items())
    lines = [f"reconciliation of {report['period']}: {checked}"]
    if not report.get("closed", True):
        lines.append("  note: the period has not been closed (no completed billing run)")
    if not report["settled"]:
        lines.append(
            f"  note: not settled ({', '.join(report['unsettled'])} had messages in flight): "
            "differences may be delays; run it again"
        )
    for d in report["differences"]:
        account = f" account {d['account_id']}" if d["account_id"] else ""
        lines.append(f"  {d['kind']}:{account} {d['ref']}: {d['detail']}")
    total = sum(report["counts"].values())
    shown = len(report["differences"])
    more = f" ({total - shown} more not shown)" if total > shown else ""
    lines.append(f"{total} difference(s){more}" if total else "no differences")
    return lines


async def run(period: str) -> int:
    # A month of many invoices takes minutes: one Stripe request per invoice, within the budget.
    body = {"period": period}
    report = await call(
        "invoicing", "POST", "/v1/ops/reconciliations", json=body, timeout=COMPARISON_TIMEOUT_S
    )
    print("\n".join(describe(report)))
    return 1 if sum(report["counts"].values()) else 0
