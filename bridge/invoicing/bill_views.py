"""Send to Xero for budget expenses: one expense from its page (the "Sent to Xero" box), and a
selection of expenses (on a budget's page, or the Expenses page), sent batch by batch while the
page shows the progress.
The rules live in bridge.xero.bills.send and bridge.xero.bills.batch."""
import json
from uuid import uuid4

from flask import abort, flash, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from bridge.errors import render_error
from bridge.extensions import db
from bridge.invoicing import bp
from bridge.invoicing.bill_forms import BatchForm, SelectionForm, SendForm
from bridge.invoicing.recording import payments_context
from bridge.invoicing.copy_forms import ResumeForm
from bridge.invoicing.responses import go_to, is_htmx
from bridge.models import Budget, Expense
from bridge.xero.bills import batch as bill_batch
from bridge.xero.bills import mapping as bill_mapping
from bridge.xero.bills import send as bills
from bridge.xero.settings.readiness import every_readiness, readiness
from bridge.xero.sending.attempt import CopyResult


def _expense_url(expense_id: int) -> str:
    return url_for("workspace.expense", expense_id=expense_id, _external=True)


@bp.get("/expenses/<int:expense_id>/xero")
def bill_state(expense_id: int):
    """The "Sent to Xero" box (refreshed after a send)."""
    expense = db.session.get(Expense, expense_id) or abort(404)
    return _box(expense)


@bp.post("/expenses/<int:expense_id>/xero")
def bill_send(expense_id: int):
    """Send the expense as a new bill, or update its last bill; the box answers (422: why not)."""
    expense = db.session.get(Expense, expense_id) or abort(404)
    form = SendForm()
    if not form.validate():
        message = " ".join(e for errors in form.errors.values() for e in errors)
        return _box(expense, 422, message=message)
    try:
        result = bills.send_expense(expense_id, attempt_key=form.attempt_key.data,
                                    action=form.action.data, user_id=current_user.id,
                                    source_url=_expense_url(expense_id))
    except LookupError:
        abort(404)
    return _answer(expense, result)


@bp.post("/expenses/<int:expense_id>/xero/resume")
def bill_resume(expense_id: int):
    """Check again on an attempt (in progress, or Xero's answer lost): its outcome or its recovery."""
    expense = db.session.get(Expense, expense_id) or abort(404)
    check = ResumeForm()
    if not check.validate():
        abort(400)
    try:
        result = bills.resume_send(expense_id, check.attempt_key.data, current_user.id)
    except LookupError:
        abort(404)
    return _answer(expense, result)


def _answer(expense: Expense, result: CopyResult):
    """The box after a send: the bill, still sending (202), or Xero's refusal verbatim (422)."""
    db.session.expire_all()
    expense = db.session.get(Expense, expense.id)
    if result.ok:
        verb = "sent to" if result.action == "create" else "updated in"
        message = f"Expense {expense.description} {verb} Xero as bill {result.xero_number or '(no number)'}."
        if not is_htmx():
            flash(message, "success")
            return go_to(url_for("workspace.expense", expense_id=expense.id))
        body, status = _box(expense)
        # The bill's total (with tax) is now what the expense's payments must cover: the
        # Payments section below the box shows the new amount due without a reload.
        payments = payments_context(expense, expense.currency,
                                    url_for("workspace.record_expense_payment", expense_id=expense.id))
        body += render_template("invoicing/_payments.html", document=expense, currency=expense.currency,
                                form=payments["payment_form"], action=payments["payment_action"],
                                oob=True)
        # billSent: the Receipts section shows which receipts reached the bill.
        return body, status, {"HX-Trigger": json.dumps({"showMessage": message, "billSent": True})}
    status = 202 if result.outcome == "in_progress" else 422
    if not is_htmx():
        flash(result.refusal.message if result.refusal else "Still sending to Xero.", "error")
        return go_to(url_for("workspace.expense", expense_id=expense.id))
    return _box(expense, status, result=result)


def _box(expense: Expense, status: int = 200, *, result: CopyResult | None = None,
         message: str | None = None):
    return render_template("invoicing/_bill_state.html", **box_context(expense), result=result,
                           message=message), status


def box_context(expense: Expense) -> dict:
    """What the "Sent to Xero" box shows (the expense page includes it)."""
    return {"expense": expense, "xero": bills.bill_state(expense, bills.readiness_of(expense)),
            "forms": _forms()}


def _forms() -> dict:
    """Fresh send forms (each with its own attempt key) for the box's buttons."""
    return {action: SendForm.fresh(action) for action in ("create", "update")}


