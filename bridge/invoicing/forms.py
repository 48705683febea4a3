"""Forms of the invoicing views: the invoice editor with its lines, and the table filters."""
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, FieldList, Form, FormField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import TextInput
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from bridge.bounds import is_plain_decimal
from bridge.billing.service import MAX_LINES, InvoiceData, LineData
from bridge.currencies import IsoCurrency
from bridge.invoicing.table import XERO_FILTERS, InvoiceFilters
from bridge.models import INVOICE_STATUSES, PAYMENT_STATUSES

# The largest values the columns hold: Money is Numeric(14, 2), Quantity Numeric(12, 4).
MONEY_MAX = Decimal("999999999999.99")
QUANTITY_MAX = Decimal("99999999.9999")
DATE_MESSAGE = "Enter a real date as YYYY-MM-DD."
NUMBER_MESSAGE = "Enter a number, e.g. 12.50."
NOTES_MAX = 5000  # characters; Xero keeps about as much in an invoice's notes


def strip(value):
    """Filter: surrounding spaces removed."""
    return value.strip() if isinstance(value, str) else value


def upper(value):
    """Filter: upper case (currency codes)."""
    return value.upper() if isinstance(value, str) else value


def plain_number(value: Decimal) -> str:
    """2.5000 -> '2.5', 1E+2 -> '100': how a stored decimal reads back in an input."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


class DecimalInput(DecimalField):
    """A decimal typed by a person: finite, at most `max_places` decimals; empty is None.

    Rendered as a text input (inputmode=decimal) so whatever is typed reaches the server
    and gets its message, instead of a number input silently sending nothing.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, max_places: int = 2, **kwargs):
        super().__init__(label, validators, places=None, **kwargs)
        self.max_places = max_places

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        self.data = None
        if not raw:
            return
        if not is_plain_decimal(raw):  # also refuses NaN, Infinity, 1e3, ١٢ and 1_000
            raise ValueError(NUMBER_MESSAGE)
        value = Decimal(raw)
        if -value.as_tuple().exponent > self.max_places:
            raise ValueError(f"Use at most {self.max_places} decimal places.")
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else plain_number(Decimal(self.data))


class IsoDateField(DateField):
    """A YYYY-MM-DD date; empty is None (a Present validator says it is needed)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, invalid_value_message=DATE_MESSAGE, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        if not text:
            self.data = None
            return
        super().process_formdata([text])


class Present:
    """Stop with `message` when the field is empty; a value that failed to parse keeps its own error."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(self.message)


class Between:
    """Refuse a value under `low` or over `high` (either may be None); empty values pass."""

    def __init__(self, low=None, high=None, message: str = ""):
        self.low, self.high, self.message = low, high, message

    def __call__(self, form, field):
        if field.data is None or field.process_errors:
            return
        if (self.low is not None and field.data < self.low) or (
            self.high is not None and field.data > self.high
        ):
            raise ValidationError(self.message)


class InChoices:
    """The submitted value must be one of the field's choices (the list may change per request)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(self.message)


def too_many_lines(count: int) -> str:
    return f"An invoice holds at most {MAX_LINES} lines; this one has {count}. Remove some or split it in two."


def options(pairs, empty_label: str | None = None, attrs: dict | None = None) -> list[SelectChoice]:
    """(value, label) pairs as select options, optionally after an empty one."""
    attrs = attrs or {}
    head = [SelectChoice("", empty_label)] if empty_label is not None else []
    return head + [SelectChoice(str(v), label, render_kw=attrs.get(str(v), {})) for v, label in pairs]


def optional_id(value: str | None) -> int | None:
    """A select's id value as an int, '' as None."""
    return int(value) if value else None


