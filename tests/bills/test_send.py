"""Send an expense to Xero as a bill, against the sandbox over real HTTP: accounts (mapped
service type, default), tax for bills, the supplier's contact (found by name, created),
Update existing and Create new, and the missing fields shown before anything is sent."""
from decimal import Decimal

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, Expense, XeroActivity
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.bills.conftest import (
    DEFAULT_ACCOUNT, PRINTING_ACCOUNT, TAX, bill_rows, configure, make_expense, post_send, recorded,
    sandbox_bills, text,
)
from tests.copy.conftest import forget_currencies


def test_an_expense_becomes_a_bill_with_the_mapped_account_and_tax(connected, admin, expense, sandbox):
    response = post_send(admin, expense)
    assert response.status_code == 200, text(response)
    assert "Sent to Xero" in text(response) and "Open in Xero" in text(response)
    (bill,) = sandbox_bills()
    assert bill["Type"] == "ACCPAY" and bill["Status"] == "AUTHORISED"
    assert bill["InvoiceNumber"] == "PI-1001" and bill["CurrencyCode"] == "NZD"
    assert (bill["Date"].isoformat()[:10], bill["DueDate"].isoformat()[:10]) == ("2026-03-02", "2026-04-01")
    (line,) = bill["LineItems"]
    assert (line["Description"], line["AccountCode"], line["TaxType"]) == ("Flyers, 500 copies", PRINTING_ACCOUNT, TAX)
    # The net amount, without the 20 % markup; Xero adds 15 % GST.
    assert (Decimal(str(bill["SubTotal"])), Decimal(str(bill["Total"]))) == (Decimal("200.00"), Decimal("230.00"))
    (row,) = bill_rows()
    assert (row.state, row.xero_id, row.xero_number, row.expense_id) == ("done", bill["InvoiceID"], "PI-1001", expense.id)
    assert db.session.get(Expense, expense.id).bill_total == Decimal("230.00")
    assert f"/_ui/{NZ_TENANT}/invoices/{row.xero_id}" in response.get_data(as_text=True)


def test_an_unmapped_service_type_goes_to_the_default_expense_account(connected, admin, workspace):
    expense = make_expense(workspace, service_type_id=None, reference=None)
    assert post_send(admin, expense).status_code == 200
    (bill,) = sandbox_bills()
    assert bill["LineItems"][0]["AccountCode"] == DEFAULT_ACCOUNT
    assert not bill.get("InvoiceNumber")


def test_without_a_tax_type_for_bills_xero_applies_the_accounts_default(connected, admin, expense):
    configure(expense_tax_type=None)
    assert post_send(admin, expense).status_code == 200
    (bill,) = sandbox_bills()
    assert bill["LineItems"][0]["TaxType"] == TAX  # account 310's default in the sandbox chart
    assert "TaxType" not in bill_rows()[0].payload


def test_a_supplier_in_xero_is_found_by_name_and_linked(connected, admin, workspace, sandbox):
    expense = make_expense(workspace, supplier_id=workspace["northwind"].id)
    assert post_send(admin, expense).status_code == 200
    (bill,) = sandbox_bills()
    assert bill["Contact"]["Name"] == "Northwind Studio"
    supplier = db.session.get(Company, workspace["northwind"].id)
    assert supplier.xero_contact_id == bill["Contact"]["ContactID"]
    assert recorded(sandbox, "PUT", "/Contacts") == []
    # The next expense of that supplier needs no look-up.
    before = len(recorded(sandbox, "GET", "/Contacts"))
    assert post_send(admin, make_expense(workspace, supplier_id=supplier.id)).status_code == 200
    assert len(recorded(sandbox, "GET", "/Contacts")) == before


