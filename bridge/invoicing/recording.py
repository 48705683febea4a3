"""Recording a payment by hand on an invoice (bridge.invoicing.routes) or an expense
(bridge.workspace.expenses).

The payment stays in Bridge, labelled "manual": nothing is sent to Xero, and the payment
sync never changes it.
"""
import datetime as dt

from flask import flash, render_template
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from bridge.extensions import db
from bridge.formatting import money
from bridge.billing.payments import record_manual_payment
from bridge.invoicing.responses import go_to, is_htmx
from bridge.models import ZERO
from bridge.fields import MAX_MONEY, Between, DecimalPlaces, ExactDecimalField, blank_to_none, strip


class PaymentForm(FlaskForm):
    """Amount, date and reference of money received or paid; at most what is still due."""

    amount = ExactDecimalField("Amount", [
        InputRequired("Enter the amount paid."),
        Between(ZERO, MAX_MONEY, "Enter an amount above zero.", "The amount is too large.",
                low_open=True),
        DecimalPlaces(2),
    ], places=2)
    date = DateField("Date paid", [InputRequired("Enter the date it was paid.")], default=dt.date.today)
    reference = StringField("Reference", [Length(max=255)], filters=[strip, blank_to_none],
                            description="For example the bank transfer's reference.")

    def __init__(self, *args, document=None, currency: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.document, self.currency = document, currency

    def validate_amount(self, field):
        """Bridge refuses to record more than is due, as Xero does."""
        due = self.document.amount_due if self.document is not None else None
        if field.data is not None and due is not None and field.data > due:
            raise ValidationError(f"That is more than the amount due ({money(due, self.currency)}).")


def record(document, currency: str, back_to: str, action: str, page):
    """Record the posted payment and go back to the document; 422 with the form's errors.

    HTMX gets the payments section with the errors, a plain form post the whole document's
    page (`page(form)`), so what was typed stays in both; success reloads the page, so the
    status, totals and list all show the new payment.
    """
    form = PaymentForm(document=document, currency=currency)
    if form.validate_on_submit():
        record_manual_payment(document, form.amount.data, form.date.data, form.reference.data)
        flash(f"Payment of {money(form.amount.data, currency)} recorded in Bridge "
              "(not sent to Xero).", "success")
        return go_to(back_to)
    db.session.rollback()
    context = {"document": document, "currency": currency, "form": form, "action": action}
    if is_htmx():
        return render_template("invoicing/_payments.html", **context), 422
    return page(form), 422


def payments_context(document, currency: str, action: str) -> dict:
    """The page's payment_form (starting at the amount still due) and payment_action, for
    `{% with form=payment_form, action=payment_action, … %}` around _payments.html."""
    form = PaymentForm(formdata=None, document=document, currency=currency)
    if document.amount_due > 0:
        form.amount.data = document.amount_due
    return {"payment_form": form, "payment_action": action}
