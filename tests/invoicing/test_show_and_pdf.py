"""The invoice page, its draft/sent switch, and the local PDF."""
import datetime as dt
import html
import json
import re
import zlib
from decimal import Decimal
from io import BytesIO

import pytest
from PIL import Image

from bridge.extensions import db
from bridge.invoicing.document import invoice_pdf, pdf_filename, tax_summary
from bridge.invoicing.pdf_text import pdf_text
from bridge.billing.service import LineData, get_invoice
from bridge.models import BillingEntity, Invoice, Payment
from tests.invoicing import factories


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def invoice(app):
    client = factories.company("Acme Ltd", "GBP", address="1 High Street\nLondon", tax_number="GB123")
    design = factories.service_type("Design")
    vat = factories.tax_rate("VAT 20%", "20")
    factories.custom_field("Region", "select", ["North", "South"])
    return factories.invoice(client, "Website", dt.date(2026, 3, 1), notes="Pay within 30 days.", lines=[
        LineData("Design work", Decimal("2"), Decimal("10.05"), Decimal("10"), design.id, vat.id),
        LineData("Hosting", Decimal("1.5"), Decimal("100"), Decimal("0"), None, None),
    ])


def test_invoice_page_shows_everything(client, auth, invoice):
    auth.login("member")
    response = client.get(f"/invoices/{invoice.id}")
    page = text(response)
    assert response.status_code == 200
    for expected in ("Invoice 2026-0001", "Acme Ltd", "GB123", "Mar 1, 2026", "Mar 31, 2026", "Website",
                     "Design work", "Design", "VAT 20%", "10 %", "18.09", "3.62", "1.5", "150.00",
                     "168.09", "£171.71", "Pay within 30 days.", "Region", "No payments yet.",
                     "Mark as sent", "Draft", "Unpaid"):
        assert expected in page, expected
    assert f'href="/invoices/{invoice.id}/edit"' in page
    assert f'href="/invoices/{invoice.id}/pdf"' in page
    # Xero is not connected: the copy box is there (for HTMX to refresh) but hidden.
    html = response.get_data(as_text=True)
    assert '<section id="xero-copy-state" class="card xero-state"\n         hidden' in html
    assert "Copy to Xero" not in html


def test_unknown_invoice_is_404(client, auth):
    auth.login()
    assert client.get("/invoices/12345").status_code == 404
    assert client.get("/invoices/12345/pdf").status_code == 404


def test_payments_are_listed(client, auth, invoice):
    db.session.add_all([
        Payment(invoice_id=invoice.id, amount=Decimal("50.00"), date=dt.date(2026, 3, 5), reference="Bank 1"),
        Payment(invoice_id=invoice.id, amount=Decimal("5.00"), date=dt.date(2026, 3, 6), reference="Gone",
                source="xero", deleted_at=dt.datetime(2026, 3, 7, tzinfo=dt.timezone.utc)),
    ])
    db.session.commit()
    auth.login()
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "No payments yet." not in page
    assert "Bank 1" in page and "£50.00" in page and "Mar 5, 2026" in page
    assert 'class="deleted"' in page and "Deleted Mar 7, 2026" in page


def test_mark_as_sent_and_back_without_js(client, auth, invoice):
    auth.login("member")
    response = client.post(f"/invoices/{invoice.id}/status", data={"status": "sent"})
    assert response.status_code == 302 and response.headers["Location"] == f"/invoices/{invoice.id}"
    assert db.session.get(Invoice, invoice.id).status == "sent"
    assert "Back to draft" in text(client.get(f"/invoices/{invoice.id}"))
    client.post(f"/invoices/{invoice.id}/status", data={"status": "draft"})
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "draft"


def test_status_switch_with_htmx_returns_the_status_box(client, auth, invoice, hx):
    auth.login()
    response = client.post(f"/invoices/{invoice.id}/status", data={"status": "sent"}, headers=hx)
    page = text(response)
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith('<div id="invoice-status"') and "Back to draft" in page and "badge-sent" in page
    assert json.loads(response.headers["HX-Trigger"]) == {"showMessage": "Invoice 2026-0001 is now sent."}
    assert db.session.get(Invoice, invoice.id).status == "sent"