def test_a_supplier_not_in_xero_is_created(connected, admin, expense, sandbox):
    assert post_send(admin, expense).status_code == 200
    (created,) = recorded(sandbox, "PUT", "/Contacts")
    (bill,) = sandbox_bills()
    assert bill["Contact"]["Name"] == "Paper & Ink Co"
    assert db.session.get(Company, expense.supplier_id).xero_contact_id == bill["Contact"]["ContactID"]
    operations = [a.operation for a in db.session.scalars(select(XeroActivity).order_by(XeroActivity.id))]
    assert operations == ["contact", "bill"]
    assert all(a.expense_id == expense.id for a in db.session.scalars(select(XeroActivity)))


def test_update_existing_changes_the_same_bill(connected, admin, expense, sandbox):
    assert post_send(admin, expense).status_code == 200
    expense = db.session.get(Expense, expense.id)
    expense.amount, expense.description = Decimal("300.00"), "Flyers, 750 copies"
    db.session.commit()
    response = post_send(admin, expense, action="update")
    assert response.status_code == 200, text(response)
    (bill,) = sandbox_bills()
    assert bill["LineItems"][0]["Description"] == "Flyers, 750 copies"
    assert Decimal(str(bill["Total"])) == Decimal("345.00")
    first, second = bill_rows()
    assert (second.action, second.xero_id) == ("update", first.xero_id)
    assert db.session.get(Expense, expense.id).bill_total == Decimal("345.00")
    assert len(recorded(sandbox, "POST", f"/Invoices/{first.xero_id}")) == 1


def test_create_new_makes_a_second_bill(connected, admin, expense):
    assert post_send(admin, expense).status_code == 200
    assert post_send(admin, expense).status_code == 200
    assert len(sandbox_bills()) == 2
    page = admin.get(f"/expenses/{expense.id}").get_data(as_text=True)
    assert "2 bills in Xero" in page and "Update existing" in page and "Create new" in page


def test_missing_fields_are_shown_before_anything_is_sent(connected, admin, workspace, sandbox):
    configure(default_expense_account_code="429", expense_accounts={})
    expense = make_expense(workspace, supplier_id=None, due_date=None)
    page = admin.get(f"/expenses/{expense.id}")
    words = text(page)
    assert "No supplier" in words and "No due date" in words and "Send to Xero" not in words
    assert f"/expenses/{expense.id}/edit#supplier_id" in page.get_data(as_text=True)
    response = post_send(admin, expense)
    assert response.status_code == 422 and "No supplier" in text(response)
    assert recorded(sandbox, "PUT", "/Invoices") == [] and bill_rows() == []


def test_xeros_refusal_is_shown_verbatim(connected, admin, workspace):
    forget_currencies()  # Bridge does not know Xero's currencies: Xero refuses the JPY bill
    expense = make_expense(workspace, currency="JPY")
    response = post_send(admin, expense)
    assert response.status_code == 422
    assert "Organisation is not subscribed to currency JPY" in text(response)
    assert "does not use the expense's currency" in text(response)
    (row,) = bill_rows()
    assert row.state == "failed"
    page = text(admin.get(f"/expenses/{expense.id}"))
    assert "Organisation is not subscribed to currency JPY" in page
    assert "does not use the expense's currency" in page and "invoice's currency" not in page


def test_nothing_is_offered_while_export_is_off(connected, admin, expense):
    configure(export_expenses=False)
    assert "Send to Xero" not in text(admin.get(f"/expenses/{expense.id}"))
    assert "Send selected to Xero" not in text(admin.get(f"/budgets/{expense.budget_id}"))
    response = post_send(admin, expense)
    assert response.status_code == 422 and "Sending expenses to Xero is off" in text(response)


def test_the_activity_log_names_the_expense(connected, admin, expense):
    post_send(admin, expense)
    page = admin.get("/settings/marketplace/xero/activity")
    assert page.status_code == 200
    assert f'href="/expenses/{expense.id}">Flyers, 500 copies</a>' in page.get_data(as_text=True)
    assert "Send expense as bill" in text(page)
