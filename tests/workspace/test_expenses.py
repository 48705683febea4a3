"""Expenses, booked and edited inside their budget; each bad input refused at its field."""
import datetime as dt
from decimal import Decimal

import pytest

from bridge.extensions import db
from bridge.models import Expense, Payment, utcnow
from tests.workspace.conftest import count, field_errors, make_budget, make_company, make_expense, make_service_type

VALID = {
    "description": "Stock photos", "reference": "BILL-42", "supplier_id": "", "service_type_id": "",
    "quantity": "2", "amount": "150.25", "markup_percent": "10", "currency": "EUR",
    "date": "2026-03-01", "due_date": "2026-03-31",
}


@pytest.fixture
def budget(app):
    return make_budget("Website", currency="GBP")


def test_new_expense_form_has_sensible_defaults(admin, budget):
    page = admin.get(f"/budgets/{budget.id}/expenses/new").get_data(as_text=True)
    assert '<input id="quantity" name="quantity" required step="any" type="number" value="1">' in page
    assert '<input id="markup_percent" name="markup_percent" required step="any" type="number" value="0">' in page
    assert f'<input id="date" name="date" required type="date" value="{dt.date.today():%Y-%m-%d}">' in page
    assert '<option selected value="GBP">' in page


def test_only_active_service_types_are_offered(admin, budget):
    make_service_type("Design")
    make_service_type("Old thing", archived=True)
    page = admin.get(f"/budgets/{budget.id}/expenses/new").get_data(as_text=True)
    assert "Design" in page and "Old thing" not in page