# The same two steps serve a budget's page (its expenses only) and the Expenses page (any).
@bp.post("/expenses/xero", defaults={"budget_id": None})
@bp.post("/budgets/<int:budget_id>/xero")
def bills_start(budget_id: int | None):
    """Start sending the ticked expenses: show each with what it lacks (or its bill, when it was
    sent before: it is skipped), then send the others."""
    budget = db.get_or_404(Budget, budget_id) if budget_id is not None else None
    form = SelectionForm()
    # Nothing can be sent: the budget's entity (or, from the Expenses page, no entity) cannot send.
    whys = [bills.blocked(ready) for ready in ([readiness(budget.entity_id)] if budget else every_readiness())]
    if all(whys):
        return render_error(409, whys[0])
    if not form.validate():
        return render_template("invoicing/_bills_send.html", budget=budget, problem=" ".join(
            form.expense_ids.errors), rows=[], batch=None), 422
    expenses = db.session.scalars(_of_budget(select(Expense).where(
        Expense.id.in_(form.expense_ids.data)), budget).order_by(Expense.date, Expense.id)).all()
    ids = [e.id for e in expenses]
    # Each expense goes to its budget's billing entity's organisation, with that entity's mappings.
    by_expense = bills.readiness_by_expense(ids)
    entities = {ready.entity_id: ready for ready in by_expense.values()}
    whys = {entity_id: bills.blocked(ready) for entity_id, ready in entities.items()}
    if whys and all(whys.values()):
        return render_error(409, next(iter(whys.values())))
    choices = {entity_id: bills.choices(ready.settings)
               for entity_id, ready in entities.items() if whys[entity_id] is None}
    sent = bills.last_bills(ids)
    # Sent already, or a send not settled (its bill may be in Xero): a new attempt could make a
    # second bill. Another bill is a deliberate Create new, on the expense's page.
    unsure = {i: row for i, row in bills.unsettled(ids).items() if i not in sent}
    rows, items = [], []
    for expense in expenses:
        skipped = expense.id in sent or expense.id in unsure
        entity_id = by_expense[expense.id].entity_id
        missing = [] if skipped else [bill_mapping.Missing("xero", whys[entity_id])] if whys[entity_id] \
            else bill_mapping.missing_fields(expense, choices[entity_id])
        rows.append((expense, missing, sent.get(expense.id), unsure.get(expense.id)))
        if not missing and not skipped:
            items.append(f"{expense.id}:{uuid4()}")
    lacking = sum(1 for _, missing, _, _ in rows if missing)
    batch = BatchForm(formdata=None, data={"items": items, "total": len(rows), "already": len(sent),
                                           "unsure": len(unsure), "lacking": lacking, "sent": 0, "refused": 0})
    return render_template("invoicing/_bills_send.html", budget=budget, rows=rows, batch=batch, problem=None)


@bp.post("/expenses/xero/batch", defaults={"budget_id": None})
@bp.post("/budgets/<int:budget_id>/xero/batch")
def bills_batch(budget_id: int | None):
    """Send the next batch (up to 50 bills in one Xero call); answer with each expense's outcome,
    the progress, and the trigger of the next batch."""
    budget = db.get_or_404(Budget, budget_id) if budget_id is not None else None
    form = BatchForm()
    if not form.validate():
        abort(400)
    pairs = form.pairs()
    if budget is not None:
        mine = set(db.session.scalars(_of_budget(select(Expense.id).where(
            Expense.id.in_([i for i, _ in pairs])), budget)))
        pairs = [(i, key) for i, key in pairs if i in mine]
    now, rest = pairs[:bill_batch.BATCH_SIZE], pairs[bill_batch.BATCH_SIZE:]
    outcomes = bill_batch.send_batch(now, user_id=current_user.id, url_for_expense=_expense_url)
    counts = form.counts()
    made = sum(1 for item in outcomes if item.result.outcome == "done")
    counts.update(total=counts["total"] or len(pairs), sent=counts["sent"] + made,
                  refused=counts["refused"] + len(outcomes) - made)
    batch = BatchForm(formdata=None, data={"items": [f"{i}:{k}" for i, k in rest], **counts})
    return render_template("invoicing/_bills_batch.html", budget=budget, outcomes=outcomes, batch=batch)


def _of_budget(query, budget: Budget | None):
    """The query narrowed to the budget's expenses (none: every budget's)."""
    return query if budget is None else query.where(Expense.budget_id == budget.id)
