"""Helpers for the letters tests: tiny real PDFs, requests, status events, a handle on the service."""

from __future__ import annotations

import base64
import io
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from pypdf import PdfWriter
from sqlalchemy import text

from autoletter.contracts import Envelope, decode, new_event
from autoletter.contracts.common import Service, ServiceStatus
from autoletter.contracts.letters import SendLetter
from autoletter.contracts.payments import ServiceStatusChanged, StatusReason
from autoletter.runtime.auth import mint_token
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime
from autoletter.runtime.testing import publish, read_events, wait_for


def pdf(pages: int = 1) -> bytes:
    """A valid PDF of blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def large_pdf(size: int) -> bytes:
    """A valid one-page PDF of about `size` bytes (an embedded file of random, incompressible bytes)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("filler.bin", os.urandom(size))
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


def send_letter(account_id: str, command_id: str, **document: str) -> SendLetter:
    """A SendLetter command for the standard service; pass document_base64 or document_ref."""
    return new_event(
        SendLetter,
        account_id=account_id,
        producer="some-platform-service",
        occurred_at=NOW,
        command_id=command_id,
        service="standard",
        recipient=recipient(),
        **document,
    )


SECRET = "letters-tests-secret-0123456789abcdef"
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


@dataclass
class LettersService:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    clock: FrozenClock
    bootstrap: str
    spool: Path

    def topic(self, name: str) -> str:
        return f"{self.runtime.settings.kafka_topic_prefix}{name}"

    def auth(self, account_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(SECRET, account_id, roles=roles)}"}

    async def send(
        self, account_id: str, key: str | None = None, body: Any = None, **changes: Any
    ) -> httpx.Response:
        headers = self.auth(account_id)
        headers["Idempotency-Key"] = key or uuid.uuid4().hex
        return await self.client.post(
            f"/v1/accounts/{account_id}/letters",
            headers=headers,
            json=body if body is not None else letter_body(**changes),
        )

    async def get(self, account_id: str, letter_id: Any) -> dict[str, Any]:
        response = await self.client.get(
            f"/v1/accounts/{account_id}/letters/{letter_id}", headers=self.auth(account_id)
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def upload(
        self, account_id: str, document: bytes, content_type: str = "application/pdf"
    ) -> httpx.Response:
        headers = {**self.auth(account_id), "Content-Type": content_type}
        return await self.client.post(
            f"/v1/accounts/{account_id}/documents", headers=headers, content=document
        )

    async def cancel(self, account_id: str, letter_id: Any) -> httpx.Response:
        return await self.client.post(
            f"/v1/accounts/{account_id}/letters/{letter_id}/cancel", headers=self.auth(account_id)
        )

    async def publish(self, *messages: Envelope) -> None:
        await publish(self.bootstrap, self.topic(messages[0].topic), *messages)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return (await session.execute(text(sql), params)).scalar_one()

    async def consumed(self, event: Envelope, group: str = "letters.service-status") -> None:
        """Wait until the consumer group has processed the event (its inbox row exists)."""

        async def done() -> bool:
            return bool(
                await self.scalar(
                    "SELECT count(*) FROM inbox WHERE consumer = :g AND event_id = :e",
                    g=group,
                    e=event.event_id,
                )
            )

        await wait_for(done, 60, f"{event.event_type} consumed")

    async def wait_status(self, account_id: str, letter_id: Any, status: str) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.get(account_id, letter_id))["status"] == status

        await wait_for(reached, 30, f"letter {letter_id} {status}")
        return await self.get(account_id, letter_id)

    async def staged(self, account_id: str, event_type: str | None = None) -> list[Envelope]:
        """Events the service staged for the account, in commit order (published or not)."""
        async with self.runtime.sessions() as session:
            rows = (
                await session.execute(
                    text("SELECT payload FROM outbox WHERE account_id = :a ORDER BY id"), {"a": account_id}
                )
            ).all()
        events = [decode(r.payload) for r in rows]
        return [e for e in events if event_type is None or e.event_type == event_type]

    async def events(self, account_id: str, count: int) -> list[Envelope]:
        """The account's first `count` events on letters.events, as published by the relay."""
        return (
            await read_events(
                self.bootstrap, self.topic("letters.events"), account_id=account_id, count=count
            )
        )[:count]

    async def letters(self, account_id: str) -> int:
        return int(await self.scalar("SELECT count(*) FROM letters WHERE account_id = :a", a=account_id))

    def spooled(self, letter_id: UUID | str) -> list[Path]:
        return sorted(self.spool.glob(f"*/{letter_id}.json"))
