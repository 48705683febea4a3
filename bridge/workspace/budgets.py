"""Budgets and their expenses (expenses are only edited from inside their budget)."""
from collections import defaultdict
from decimal import Decimal

from flask import flash, render_template, request, url_for
from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import contains_eager, selectinload

from bridge.extensions import db
from bridge.billing.entities import all_entities
from bridge.billing.payments import refresh_payment_status
from bridge.models import ZERO, BillingEntity, Budget, Company, Expense
from bridge.workspace import bp
from bridge.workspace.common import redirect_to
from bridge.workspace.forms import BudgetForm, ExpenseForm
from bridge.xero.bills import mapping as bill_mapping
from bridge.xero.bills import send as bills
from bridge.xero.settings.readiness import readiness


def budgets_with_totals(ready: ColumnElement[bool] | None = None):
    """Every budget with its client, expense count and total, in one query; with `ready` (the
    expenses ready for Xero), only the budgets that have some, with how many.

    The total adds only expenses in the budget's currency (adding EUR to USD means
    nothing); `other_currency_count` says how many were left out.
    """
    same_currency = Expense.currency == Budget.currency
    query = (
        select(
            Budget,
            func.count(Expense.id).label("expense_count"),
            func.coalesce(func.sum(case((same_currency, Expense.amount))), 0).label("total"),
            func.count(case((~same_currency, Expense.id))).label("other_currency_count"),
            (func.count(case((ready, Expense.id))) if ready is not None else literal(0)).label("ready_count"),
        )
        .outerjoin(Budget.client)
        .outerjoin(Expense, Expense.budget_id == Budget.id)
        .options(contains_eager(Budget.client))
        # Grouping by both primary keys lets PostgreSQL return the budget and client columns.
        .group_by(Budget.id, Company.id)
        .order_by(Budget.created_at.desc(), Budget.id.desc())
    )
    if ready is not None:
        query = query.where(Budget.id.in_(select(Expense.budget_id).where(ready)))
    return db.session.execute(query).all()


@bp.get("/budgets")
def budgets():
    """All budgets with their expense counts and totals; ?xero=ready: those with expenses ready for Xero."""
    ready = bills_ready() if request.args.get("xero") == "ready" else None
    # Several billing entities: the list names each budget's (one more small query).
    names = {entity.id: entity.name for entity in all_entities()}
    return render_template("workspace/budgets.html", rows=budgets_with_totals(ready), ready_only=ready is not None,
                           entity_names=names if len(names) > 1 else {})


def bills_ready() -> ColumnElement[bool] | None:
    """Which expenses are ready to be sent as bills, or None when nothing can be sent now."""
    # Imported here: bridge.xero imports bridge.invoicing, which imports this package.
    from bridge.xero.bills import send as bills

    return bills.ready_to_send_anywhere()


@bp.route("/budgets/new", methods=["GET", "POST"])
def budget_new():
    """Start a budget."""
    return save_budget(BudgetForm(), Budget())


@bp.route("/budgets/<int:budget_id>/edit", methods=["GET", "POST"])
def budget_edit(budget_id: int):
    """Rename a budget or change its client or currency."""
    budget = db.get_or_404(Budget, budget_id)
    return save_budget(BudgetForm(obj=budget), budget)


def save_budget(form: BudgetForm, budget: Budget):
    """Show the form, or save it and open the budget; 422 with the errors when refused."""
    if form.validate_on_submit():
        form.populate_obj(budget)
        db.session.add(budget)
        db.session.commit()
        flash(f"Budget {budget.name} saved.", "success")
        return redirect_to(url_for("workspace.budget", budget_id=budget.id))
    status = 422 if form.is_submitted() else 200
    return render_template("workspace/budget_form.html", form=form, budget=budget), status


def totals_by_currency(expenses: list[Expense], lead: str) -> list[tuple[str, Decimal]]:
    """The sum of the expenses' amounts per currency, `lead` (the budget's) first."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for expense in expenses:
        totals[expense.currency] += expense.amount
    return sorted(totals.items(), key=lambda item: (item[0] != lead, item[0]))


@bp.get("/budgets/<int:budget_id>")
def budget(budget_id: int):
    """A budget with its expenses."""
    budget = db.get_or_404(Budget, budget_id)
    expenses = db.session.scalars(
        select(Expense)
        .where(Expense.budget_id == budget.id)
        .options(selectinload(Expense.supplier), selectinload(Expense.service_type))
        .order_by(Expense.date, Expense.id)
    ).all()
    totals = totals_by_currency(expenses, budget.currency)
    several_entities = db.session.scalar(select(func.count(BillingEntity.id))) > 1
    return render_template("workspace/budget.html", budget=budget, expenses=expenses, totals=totals,
                           xero=bills_context(expenses, budget.entity_id), several_entities=several_entities)


def bills_context(expenses: list[Expense], entity_id: int | None = None) -> dict:
    """The Xero column of a table of expenses: whether sending is on (for the billing entity of
    any of their budgets; with no expenses, for `entity_id`'s), each sent expense's bill (number
    and status as Xero holds them), what each of the others lacks, and those whose entity cannot
    send now ("blocked")."""
    sent = bills.bills_in_xero([e.id for e in expenses])
    by_expense = bills.readiness_by_expense([e.id for e in expenses])
    if not by_expense:
        on = bills.blocked(readiness(entity_id)) is None
        return {"on": on, "sent": sent, "missing": {}, "blocked": set()}
    entities = {ready.entity_id: ready for ready in by_expense.values()}
    choices = {entity_id: bills.choices(ready.settings)
               for entity_id, ready in entities.items() if bills.blocked(ready) is None}
    if not choices:
        return {"on": False, "sent": sent, "missing": {}, "blocked": set()}
    missing, blocked = {}, set()
    for expense in expenses:
        entity_id = by_expense[expense.id].entity_id
        if entity_id not in choices:
            blocked.add(expense.id)
        elif expense.id not in sent:
            missing[expense.id] = bill_mapping.missing_fields(expense, choices[entity_id])
    return {"on": True, "sent": sent, "missing": missing, "blocked": blocked}


@bp.route("/budgets/<int:budget_id>/expenses/new", methods=["GET", "POST"])
def budget_expense_new(budget_id: int):
    """Book an expense on a budget."""
    budget = db.get_or_404(Budget, budget_id)
    # Not attached to the budget yet: a refused form must leave nothing for autoflush to write.
    return save_expense(ExpenseForm(budget=budget), Expense(), budget)


@bp.route("/expenses/<int:expense_id>/edit", methods=["GET", "POST"])
def budget_expense_edit(expense_id: int):
    """Change an expense."""
    expense = db.get_or_404(Expense, expense_id)
    return save_expense(ExpenseForm(budget=expense.budget, obj=expense), expense, expense.budget)


def save_expense(form: ExpenseForm, expense: Expense, budget: Budget):
    """Show the form, or save it and go back to the budget; 422 with the errors when refused."""
    if form.validate_on_submit():
        form.populate_obj(expense)
        expense.budget_id = budget.id
        # A new amount can settle (or reopen) an expense that already has payments.
        refresh_payment_status(expense)
        db.session.add(expense)
        db.session.commit()
        flash("Expense saved.", "success")
        return redirect_to(url_for("workspace.budget", budget_id=budget.id))
    status = 422 if form.is_submitted() else 200
    return render_template("workspace/expense_form.html", form=form, expense=expense, budget=budget), status
