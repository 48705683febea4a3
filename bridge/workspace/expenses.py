"""Expenses: every budget's expenses in one table (filters, the Xero column, Send to Xero for
the ticked ones), and one expense's page (its paid status, payments, "Record payment").
Expenses are added and edited from their budget (bridge.workspace.budgets)."""
from flask import abort, current_app, render_template, request, url_for

from bridge.bounds import page_number
from bridge.extensions import db
from bridge.invoicing.bill_views import box_context
from bridge.invoicing.recording import payments_context, record
from bridge.models import Budget, Expense
from bridge.workspace import bp, expense_table
from bridge.workspace.budgets import bills_context
from bridge.workspace.common import page_or_partial
from bridge.workspace.forms import ExpenseFilterForm


@bp.get("/expenses")
def expenses():
    """Every budget's expenses, newest first, filtered by the query string, one page at a time."""
    form = ExpenseFilterForm(request.args)
    form.set_choices(expense_table.budget_choices())
    form.validate()  # a refused filter is left out and says why at its field
    filters = form.to_filters()
    per_page = current_app.config.get("EXPENSES_PER_PAGE", 50)
    pagination = expense_table.expense_page(filters, page_number(), per_page)
    has_budgets = bool(pagination.total) or db.session.scalar(db.select(Budget.id).limit(1)) is not None
    return page_or_partial("workspace/expenses.html", "workspace/_expenses_table.html", form=form,
                           filters=filters, pagination=pagination, has_budgets=has_budgets,
                           xero=bills_context(pagination.items))


@bp.get("/expenses/<int:expense_id>")
def expense(expense_id: int):
    """An expense with its payments (from Xero, or recorded by hand)."""
    return expense_page(db.session.get(Expense, expense_id) or abort(404))


def expense_page(expense, payment_form=None) -> str:
    """The expense's page; `payment_form` shows a refused payment as it was typed."""
    payments = payments_context(expense, expense.currency,
                                url_for("workspace.record_expense_payment", expense_id=expense.id))
    payments["payment_form"] = payment_form or payments["payment_form"]
    return render_template("workspace/expense.html", **payments, **box_context(expense))


@bp.post("/expenses/<int:expense_id>/payments")
def record_expense_payment(expense_id: int):
    """Record money paid for an expense by hand."""
    expense = db.session.get(Expense, expense_id) or abort(404)
    return record(expense, expense.currency, url_for("workspace.expense", expense_id=expense.id), request.path,
                  page=lambda form: expense_page(db.session.get(Expense, expense_id), payment_form=form))
