"""An invoice's `invoice_pdf` is a PDF the emulator serves itself: the receipt once paid."""

from __future__ import annotations

import io

import pypdf
import pytest

from .conftest import Emulator
from .test_emulator_customers import SUCCEEDS
from .test_emulator_invoices import customer_paying_with, issue_invoice

pytestmark = [
    pytest.mark.stripe,
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]


async def test_a_finalised_invoice_links_a_pdf_the_emulator_serves(emulator: Emulator) -> None:
    customer_id = await customer_paying_with(emulator, SUCCEEDS)
    finalized = await issue_invoice(emulator, customer_id)
    assert finalized.invoice_pdf == f"{emulator.url}/invoice/{finalized.id}/pdf"

    invoice = await emulator.stripe.v1.invoices.retrieve_async(finalized.id)
    assert invoice.status == "paid"
    answer = await emulator.http.get(invoice.invoice_pdf)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(answer.content), strict=True)
    (page,) = reader.pages
    text = page.extract_text()
    assert finalized.number in text and "paid" in text and "3.15 EUR" in text
    assert (await emulator.http.get("/invoice/in_missing/pdf")).status_code == 404
