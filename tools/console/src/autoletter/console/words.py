"""Every code the services send, as words for a person (English msgids; the catalogs translate them).

Codes never reach a screen: a code without an entry here is shown with its family's generic sentence,
and tests/test_catalogs.py fails when a code of the contracts or services has no entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the gettext convention Babel's extractor looks for
    """Marks a string for the catalog; translated later, where the reader's language is known."""
    return message


SERVICE = {
    "standard": N_("Standard letter"),
    "registered": N_("Registered letter"),
}

SERVICE_STATUS = {
    "inactive": N_("Inactive"),
    "blocked": N_("Blocked"),
    "active": N_("Active"),
    # The help article keeps « Overdue » as the status's name: the glossary keeps it recognisable.
    "overdue": N_("Overdue"),
}

STATUS_REASON = {
    "not_activated": N_("You have not switched this service on."),
    "activated": N_("You switched this service on."),
    "deactivated": N_("You switched this service off."),
    "profile_incomplete": N_("Your profile is incomplete."),
    "profile_completed": N_("Your profile is complete."),
    "payment_method_added": N_("A payment method was added."),
    "no_payment_method": N_("There is no payment method."),
    "invoice_failed": N_("An invoice could not be paid."),
    "invoices_settled": N_("Your invoices are settled."),
    "payment_disputed": N_("A payment was disputed and is owed again."),
}

LETTER_STATUS = {
    "held": N_("Held"),
    "accepted": N_("Accepted"),
    "sent": N_("Sent"),
    "rejected": N_("Refused"),
    "expired": N_("Expired"),
    "cancelled": N_("Cancelled"),
}

LETTER_REASON = {
    "service_inactive": N_("The service is not switched on."),
    "service_overdue": N_("An invoice of this service is unpaid."),
    "service_blocked": N_("The service is waiting for your profile or a payment method."),
    "profile_incomplete": N_("Your profile is incomplete."),
    "no_payment_method": N_("There is no payment method."),
    "status_pending": N_("We are checking the service's status; this takes a moment."),
    "hold_expired": N_("The letter waited too long and was not sent."),
    "document_not_found": N_("The letter's document could not be found; send it again."),
    "cancelled": N_("You cancelled the letter."),
}

INVOICE_STATE = {
    "draft": N_("Being prepared"),
    "lines_added": N_("Being prepared"),
    "issued": N_("Issued"),
    "open": N_("Awaiting payment"),
    "processing": N_("Payment in progress"),
    "paid": N_("Paid"),
    "payment_failed": N_("Payment failed"),
    "failed": N_("Payment failed for good"),
    "uncollectible": N_("Payment failed for good"),
    "void": N_("Cancelled"),
    "disputed": N_("Disputed"),
}

#: Missing prerequisites, as payments and profile name them.
MISSING = {
    "name": N_("your name"),
    "email": N_("your billing e-mail"),
    "address": N_("your postal address"),
    "payment_method": N_("a payment method"),
}

#: A field the service judged invalid: what to check, in the person's words.
FIELD_ERROR = {
    "name": N_("Check the name: it is too long or holds characters that cannot be printed."),
    "email": N_("Enter a valid e-mail address, e.g. factures@example.fr."),
    "address.line1": N_("Check the street and number."),
    "address.line2": N_("Check the second address line."),
    "address.postal_code": N_("This postal code does not fit the chosen country."),
    "address.city": N_("Check the city."),
    "address.country": N_("Choose a country from the list."),
    "service": N_("Choose a service."),
    "recipient.name": N_("Enter the recipient's name."),
    "recipient.address.line1": N_("Enter the street and number."),
    "recipient.address.line2": N_("Check the second address line."),
    "recipient.address.postal_code": N_("This postal code does not fit the chosen country."),
    "recipient.address.city": N_("Enter the city."),
    "recipient.address.country": N_("Choose a country from the list."),
    "document": N_("Choose a PDF file of at most 10 MB."),
}