class LineForm(Form):
    """One invoice line; rendered as a table row named lines-<n>-<field>."""

    description = StringField(
        "Description", filters=[strip],
        validators=[DataRequired("Describe the line."), Length(max=500)],
    )
    quantity = DecimalInput(
        "Quantity", max_places=4, default=Decimal("1"),
        validators=[
            Present("Enter a quantity."),
            Between(low=0, message="The quantity cannot be negative."),
            Between(high=QUANTITY_MAX, message="That quantity is too large."),
        ],
    )
    unit_price = DecimalInput(
        "Unit price", max_places=2,
        validators=[
            Present("Enter a unit price."),
            Between(low=0, message="The unit price cannot be negative."),
            Between(high=MONEY_MAX, message="That price is too large."),
        ],
    )
    service_type_id = SelectField(
        "Service type", choices=[], default="", validate_choice=False,
        validators=[InChoices("Pick a service type from the list.")],
    )
    tax_rate_id = SelectField(
        "Tax rate", choices=[], default="", validate_choice=False,
        validators=[InChoices("Pick a tax rate from the list.")],
    )
    discount_percent = DecimalInput(
        "Discount %", max_places=4, default=Decimal("0"),
        validators=[Between(0, 100, "The discount must be between 0 and 100 %.")],
    )

    def validate_unit_price(self, field):
        """Quantity x price must fit the amount columns."""
        if self.quantity.data is not None and field.data is not None and not field.errors:
            if self.quantity.data * field.data > MONEY_MAX:
                raise ValidationError("This line's amount is too large.")

    def set_choices(self, service_types: list, tax_rates: list) -> None:
        """Fill the line's selects with (value, label) pairs."""
        self.service_type_id.choices = options(service_types, "—")
        self.tax_rate_id.choices = options(tax_rates, "No tax")

    def to_data(self) -> LineData:
        """The validated line for the service (the totals preview also reads lines whose
        service type was refused: that id is left out, it does not change the amounts)."""
        return LineData(
            description=self.description.data,
            quantity=self.quantity.data,
            unit_price=self.unit_price.data,
            discount_percent=self.discount_percent.data or Decimal("0"),
            service_type_id=None if self.service_type_id.errors else optional_id(self.service_type_id.data),
            tax_rate_id=optional_id(self.tax_rate_id.data),
        )