@pytest.mark.parametrize("status", ["paid", ""])
def test_unknown_status_is_refused(client, auth, invoice, status):
    auth.login()
    assert client.post(f"/invoices/{invoice.id}/status", data={"status": status}).status_code == 400
    assert db.session.get(Invoice, invoice.id).status == "draft"


def pdf_strings(data: bytes) -> str:
    """The text drawn in a PDF: content streams inflated (fpdf2 compresses them)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            chunks.append(stream)
    return b"\n".join(chunks).decode("latin-1")


def test_pdf_download(client, auth, invoice):
    auth.login("member")
    response = client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoice-2026-0001.pdf"'
    assert response.data.startswith(b"%PDF")
    drawn = pdf_strings(response.data)
    for expected in ("2026-0001", "Acme Ltd", "GB123", "Design work", "VAT 20%", "£171.71", "Pay within 30 days."):
        assert expected in drawn, expected


def test_pdf_survives_text_outside_latin_1(client, auth, app):
    client_co = factories.company("Łódź 東京 Studio", "PLN", address="ul. Żółta 1 – 🏠")
    invoice = factories.invoice(client_co, "Café ☕ “quotes” €", lines=[
        LineData("Ђорђе ✓ design", Decimal("1"), Decimal("10"))
    ])
    auth.login()
    response = client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    drawn = pdf_strings(response.data)
    assert "Lódz ?? Studio" in drawn


def test_uncompressed_pdf_has_the_number_in_clear(app, invoice):
    data = invoice_pdf(get_invoice(invoice.id, full=True), compress=False)
    assert data.startswith(b"%PDF") and b"2026-0001" in data


@pytest.mark.parametrize("value, expected", [
    ("Łódź", "Lódz"), ("Łukasz", "Lukasz"), ("Café €", "Café €"), ("東京", "??"), ("ﬁne", "fine"), ("Ș", "S"), (None, ""),
])
def test_pdf_text(value, expected):
    assert pdf_text(value) == expected


@pytest.mark.parametrize("number, name", [
    ("2026-0001", "invoice-2026-0001.pdf"), ("INV/7", "invoice-INV-7.pdf"), ('a"b', "invoice-a-b.pdf"),
])
def test_pdf_filename(number, name):
    assert pdf_filename(number) == name


def png_logo() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (300, 100), (37, 99, 235)).save(buffer, "PNG")
    return buffer.getvalue()


def test_pdf_shows_the_organisation_the_client_a_tax_summary_and_the_totals(client, auth, invoice):
    entity = db.session.get(BillingEntity, invoice.entity_id)
    entity_values = dict(
        name="Zoë – € Studio", address="18 Customhouse Quay\nWellington", tax_number="NZ 123-456-789",
        bank_details="IBAN NL91 ABNA 0417 1643 00", payment_terms="Payment within 30 days.",
        logo=png_logo(), logo_type="image/png")
    for name, value in entity_values.items():
        setattr(entity, name, value)
    db.session.commit()
    auth.login("member")
    response = client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    drawn = pdf_strings(response.data)
    for expected in ("Zoë – € Studio".encode("cp1252").decode("latin-1"), "18 Customhouse Quay", "Tax number NZ 123-456-789",
                     "IBAN NL91 ABNA 0417 1643 00", "Payment within 30 days.", "1 High Street", "London",
                     "TAX SUMMARY", "VAT 20%", "No tax", "Total due", "HOW TO PAY"):
        assert expected in drawn, expected
    assert b"/Subtype /Image" in response.data


def test_tax_summary_adds_net_and_tax_per_rate(app, invoice):
    rows = tax_summary(get_invoice(invoice.id, full=True).lines)
    assert rows == [("VAT 20%", "20%", Decimal("18.09"), Decimal("3.62")),
                    ("No tax", "", Decimal("150.00"), Decimal("0.00"))]
