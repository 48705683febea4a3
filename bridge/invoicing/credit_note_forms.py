"""Forms of credit notes: the new credit note (from an invoice), and its Copy to Xero modal."""
import datetime as dt
from uuid import uuid4

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from bridge.billing.credit_notes import MAX_REASON, CreditNoteData
from bridge.currencies import IsoCurrency
from bridge.invoicing.forms import DecimalInput, IsoDateField, Present, options, strip, upper
from bridge.models import Invoice
from bridge.xero.sending.payloads import COPY_STATUSES

KINDS = [("whole", "The whole invoice"), ("lines", "Chosen lines"), ("amount", "An amount")]


class LineChoices(SelectMultipleField):
    """The invoice's lines as checkboxes; their ids as ints (the service checks they are the invoice's)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Any ids: the service says which are not the invoice's."""


class CreditNoteForm(FlaskForm):
    kind = RadioField("What to credit", choices=options(KINDS), default="whole",
                      validators=[DataRequired("Choose what to credit.")])
    line_ids = LineChoices("Lines to credit", coerce=int, choices=[])
    amount = DecimalInput("Amount before tax", description="Taxed at the rate of the invoice's first line.")
    reason = TextAreaField("Reason", filters=[strip], validators=[
        DataRequired("Say why the client is credited (it is printed on the credit note)."),
        Length(max=MAX_REASON, message=f"Keep the reason under {MAX_REASON:,} characters.")],
        description="Printed on the credit note.")
    currency = StringField("Currency", filters=[strip, upper], validators=[
        DataRequired("Enter the currency: the invoice's."), IsoCurrency()])
    issue_date = IsoDateField("Date", validators=[Present("Enter the credit note's date.")])

    @classmethod
    def for_invoice(cls, invoice: Invoice, formdata=None) -> "CreditNoteForm":
        """The form with the invoice's lines to choose from; new: its currency and today's date."""
        form = cls(formdata=formdata) if formdata is not None else cls(
            formdata=None, data={"currency": invoice.currency, "issue_date": max(dt.date.today(), invoice.issue_date)})
        form.line_ids.choices = options((line.id, line.description) for line in invoice.lines)
        return form

    def to_data(self, invoice_id: int) -> CreditNoteData:
        return CreditNoteData(invoice_id=invoice_id, kind=self.kind.data, reason=self.reason.data or "",
                              currency=self.currency.data or "", issue_date=self.issue_date.data,
                              line_ids=tuple(self.line_ids.data or ()), amount=self.amount.data)


class NoteCopyForm(FlaskForm):
    """One submit of a credit note's Copy to Xero; attempt_key is made when the modal opens."""

    attempt_key = HiddenField(validators=[DataRequired("This window is out of date: close it and open Copy to Xero again.")])
    action = HiddenField(validators=[AnyOf(("create", "update"), message="Choose Copy to Xero, Update existing or Create new.")])
    status = SelectField("Status in Xero", choices=options(COPY_STATUSES.items()), default="AUTHORISED",
                         validate_choice=False)

    @classmethod
    def opened(cls, action: str) -> "NoteCopyForm":
        return cls(formdata=None, data={"attempt_key": str(uuid4()), "action": action})

    def renew_key(self) -> None:
        self.attempt_key.data = str(uuid4())