def test_book_an_expense(admin, budget):
    supplier = make_company("Photo Stock Inc")
    design = make_service_type("Design")
    response = admin.post(
        f"/budgets/{budget.id}/expenses/new",
        data={**VALID, "supplier_id": str(supplier.id), "service_type_id": str(design.id)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/budgets/{budget.id}"
    expense = db.session.scalar(db.select(Expense))
    assert expense.budget_id == budget.id
    assert (expense.description, expense.reference) == ("Stock photos", "BILL-42")
    assert (expense.supplier_id, expense.service_type_id) == (supplier.id, design.id)
    assert (expense.quantity, expense.amount, expense.markup_percent) == (Decimal("2"), Decimal("150.25"), Decimal("10"))
    assert (expense.currency, expense.date, expense.due_date) == ("EUR", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert (expense.payment_status, expense.amount_paid) == ("unpaid", Decimal("0"))


def test_optional_fields_may_be_left_empty(admin, budget):
    response = admin.post(f"/budgets/{budget.id}/expenses/new", data={**VALID, "reference": "", "due_date": ""})
    assert response.status_code == 302
    expense = db.session.scalar(db.select(Expense))
    assert expense.reference is None and expense.due_date is None and expense.supplier_id is None


def test_due_date_on_the_date_is_fine(admin, budget):
    response = admin.post(f"/budgets/{budget.id}/expenses/new", data={**VALID, "due_date": VALID["date"]})
    assert response.status_code == 302


@pytest.mark.parametrize("values, message", [
    ({"description": ""}, "Enter a description."),
    ({"amount": ""}, "Enter the amount."),
    ({"amount": "ten"}, "Enter a number, like 12.50."),
    ({"amount": "-0.01"}, "The amount cannot be negative."),
    ({"amount": "1000000000000000"}, "The amount is too large."),
    ({"amount": "1e15"}, "Enter a number, like 12.50."),  # issue 18: plain decimals only
    ({"amount": "10.001"}, "Use at most 2 decimal places."),
    ({"amount": "NaN"}, "Enter a number, like 12.50."),
    ({"quantity": "0"}, "The quantity must be more than 0."),
    ({"quantity": "-1"}, "The quantity must be more than 0."),
    ({"quantity": "100000000"}, "The quantity is too large."),
    ({"quantity": "1.23456"}, "Use at most 4 decimal places."),
    ({"quantity": "two"}, "Enter a number, like 12.50."),
    ({"markup_percent": "-5"}, "The markup cannot be negative."),
    ({"markup_percent": "1000"}, "The markup must be below 1000 %."),
    ({"markup_percent": "lots"}, "Enter a number, like 12.50."),
    ({"currency": "BTC"}, "BTC is not an ISO 4217 currency: choose one from the list, e.g. EUR, USD or GBP."),
    ({"supplier_id": "999"}, "Choose a supplier from the list."),
    ({"service_type_id": "999"}, "Choose a service type from the list."),
    ({"date": ""}, "Enter the date."),
    ({"date": "2026-02-30"}, "Not a valid date value."),
    ({"date": "yesterday"}, "Not a valid date value."),
    ({"due_date": "2026-13-01"}, "Not a valid date value."),
    ({"due_date": "2026-02-28"}, "The due date cannot be before the date."),
])
def test_bad_input_is_refused_at_the_field(admin, budget, values, message):
    response = admin.post(f"/budgets/{budget.id}/expenses/new", data={**VALID, **values})
    assert response.status_code == 422
    assert field_errors(response) == [message]
    assert count(Expense) == 0


def test_archived_service_type_is_refused_on_a_new_expense(admin, budget):
    old = make_service_type("Old thing", archived=True)
    response = admin.post(f"/budgets/{budget.id}/expenses/new", data={**VALID, "service_type_id": str(old.id)})
    assert response.status_code == 422
    assert field_errors(response) == ["Choose a service type from the list."]


def test_edit_an_expense(admin, budget):
    expense = make_expense(budget, "10.00", description="Fonts", quantity=Decimal("1"))
    page = admin.get(f"/expenses/{expense.id}/edit").get_data(as_text=True)
    assert 'value="Fonts"' in page and 'value="10.00"' in page and "On the budget Website" in page
    response = admin.post(f"/expenses/{expense.id}/edit", data={**VALID, "description": "Font licence", "amount": "12"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/budgets/{budget.id}"
    db.session.expire_all()
    expense = db.session.get(Expense, expense.id)
    assert (expense.description, expense.amount, expense.budget_id) == ("Font licence", Decimal("12.00"), budget.id)


def test_edit_keeps_an_archived_service_type_it_already_has(admin, budget):
    old = make_service_type("Old thing", archived=True)
    expense = make_expense(budget, service_type=old)
    assert "Old thing (archived)" in admin.get(f"/expenses/{expense.id}/edit").get_data(as_text=True)
    response = admin.post(f"/expenses/{expense.id}/edit", data={**VALID, "service_type_id": str(old.id)})
    assert response.status_code == 302


def test_refused_edit_changes_nothing(admin, budget):
    expense = make_expense(budget, "10.00")
    response = admin.post(f"/expenses/{expense.id}/edit", data={**VALID, "amount": "-3"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Expense, expense.id).amount == Decimal("10.00")


def test_changing_the_amount_refreshes_the_payment_status(admin, budget):
    expense = make_expense(budget, "100.00")
    db.session.add(Payment(expense_id=expense.id, amount=Decimal("50.00"), date=dt.date(2026, 3, 5)))
    db.session.add(Payment(expense_id=expense.id, amount=Decimal("30.00"), date=dt.date(2026, 3, 6),
                           deleted_at=utcnow()))
    db.session.commit()
    response = admin.post(f"/expenses/{expense.id}/edit", data={**VALID, "amount": "50.00"})
    assert response.status_code == 302
    db.session.expire_all()
    expense = db.session.get(Expense, expense.id)
    assert (expense.amount_paid, expense.payment_status) == (Decimal("50.00"), "paid")


def test_htmx_save_gets_hx_redirect(admin, budget, hx):
    response = admin.post(f"/budgets/{budget.id}/expenses/new", data=VALID, headers=hx)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/budgets/{budget.id}"


def test_unknown_expense_is_404(admin):
    assert admin.get("/expenses/999/edit").status_code == 404
    assert admin.post("/expenses/999/edit", data=VALID).status_code == 404
