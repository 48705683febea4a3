"""Xero is the ledger once a document is copied (the sandbox over real HTTP): each sync brings
Xero's status, number, totals and amounts of every copy that changed; payments and credit on
any live copy count, an earlier one too; a voided or deleted copy is history and leaves
nothing owed; a bill approved and paid in Xero reads so in Bridge."""
from decimal import Decimal

from bridge.extensions import db
from bridge.models import Invoice, XeroCopy, XeroDocument
from tests.payments.conftest import bill, done_copy, sale, xero_payments


def fresh(document):
    db.session.expire_all()
    return db.session.get(type(document), document.id)


def second_copy(org, invoice: Invoice, amount: str) -> dict:
    """Create new: another Xero invoice for the same Bridge invoice."""
    xero_doc = org.xero_invoice(amount)
    done_copy(xero_doc, org.tenant_id, invoice_id=invoice.id)
    return xero_doc


def draft_invoice(org, amount: str) -> tuple[Invoice, dict]:
    """A Bridge invoice copied to Xero as a draft."""
    invoice, _ = org.invoice(amount)
    db.session.query(XeroCopy).filter_by(invoice_id=invoice.id).delete()
    db.session.query(XeroDocument).filter_by(invoice_id=invoice.id).delete()
    db.session.commit()
    xero_doc = org.client.create_invoices([{**sale(org.contact(), amount), "Status": "DRAFT"}])[0]
    done_copy(xero_doc, org.tenant_id, invoice_id=invoice.id)
    return invoice, xero_doc


def approve(org, xero_doc: dict) -> None:
    org.client.update_invoice(xero_doc["InvoiceID"], {"InvoiceID": xero_doc["InvoiceID"], "Status": "AUTHORISED"})


def test_payment_status_and_amount_due_come_from_xeros_total(org):
    invoice, xero_doc = org.invoice("100.00")
    # Xero booked more than Bridge's total (another tax rate, say): Xero's total is what is owed.
    org.client.update_invoice(xero_doc["InvoiceID"], {"InvoiceID": xero_doc["InvoiceID"], "LineItems": [
        {"Description": "Flyers", "Quantity": Decimal("1"), "UnitAmount": Decimal("110.00"),
         "AccountCode": "453", "TaxType": "NONE"}]})
    org.pay(xero_doc, "110.00")
    org.sync()
    invoice = fresh(invoice)
    assert (invoice.total, invoice.xero_total) == (Decimal("100.00"), Decimal("110.00"))
    assert (invoice.payment_status, invoice.amount_due) == ("paid", Decimal("0.00"))
    assert invoice.xero_status == "PAID"
    assert db.session.query(XeroCopy).filter_by(invoice_id=invoice.id).one().xero_status == "PAID"


def test_the_sync_brings_the_status_of_a_copy_approved_in_xero(org):
    invoice, xero_doc = draft_invoice(org, "80.00")
    assert fresh(invoice).xero_status == "DRAFT"
    approve(org, xero_doc)
    assert org.sync().message == "1 invoice updated"
    document = db.session.query(XeroDocument).filter_by(invoice_id=invoice.id).one()
    assert (document.status, document.amount_due) == ("AUTHORISED", Decimal("80.00"))
    assert fresh(invoice).xero_status == "AUTHORISED"


def test_a_payment_on_an_earlier_live_copy_is_mirrored(org):
    invoice, first = org.invoice("200.00")
    approve(org, first)
    second = second_copy(org, invoice, "200.00")
    approve(org, second)
    org.pay(first, "50.00", reference="on the first copy")
    org.sync()
    (payment,) = xero_payments(invoice)
    assert (payment.amount, payment.reference) == (Decimal("50.00"), "on the first copy")
    assert payment.xero_document_id == first["InvoiceID"].lower()
    invoice = fresh(invoice)
    assert invoice.xero_number == second["InvoiceNumber"]  # the newest live copy
    assert (invoice.payment_status, invoice.amount_due) == ("partially_paid", Decimal("150.00"))

    # A payment on the newest copy does not make the first one's look deleted.
    org.pay(second, "150.00")
    org.sync()
    assert [p.deleted_at for p in xero_payments(invoice)] == [None, None]
    assert fresh(invoice).payment_status == "paid"


def test_credit_allocated_on_an_earlier_copy_lowers_the_amount_due(org):
    invoice, first = org.invoice("300.00")
    approve(org, first)
    second = second_copy(org, invoice, "300.00")
    approve(org, second)
    org.credit(first, "120.00")
    org.sync()
    invoice = fresh(invoice)
    assert invoice.amount_credited == Decimal("120.00")
    assert (invoice.payment_status, invoice.amount_due) == ("partially_paid", Decimal("180.00"))


def test_a_copy_deleted_in_xero_leaves_nothing_owed(org):
    invoice, xero_doc = draft_invoice(org, "75.00")
    org.client.update_invoice(xero_doc["InvoiceID"], {"InvoiceID": xero_doc["InvoiceID"], "Status": "DELETED"})
    org.sync()
    invoice = fresh(invoice)
    assert invoice.ended_in_xero and invoice.xero_status == "DELETED"
    assert invoice.xero_ended_at is not None and invoice.amount_due == Decimal("0")


def test_a_voided_earlier_copy_no_longer_counts(org):
    invoice, first = org.invoice("60.00")
    approve(org, first)
    second = second_copy(org, invoice, "90.00")
    org.client.update_invoice(first["InvoiceID"], {"InvoiceID": first["InvoiceID"], "Status": "VOIDED"})
    org.sync()
    invoice = fresh(invoice)
    assert not invoice.ended_in_xero
    assert (invoice.xero_number, invoice.xero_total) == (second["InvoiceNumber"], Decimal("90.00"))


def test_a_bill_approved_and_paid_in_xero_reads_paid(org):
    expense, _ = org.expense("480.00")
    db.session.query(XeroCopy).filter_by(expense_id=expense.id).delete()
    db.session.query(XeroDocument).filter_by(expense_id=expense.id).delete()
    db.session.commit()
    draft = org.client.create_invoices([{**bill(org.contact("City Print Co"), "480.00"), "Status": "DRAFT"}])[0]
    done_copy(draft, org.tenant_id, expense_id=expense.id)
    assert fresh(expense).xero_status == "DRAFT"
    approve(org, draft)
    org.pay(draft, "480.00")
    org.sync()
    expense = fresh(expense)
    assert (expense.xero_status, expense.payment_status) == ("PAID", "paid")
    copy = db.session.query(XeroCopy).filter_by(expense_id=expense.id).one()
    assert copy.xero_status == "PAID"
