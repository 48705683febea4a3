"""A credit note from an invoice: the whole invoice, chosen lines or an amount, with a reason;
numbered by its own pattern; it lowers what the client owes. Bad input is refused at its field,
nothing is written and nothing typed is lost."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridge.billing.credit_notes import CreditNoteData, CreditNoteError, create_credit_note
from bridge.extensions import db
from bridge.invoicing.document import credit_note_pdf
from bridge.models import CreditNote, Invoice
from tests.credit_notes.conftest import text


def post_form(http, invoice, **fields):
    data = {"kind": "lines", "reason": "Hosting was not used", "currency": "NZD", "issue_date": "2026-03-09"}
    data.update(fields)
    return http.post(f"/invoices/{invoice.id}/credit-notes/new", data=data)


def count() -> int:
    return db.session.scalar(select(func.count(CreditNote.id)))


def test_credit_chosen_lines_lowers_what_is_owed(admin, invoice):
    hosting = invoice.lines[1]
    response = post_form(admin, invoice, line_ids=[str(hosting.id)])
    assert response.status_code == 302
    db.session.expire_all()
    (note,) = db.session.scalars(select(CreditNote)).all()
    assert note.number == "CN-2026-0001" and note.kind == "lines"
    assert [(l.description, l.quantity, l.unit_price) for l in note.lines] == [("Hosting, March", 1, Decimal("45.50"))]
    assert (note.subtotal, note.tax_total, note.total) == (Decimal("45.50"), Decimal("6.83"), Decimal("52.33"))
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.total == Decimal("397.33")
    assert invoice.amount_credited == Decimal("52.33") and invoice.amount_due == Decimal("345.00")
    assert invoice.payment_status == "partially_paid"
    page = admin.get(response.headers["Location"])
    assert page.status_code == 200 and "Total credit" in text(page) and "NZ$52.33" in text(page)
    shown = admin.get(f"/invoices/{invoice.id}")
    assert "CN-2026-0001" in text(shown) and "Credit applied" in text(shown)


def test_numbers_follow_their_own_sequence(admin, invoice):
    post_form(admin, invoice, kind="amount", amount="10.00")
    post_form(admin, invoice, kind="amount", amount="5.00")
    assert [n.number for n in db.session.scalars(select(CreditNote).order_by(CreditNote.id))] == [
        "CN-2026-0001", "CN-2026-0002"]
    assert invoice.number == "2026-0001"  # invoices keep theirs


@pytest.mark.parametrize("fields, field, message", [
    ({"kind": "amount", "amount": "500.00"}, "amount", "more than the NZ$397.33 the client still owes"),
    ({"kind": "lines"}, "line_ids", "Tick at least one of the invoice's lines"),
    ({"kind": "lines", "line_ids": ["99999"]}, "line_ids", "Tick at least one of the invoice's lines"),
    ({"kind": "amount", "amount": "10.00", "currency": "EUR"}, "currency", "in its invoice's currency: NZD"),
    ({"kind": "amount", "amount": "abc"}, "amount", "Enter a number"),
    ({"kind": "amount", "amount": "10.00", "reason": "  "}, "reason", "Say why the client is credited"),
    ({"kind": "amount", "amount": "10.00", "issue_date": "2026-01-01"}, "issue_date", "before its invoice"),
])
def test_bad_input_is_refused_at_the_field_and_nothing_is_written(admin, invoice, fields, field, message):
    typed = "A reason typed with care"
    response = post_form(admin, invoice, **{"reason": typed, **fields})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in text(response)
    assert count() == 0
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).amount_credited == 0
    if field != "reason":
        assert typed in page  # nothing typed is lost
    if "amount" in fields and fields["amount"] != "abc":
        assert f'value="{fields["amount"]}"' in page


def test_over_the_remaining_amount_after_an_earlier_credit(admin, invoice):
    create_credit_note(CreditNoteData(invoice.id, "whole", "Cancelled", "NZD", dt.date(2026, 3, 9)))
    with pytest.raises(CreditNoteError) as refused:
        create_credit_note(CreditNoteData(invoice.id, "amount", "Again", "NZD", dt.date(2026, 3, 9),
                                          amount=Decimal("0.01")))
    assert refused.value.field == "amount" and "NZ$0.00 the client still owes" in refused.value.message
    assert count() == 1
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.amount_due == 0 and invoice.payment_status == "credited"


def test_the_pdf_is_the_invoice_layout_titled_credit_note(admin, invoice):
    post_form(admin, invoice, line_ids=[str(invoice.lines[0].id)])
    note = db.session.scalars(select(CreditNote)).one()
    response = admin.get(f"/credit-notes/{note.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="credit-note-CN-2026-0001.pdf"' in response.headers["Content-Disposition"]
    plain = credit_note_pdf(note, compress=False)
    assert b"CREDIT NOTE" in plain and b"Credits invoice" in plain and b"2026-0001" in plain
    assert b"Total credit" in plain and b"Hosting was not used" in plain


def test_the_credit_note_pattern_is_a_setting(admin, invoice):
    entity = invoice.entity
    form = {"name": entity.name, "base_currency": entity.base_currency, "invoice_number_pattern": "{year}-{seq:04}"}
    bad = admin.post(f"/settings/entities/{entity.id}/edit", data={**form, "credit_note_number_pattern": "CR {seq}"})
    assert bad.status_code == 422 and "Use only letters" in text(bad)
    assert admin.post(f"/settings/entities/{entity.id}/edit",
                      data={**form, "credit_note_number_pattern": "CR-{seq:03}"}).status_code == 302
    post_form(admin, invoice, kind="amount", amount="10.00")
    assert db.session.scalars(select(CreditNote)).one().number == "CR-001"


def test_credit_notes_need_a_login(client, invoice):
    for url in (f"/invoices/{invoice.id}/credit-notes/new", "/credit-notes/1", "/credit-notes/1/pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_draft_invoice_with_a_credit_note_is_voided_not_deleted(admin, invoice):
    """Found when merging credit notes with voids: deleting the invoice would have left its
    credit note pointing at nothing (or failed on the foreign key)."""
    from bridge.billing.service import InvoiceError, delete_invoice

    assert post_form(admin, invoice, line_ids=[str(invoice.lines[1].id)]).status_code == 302
    invoice = db.session.get(Invoice, invoice.id)
    invoice.status = "draft"
    db.session.commit()
    dialog = admin.get(f"/invoices/{invoice.id}/void", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"Void invoice {invoice.number}?" in dialog and "Delete invoice" not in dialog
    with pytest.raises(InvoiceError, match="has credit notes: void it instead"):
        delete_invoice(invoice)
