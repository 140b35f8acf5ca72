"""Helpers for the letters tests: tiny real PDFs, requests, status events."""

from __future__ import annotations

import base64
import io
from typing import Any

from pypdf import PdfWriter

from autoletter.contracts import new_event
from autoletter.contracts.common import Service, ServiceStatus
from autoletter.contracts.payments import ServiceStatusChanged, StatusReason


def pdf(pages: int = 1) -> bytes:
    """A valid PDF of blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def recipient(**address: Any) -> dict[str, Any]:
    return {
        "name": "Camille Martin",
        "address": {
            "line1": "12 rue des Lilas",
            "postal_code": "75011",
            "city": "Paris",
            "country": "FR",
            **address,
        },
    }


def letter_body(pages: int = 1, service: str = "standard", **changes: Any) -> dict[str, Any]:
    body = {
        "service": service,
        "recipient": recipient(),
        "document_base64": base64.b64encode(pdf(pages)).decode(),
    }
    body.update(changes)
    return body


def status_changed(
    account_id: str,
    status: ServiceStatus,
    reason: StatusReason,
    *,
    service: Service = Service.STANDARD,
    previous: ServiceStatus = ServiceStatus.INACTIVE,
    missing: list[str] | None = None,
    occurred_at: Any = None,
) -> ServiceStatusChanged:
    from datetime import UTC, datetime

    return new_event(
        ServiceStatusChanged,
        account_id=account_id,
        producer="payments",
        occurred_at=occurred_at or datetime.now(UTC),
        service=service,
        status=status,
        previous_status=previous,
        reason=reason,
        missing=missing,
    )
