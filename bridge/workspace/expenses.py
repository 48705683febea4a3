"""One expense's page: what it is, its paid status and payments, and "Record payment"."""
from flask import abort, render_template, request, url_for

from bridge.extensions import db
from bridge.invoicing.recording import payments_context, record
from bridge.models import Expense
from bridge.workspace import bp


@bp.get("/expenses/<int:expense_id>")
def expense(expense_id: int):
    """An expense with its payments (from Xero, or recorded by hand)."""
    return expense_page(db.session.get(Expense, expense_id) or abort(404))


def expense_page(expense, payment_form=None) -> str:
    """The expense's page; `payment_form` shows a refused payment as it was typed."""
    payments = payments_context(expense, expense.currency,
                                url_for("workspace.record_expense_payment", expense_id=expense.id))
    payments["payment_form"] = payment_form or payments["payment_form"]
    # Imported here: bridge.invoicing imports this package (through bridge.fields).
    from bridge.invoicing.bill_views import box_context

    return render_template("workspace/expense.html", **payments, **box_context(expense))


@bp.post("/expenses/<int:expense_id>/payments")
def record_expense_payment(expense_id: int):
    """Record money paid for an expense by hand."""
    expense = db.session.get(Expense, expense_id) or abort(404)
    return record(expense, expense.currency, url_for("workspace.expense", expense_id=expense.id), request.path,
                  page=lambda form: expense_page(db.session.get(Expense, expense_id), payment_form=form))