#: The services' error codes (DESIGN §4) and the console's own.
ERROR = {
    "bad_request": N_("The request could not be understood. Please try again."),
    "unauthorized": N_("Your session has ended: please sign in again."),
    "forbidden": N_("This page is for the operations team only."),
    "not_found": N_("We could not find this."),
    "validation_error": N_("Some fields need your attention."),
    "precondition_failed": N_(
        "Your profile was changed elsewhere since you opened this page. Check it and save again."
    ),
    "profile_incomplete": N_("Complete your profile first."),
    "prerequisites_missing": N_("This service cannot be switched on yet."),
    "payload_too_large": N_("The request is too large."),
    "unsupported_media_type": N_("This kind of file cannot be sent."),
    "invalid_document": N_("This file is not a PDF we can print."),
    "document_too_large": N_("The PDF is too large (at most 10 MB)."),
    "document_not_found": N_("This document could not be found; upload it again."),
    "invalid_cursor": N_("This page of letters no longer exists; start from the newest."),
    "idempotency_key_reused": N_("This form was already sent. Fill it in again to send another letter."),
    "letter_not_held": N_("Only a held letter can be cancelled."),
    "period_not_ended": N_("This month has not ended yet."),
    "invalid_signature": N_("The request was not signed by Stripe."),
    "malformed_event": N_("The event could not be read."),
    "not_failed": N_("Only a failed event can be replayed."),
    "internal_error": N_("Something went wrong on our side. Please try again in a moment."),
    "not_ready": N_("The service is starting. Please try again in a moment."),
    "side_unavailable": N_("The figures cannot be compared right now. Please try again in a moment."),
    "service_unavailable": N_("A service is not answering right now. Please try again in a moment."),
    "unexpected_response": N_("A service answered unexpectedly. Please try again later."),
    "bad_metrics": N_("The service's figures cannot be read."),
    "nothing_to_save": N_("The form is empty: fill in your profile before saving."),
    "missing_document": N_("Choose a PDF file."),
    "file_too_large": N_("The file is too large for the console."),
}

#: Stripe's decline codes a customer is likely to meet; any other gets the generic sentence.
DECLINE = {
    "card_declined": N_("Your bank declined the payment."),
    "generic_decline": N_("Your bank declined the payment."),
    "insufficient_funds": N_("The account did not have enough funds."),
    "expired_card": N_("The card has expired."),
    "incorrect_cvc": N_("The card's security code was wrong."),
    "lost_card": N_("The card was reported lost."),
    "stolen_card": N_("The card was reported stolen."),
    "do_not_honor": N_("Your bank declined the payment without giving a reason."),
    "authentication_required": N_("Your bank asked for a confirmation that was not given."),
    "processing_error": N_("The payment could not be processed."),
}

#: The services by the part of AutoLetter a customer knows them as (in "… is not answering").
PART = {
    "profile": N_("profile"),
    "payments": N_("payments"),
    "letters": N_("letters"),
    "invoicing": N_("invoicing"),
}

RUN_STATUS = {
    "pending": N_("Waiting"),
    "running": N_("Running"),
    "completed": N_("Completed"),
    "failed": N_("Failed"),
    "interrupted": N_("Interrupted"),
    "skipped": N_("Skipped"),
}

FAMILIES: dict[str, dict[str, str]] = {
    "service": SERVICE,
    "service_status": SERVICE_STATUS,
    "status_reason": STATUS_REASON,
    "letter_status": LETTER_STATUS,
    "letter_reason": LETTER_REASON,
    "invoice_state": INVOICE_STATE,
    "missing": MISSING,
    "field_error": FIELD_ERROR,
    "error": ERROR,
    "decline": DECLINE,
    "run_status": RUN_STATUS,
    "part": PART,
}

#: What an unknown code of each family reads as: a sentence, never the code.
GENERIC = {
    "service": N_("Letter service"),
    "service_status": N_("Unknown status"),
    "status_reason": N_("The status changed."),
    "letter_status": N_("Unknown status"),
    "letter_reason": N_("The letter is waiting for its service."),
    "invoice_state": N_("In progress"),
    "missing": N_("a required detail"),
    "field_error": N_("Check this field."),
    "error": N_("Something went wrong. Please try again in a moment."),
    "decline": N_("The payment was declined."),
    "run_status": N_("Unknown status"),
    "part": N_("AutoLetter"),
}


def sayer(gettext: Callable[[str], str]) -> Callable[[str, Any], str]:
    """`say(family, code)` in one language: the code's words, or its family's generic sentence."""

    def say(family: str, code: Any) -> str:
        if code is None or code == "":
            return ""
        message = FAMILIES[family].get(str(code)) or GENERIC[family]
        return gettext(message)

    return say
