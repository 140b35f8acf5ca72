"""letters' consumer registry: service statuses from payments.events, SendLetter from letters.requests."""

from __future__ import annotations

from pydantic import ValidationError

from autoletter.contracts import CONSUMER_GROUPS
from autoletter.contracts.letters import SendLetter
from autoletter.contracts.payments import ServiceStatusChanged
from autoletter.letters.adapters.pdf import InvalidDocument
from autoletter.letters.handlers.common import LettersContext, LettersWork
from autoletter.letters.handlers.requests import (
    DocumentTooLarge,
    LetterRequest,
    RecipientIn,
    by_reference,
    decode_document,
    prepare,
)
from autoletter.letters.handlers.status import on_service_status_changed
from autoletter.letters.handlers.submission import IdempotencyKeyReused, submit_letter
from autoletter.runtime.consumer import PoisonMessage, Subscription
from autoletter.runtime.registry import on, subscribe

STATUS = CONSUMER_GROUPS["letters.service-status"]
REQUESTS = CONSUMER_GROUPS["letters.send-requests"]
STATUS_GROUP = STATUS.name
REQUESTS_GROUP = REQUESTS.name


def subscriptions(ctx: LettersContext) -> list[Subscription]:
    """One message per transaction: a batch would take several accounts' locks in one transaction."""

    async def on_status(uow: LettersWork, event: ServiceStatusChanged) -> None:
        await on_service_status_changed(uow, ctx, event)

    async def on_send_letter(uow: LettersWork, command: SendLetter) -> None:
        # Invalid requests never become letters: the command goes to the dead-letter topic with why.
        # A document_ref this account does not have is not invalid input but a rejected letter
        # (LetterRejected, document_not_found): the sender may not know the document was deleted.
        try:
            request = _request(command)
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
            raise PoisonMessage(f"invalid_recipient: {fields}") from exc
        except DocumentTooLarge as exc:
            raise PoisonMessage(f"document_too_large: {exc}") from exc
        except InvalidDocument as exc:
            raise PoisonMessage(f"invalid_document: {exc}") from exc
        try:
            await submit_letter(
                uow,
                ctx,
                command.account_id,
                command.command_id,
                request,
                correlation_id=command.correlation_id,
                causation_id=command.event_id,
                reject_unknown_document=True,
            )
        except IdempotencyKeyReused as exc:
            raise PoisonMessage(
                f"idempotency_key_reused: command_id {command.command_id} came with another body"
            ) from exc

    def _request(command: SendLetter) -> LetterRequest:
        recipient = RecipientIn.model_validate(command.recipient.model_dump())
        if command.document_ref is not None:
            return by_reference(command.service, recipient, command.document_ref)
        document = decode_document(command.document_base64 or "", ctx.rules)
        return prepare(command.service, recipient, document, ctx.rules)

    return [
        subscribe(STATUS, on(ServiceStatusChanged, on_status)),
        subscribe(REQUESTS, on(SendLetter, on_send_letter)),
    ]
