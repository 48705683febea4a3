"""Void or delete an invoice with its live copies in Xero: the confirmation (a <dialog> for
HTMX, its own page otherwise) listing each copy and what happens to it, then the action. The
rules live in bridge.xero.invoices.voiding."""
import json

from flask import abort, flash, render_template, url_for
from flask_login import current_user

from bridge.invoicing import bp
from bridge.invoicing.responses import go_to, is_htmx, page_or_partial
from bridge.invoicing.void_forms import VoidForm
from bridge.xero.invoices.voiding import ALREADY_VOIDED, Outcome, end_invoice, plan_end


@bp.get("/invoices/<int:invoice_id>/void")
def void_dialog(invoice_id: int):
    """The confirmation: delete (a draft) or void, and each live copy's fate in Xero."""
    return _dialog(invoice_id, VoidForm.opened())


@bp.post("/invoices/<int:invoice_id>/void")
def void_submit(invoice_id: int):
    """Void or delete; a refusal keeps the dialog open (422) with why and what can be done."""
    form = VoidForm()
    if not form.validate():
        return _dialog(invoice_id, form, 422)
    try:
        outcome = end_invoice(invoice_id, attempt_key=form.attempt_key.data, user_id=current_user.id,
                              bridge_only=form.bridge_only.data)
    except LookupError:
        # A second submit of a delete that went through: the invoice is gone, as asked.
        flash("The invoice was deleted.", "success")
        return go_to(url_for("invoicing.index"))
    if not outcome.done:
        return _dialog(invoice_id, form, 422, outcome=outcome)
    flash(_done_message(outcome), "success")
    if outcome.action == "delete":
        return go_to(url_for("invoicing.index"))
    if is_htmx():
        # The page changes in several places (status, copy box, amounts): load it again.
        return "", 200, {"HX-Redirect": url_for("invoicing.show", invoice_id=invoice_id),
                         "HX-Trigger": json.dumps({"showMessage": _done_message(outcome)})}
    return go_to(url_for("invoicing.show", invoice_id=invoice_id))


def _done_message(outcome: Outcome) -> str:
    if outcome.action == "delete":
        return f"Invoice {outcome.number} was deleted, with its copies in Xero."
    if outcome.bridge_only:
        return f"Invoice {outcome.number} is voided in Bridge; its copies in Xero were left as they are."
    return f"Invoice {outcome.number} is voided, with its copies in Xero."


def _dialog(invoice_id: int, form: VoidForm, status: int = 200, outcome: Outcome | None = None):
    try:
        plan = plan_end(invoice_id)
    except LookupError:
        abort(404)
    if plan.invoice.voided and outcome is None:
        flash(ALREADY_VOIDED, "info")
        return go_to(url_for("invoicing.show", invoice_id=invoice_id))
    return page_or_partial("invoicing/void.html", "invoicing/_void_dialog.html", status,
                           plan=plan, form=form, outcome=outcome)
