"""A voided invoice's page: the Payments box says Voided and that nothing is owed (never
"Unpaid"), and the Supporting files box offers no upload; an upload posted anyway is refused
with a clear message and nothing is kept."""
from bridge.billing.service import void_invoice
from bridge.extensions import db
from bridge.models import Invoice
from tests.copy.conftest import text
from tests.copy.test_attachments import PDF, stored, upload


def voided(invoice) -> Invoice:
    void_invoice(db.session.get(Invoice, invoice.id))
    db.session.commit()
    return invoice


def payments_box(page: str) -> str:
    return page.split('<section id="payments"')[1].split("</section>")[0]


def files_box(page: str) -> str:
    return page.split('<section id="document-files"')[1].split("</section>")[0]


def test_a_voided_invoice_shows_voided_and_nothing_owed(admin, invoice):
    page = admin.get(f"/invoices/{voided(invoice).id}").get_data(as_text=True)
    payments = payments_box(page)
    assert "Voided" in payments and "Nothing (voided)" in payments
    assert "Unpaid" not in payments and "badge-unpaid" not in payments
    assert "Record payment" not in payments


def test_an_open_invoice_still_shows_unpaid_and_what_is_due(admin, invoice):
    payments = payments_box(admin.get(f"/invoices/{invoice.id}").get_data(as_text=True))
    assert "Unpaid" in payments and "Voided" not in payments and "Record payment" in payments


def test_a_voided_invoice_offers_no_upload(admin, invoice):
    upload(admin, invoice, "before.pdf", PDF)  # files added before the void stay listed
    files = files_box(admin.get(f"/invoices/{voided(invoice).id}").get_data(as_text=True))
    assert "before.pdf" in files
    assert 'type="file"' not in files and ">Upload</button>" not in files
    assert "This invoice is voided" in files


def test_an_upload_to_a_voided_invoice_is_refused_with_a_message(admin, invoice):
    voided(invoice)
    answer = upload(admin, invoice, "late.pdf", PDF)
    assert answer.status_code == 422
    assert "This invoice is voided: nothing more is added to it, so files cannot be uploaded." in text(answer)
    assert stored() == []
    plain = upload(admin, invoice, "late.pdf", PDF, hx=False)  # without JavaScript: a page saying why
    assert plain.status_code == 422 and "This invoice is voided" in text(plain) and stored() == []