class InvoiceForm(FlaskForm):
    """The invoice header and its lines (lines-0-description, lines-1-…)."""

    client_id = SelectField(
        "Client", choices=[], default="", validate_choice=False,
        validators=[DataRequired("Pick a client."), InChoices("Pick a client from the list.")],
    )
    subject = StringField(
        "Subject", filters=[strip], validators=[DataRequired("Enter a subject."), Length(max=255)]
    )
    # Offered only when the workspace has several entities; empty (a new invoice): the client's default.
    # Not sent (one entity, an older page): a new invoice takes its client's, an edited one keeps its own.
    entity_id = SelectField("Billing entity", choices=[], default="", validate_choice=False)
    purchase_order_number = StringField(
        "Purchase order number", filters=[strip], validators=[Length(max=60)]
    )
    currency = StringField(
        "Currency", filters=[strip, upper],
        validators=[Optional(), IsoCurrency()],
        description="Empty: the client's currency.",
    )
    issue_date = IsoDateField("Issue date", validators=[Present("Enter the issue date.")])
    due_date = IsoDateField("Due date", validators=[Present("Enter the due date.")])
    notes = TextAreaField("Notes", filters=[strip], validators=[
        Length(max=NOTES_MAX, message=f"Keep the notes under {NOTES_MAX:,} characters.")])
    lines = FieldList(FormField(LineForm))

    def validate_entity_id(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Pick a billing entity from the list.")

    def validate_due_date(self, field):
        """The due date may not come before the issue date."""
        if field.data and self.issue_date.data and field.data < self.issue_date.data:
            raise ValidationError("The due date cannot be before the issue date.")

    def validate(self, extra_validators=None) -> bool:
        """Fields first, then the rule that an invoice has at least one line."""
        valid = super().validate(extra_validators)
        if not self.lines.entries:
            self.form_errors.append("Add at least one line.")
            valid = False
        if len(self.lines.entries) > MAX_LINES:
            self.form_errors.append(too_many_lines(len(self.lines.entries)))
            valid = False
        return valid

    def set_choices(self, choices, new: bool = False) -> None:
        """Fill the selects from an EditorChoices (service.editor_choices); a `new` invoice may
        leave its entity to its client's default."""
        # Each option carries its client's currency and default entity, which bridge.js shows.
        names = dict(choices.entities)
        entities = choices.client_entities
        attrs = {value: {"data-currency": code, "data-entity": names.get(entities.get(value), "")}
                 for value, code in choices.client_currencies.items()}
        self.client_id.choices = options(choices.clients, "Choose a client…", attrs)
        default = names.get(entities.get(self.client_id.data or ""))
        empty = (f"{default} (the client's default)" if default else "The client's default") if new else None
        self.entity_id.choices = options(choices.entities, empty)
        for entry in self.lines:
            entry.form.set_choices(choices.service_types, choices.tax_rates)

    def to_data(self) -> InvoiceData:
        """The validated invoice for the service."""
        return InvoiceData(
            client_id=int(self.client_id.data),
            subject=self.subject.data,
            purchase_order_number=self.purchase_order_number.data or None,
            currency=self.currency.data or None,
            issue_date=self.issue_date.data,
            due_date=self.due_date.data,
            notes=self.notes.data or None,
            lines=tuple(entry.form.to_data() for entry in self.lines),
            entity_id=optional_id(self.entity_id.data),
        )


class InvoiceFilterForm(Form):
    """The table's search and filters, read from the query string (GET: no CSRF)."""

    q = SearchField("Search", filters=[strip], render_kw={"placeholder": "Number, subject or client"},
                    validators=[Length(max=200, message="Search for at most 200 characters.")])
    client = SelectField(
        "Client", choices=[], default="", validate_choice=False,
        validators=[InChoices("Pick a client from the list.")],
    )
    entity = SelectField(
        "Billing entity", choices=[], default="", validate_choice=False,
        validators=[InChoices("Pick a billing entity from the list.")],
    )
    status = SelectField(
        "Status", default="", validate_choice=False,
        choices=options([(s, s.capitalize()) for s in INVOICE_STATUSES], "Any status"),
        validators=[InChoices("Pick a status from the list.")],
    )
    payment = SelectField(
        "Payment", default="", validate_choice=False,
        choices=options([(s, s.replace("_", " ").capitalize()) for s in PAYMENT_STATUSES], "Any payment"),
        validators=[InChoices("Pick a payment status from the list.")],
    )
    issued_from = IsoDateField("Issued from")
    issued_to = IsoDateField("Issued to")
    xero = SelectField(
        "Xero", default="", validate_choice=False,
        choices=options([(key, words) for key, (words, _) in XERO_FILTERS.items()], "Any"),
        validators=[InChoices("Pick a Xero state from the list.")],
    )

    def validate_issued_to(self, field):
        """The date range may not run backwards."""
        if field.data and self.issued_from.data and field.data < self.issued_from.data:
            raise ValidationError("The end date cannot be before the start date.")

    def to_filters(self) -> InvoiceFilters:
        """The validated filters for bridge.invoicing.table."""
        return InvoiceFilters(
            q=self.q.data or "",
            client_id=optional_id(self.client.data),
            entity_id=optional_id(self.entity.data),
            status=self.status.data or None,
            payment_status=self.payment.data or None,
            issued_from=self.issued_from.data,
            issued_to=self.issued_to.data,
            xero=self.xero.data or None,
        )

    def query_args(self) -> dict:
        """The filters as query-string arguments, for page links."""
        args = {name: (field.raw_data or [""])[0].strip() for name, field in self._fields.items()}
        return {name: value for name, value in args.items() if value}

