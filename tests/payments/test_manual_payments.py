"""Recording a payment by hand on an invoice or an expense: labelled "manual", checked like
any form (CSRF included), never sent to Xero; the payment lists and the invoice table."""
import datetime as dt
import re
from decimal import Decimal

import pytest

from bridge.extensions import db
from bridge.models import Expense, Invoice, Payment
from tests.conftest import header_token
from tests.invoicing import factories
from tests.workspace.conftest import count, field_errors, make_budget, make_expense


@pytest.fixture
def invoice(app):
    return factories.invoice(factories.company("Acme Ltd", currency="EUR"), lines=[("1", "100.00")])


def test_the_invoice_page_offers_record_payment_at_the_amount_due(admin, invoice):
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Record payment" in page and "nothing is sent to Xero" in page
    assert re.search(r'name="amount"[^>]*value="100.00"|value="100.00"[^>]*name="amount"', page)
    assert "No payments yet." in page and "€100.00" in page


def test_a_manual_payment_is_recorded_and_labelled(admin, invoice):
    answer = admin.post(f"/invoices/{invoice.id}/payments",
                        data={"amount": "40.00", "date": "2026-03-10", "reference": "Bank 7"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/invoices/{invoice.id}"
    (payment,) = db.session.get(Invoice, invoice.id).payments
    assert (payment.amount, payment.date, payment.reference, payment.source, payment.xero_payment_id) == (
        Decimal("40.00"), dt.date(2026, 3, 10), "Bank 7", "manual", None)
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "recorded in Bridge (not sent to Xero)" in page
    assert "badge-source-manual" in page and ">Manual<" in page
    assert "Partially paid" in page and "€60.00" in page  # the amount due


@pytest.mark.parametrize("amount, message", [
    ("", "Enter the amount paid."),
    ("0", "Enter an amount above zero."),
    ("-5", "Enter an amount above zero."),
    ("ten", "Enter a number, like 12.50."),
    ("1.234", "Use at most 2 decimal places."),
    ("100.01", "That is more than the amount due (€100.00)."),
])
def test_bad_amounts_are_refused_at_the_field(admin, invoice, hx, amount, message):
    answer = admin.post(f"/invoices/{invoice.id}/payments", headers=hx,
                        data={"amount": amount, "date": "2026-03-10"})
    assert answer.status_code == 422
    fragment = answer.get_data(as_text=True)
    assert fragment.startswith('<section id="payments"') and "<html" not in fragment
    assert message in field_errors(answer)
    assert count(Payment) == 0


def test_the_date_is_required(admin, invoice, hx):
    answer = admin.post(f"/invoices/{invoice.id}/payments", headers=hx, data={"amount": "5", "date": ""})
    assert answer.status_code == 422 and "Enter the date it was paid." in field_errors(answer)


@pytest.mark.parametrize("where", ["invoice", "expense"])
def test_without_htmx_a_refusal_shows_the_page_with_what_was_typed(admin, invoice, where):
    """Issue 18: the plain form used to redirect and lose what was typed; now it is the whole
    page again, 422, the message at the field and the values as typed."""
    if where == "expense":
        path = f"/expenses/{make_expense(make_budget(), amount='100.00').id}"
    else:
        path = f"/invoices/{invoice.id}"
    answer = admin.post(f"{path}/payments", data={"amount": "0", "date": "2026-03-10", "reference": "Bank 7 typed"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "<html" in page and "Enter an amount above zero." in field_errors(answer)
    assert 'value="Bank 7 typed"' in page and 'value="2026-03-10"' in page and 'value="0"' in page
    assert count(Payment) == 0


def test_csrf_is_checked_on_the_htmx_header(csrf_admin, invoice):
    url = f"/invoices/{invoice.id}/payments"
    data = {"amount": "10.00", "date": "2026-03-10"}
    assert csrf_admin.post(url, data=data, headers={"HX-Request": "true"}).status_code == 400
    token = header_token(csrf_admin, f"/invoices/{invoice.id}")
    answer = csrf_admin.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == f"/invoices/{invoice.id}"
    assert count(Payment) == 1


def test_an_expense_has_its_page_with_payments(admin, app):
    budget = make_budget("Campaign", currency="NZD")
    expense = make_expense(budget, "80.00", description="Flyers")
    assert f'href="/expenses/{expense.id}"' in admin.get(f"/budgets/{budget.id}").get_data(as_text=True)
    page = admin.get(f"/expenses/{expense.id}").get_data(as_text=True)
    assert "Flyers" in page and "Record payment" in page and "Unpaid" in page

    answer = admin.post(f"/expenses/{expense.id}/payments", data={"amount": "80.00", "date": "2026-03-03"})
    assert answer.headers["Location"] == f"/expenses/{expense.id}"
    expense = db.session.get(Expense, expense.id)
    assert (expense.payment_status, expense.amount_paid, expense.payments[0].source) == (
        "paid", Decimal("80.00"), "manual")
    assert "Record payment" not in admin.get(f"/expenses/{expense.id}").get_data(as_text=True)


def test_payments_from_xero_and_deleted_ones_are_shown_as_such(admin, invoice):
    db.session.add_all([
        Payment(invoice_id=invoice.id, amount=Decimal("30.00"), date=dt.date(2026, 3, 5), reference="EFT",
                source="xero", xero_payment_id="0f3c1d4e-1111-4222-8333-444455556666"),
        Payment(invoice_id=invoice.id, amount=Decimal("20.00"), date=dt.date(2026, 3, 6), reference="Typo",
                source="xero", xero_payment_id="0f3c1d4e-1111-4222-8333-777788889999",
                deleted_at=dt.datetime(2026, 3, 7, 10, 30, tzinfo=dt.timezone.utc)),
    ])
    invoice.amount_credited = Decimal("10.00")
    db.session.commit()
    from bridge.billing.payments import refresh_payment_status
    refresh_payment_status(invoice)
    db.session.commit()
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert page.count(">From Xero<") == 2
    assert 'class="deleted"' in page and "Deleted Mar 7, 2026, 10:30\u202fAM UTC in Xero" in page
    assert re.search(r"Credit applied</dt><dd[^>]*>€10.00", page)
    assert re.search(r"Amount paid</dt><dd[^>]*>€30.00", page)
    assert re.search(r"Amount due</dt><dd[^>]*>€60.00", page)


def test_the_invoice_table_filters_every_payment_status(admin, app):
    client = factories.company("Acme Ltd")
    states = {"unpaid": None, "partially_paid": None, "paid": None, "credited": None}
    for status in states:
        invoice = factories.invoice(client, subject=f"Work {status}")
        invoice.payment_status = status
        states[status] = invoice
    db.session.commit()
    page = admin.get("/").get_data(as_text=True)
    assert '<option value="credited">Credited</option>' in page
    for status in states:
        table = admin.get(f"/?payment={status}").get_data(as_text=True)
        assert [s for s in states if f"Work {s}<" in table] == [status]
