"""The reconciliation run at the end of a journey (DESIGN §5): invoicing compares letters, the usage
ledger, our invoices, payments and Stripe for a closed period, once every side is settled."""

from __future__ import annotations

from typing import Any

from system import System, body

from autoletter.runtime.testing import wait_for


async def reconcile(system: System, period: str, timeout: float = 60) -> dict[str, Any]:
    """The report of a comparison made once no side had messages in flight (lag refreshes each second)."""
    report: dict[str, Any] = {}
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:

        async def settled() -> bool:
            nonlocal report
            response = await invoicing.post("/v1/ops/reconciliations", json={"period": period})
            assert response.status_code == 200, response.text
            report = body(response)
            return bool(report["settled"])

        await wait_for(settled, timeout, f"a settled reconciliation of {period}")
    return report


async def assert_reconciled(system: System, period: str) -> dict[str, Any]:
    """Every sent letter has one usage line, every invoice adds up and its state matches Stripe's."""
    report = await reconcile(system, period)
    assert report["differences"] == [], report
    assert report["closed"] is True, report
    return report
