"""Forms for clients, settings lists, budgets and expenses, and the Expenses
page's filters."""
import datetime as dt
from decimal import Decimal

from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DateField, EmailField, Form, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from bridge.bounds import coerce_id
from bridge.extensions import db
from bridge.formatting import status_label
from bridge.models import (
    CUSTOM_FIELD_TYPES, PAYMENT_STATUSES, BillingEntity, Company, CustomField, CustomFieldValue, Expense, ServiceType,
    TaxRate,
)
from bridge.billing.service import active_choices
from bridge.fields import (
    MAX_MARKUP,
    MAX_MONEY,
    MAX_QUANTITY,
    Between,
    DecimalPlaces,
    ExactDecimalField,
    base_currency,
    blank_to_none,
    currency_choices,
    currency_field,
    optional_int,
    strip,
)
from bridge.workspace.expense_table import ExpenseFilters

PATTERN_REQUIRED = "Enter a pattern, e.g. {year}-{seq:04}."


def choose(what: str) -> dict:
    """A select's messages for a value that is not one of its options."""
    message = f"Choose {what} from the list."
    return {"invalid_choice_message": message, "invalid_value_message": message}


def name_taken(model, name: str, current=None) -> bool:
    """Whether another row of `model` already has this name, ignoring case (archived rows count)."""
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if current is not None and current.id is not None:
        query = query.where(model.id != current.id)
    return db.session.scalar(query.limit(1)) is not None


class UniqueNameForm(FlaskForm):
    """A form whose `name` must be unique, case-insensitively, among the `model` rows."""

    model: type
    noun: str

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.current = obj

    def taken_message(self, name: str) -> str:
        """The message shown when the name is already used."""
        return f"A {self.noun} named {name} already exists."

    def validate_name(self, field):
        if name_taken(self.model, field.data, self.current):
            raise ValidationError(self.taken_message(field.data))


class ClientForm(UniqueNameForm):
    model, noun = Company, "client"

    name = StringField("Name", [DataRequired("Enter the client's name."), Length(max=255)], filters=[strip])
    email = EmailField(
        "Email",
        [Optional(), Email("Enter a valid email address, like billing@example.com."), Length(max=255)],
        filters=[strip, blank_to_none],
    )
    tax_number = StringField("Tax number", [Length(max=50)], filters=[strip, blank_to_none])
    address = TextAreaField("Address", [Length(max=1000, message="Keep the address under 1,000 characters.")],
                            filters=[strip, blank_to_none])
    default_currency = currency_field("Default currency")
    # Shown when the workspace has several entities; None: the first entity.
    default_entity_id = SelectField("Default billing entity", coerce=optional_int, validate_choice=False,
                                    description="Its new invoices and budgets belong to this entity unless "
                                                "someone picks another.")

    def __init__(self, *args, obj=None, **kwargs):
        if obj is None:
            kwargs.setdefault("default_currency", base_currency())
        super().__init__(*args, obj=obj, **kwargs)
        self.default_currency.choices = currency_choices(obj.default_currency if obj else None)
        self.default_entity_id.choices = entity_choices()
        if self.default_entity_id.data is None and self.default_entity_id.choices:
            self.default_entity_id.data = int(self.default_entity_id.choices[0].value)

    def validate_default_entity_id(self, field):
        check_entity(field)


def _name_field(max_length: int = 120) -> StringField:
    return StringField("Name", [DataRequired("Enter a name."), Length(max=max_length)], filters=[strip])


class ServiceTypeForm(UniqueNameForm):
    model, noun = ServiceType, "service type"

    name = _name_field()


class TaxRateForm(UniqueNameForm):
    model, noun = TaxRate, "tax rate"

    name = _name_field()
    percentage = ExactDecimalField(
        "Percentage",
        [
            InputRequired("Enter the percentage, e.g. 20."),
            Between(Decimal(0), Decimal(100), "The percentage must be between 0 and 100."),
            DecimalPlaces(4),
        ],
    )


class CustomFieldForm(UniqueNameForm):
    model, noun = CustomField, "custom field"

    name = _name_field()
    field_type = SelectField(
        "Type", choices=[SelectChoice(t, t.capitalize()) for t in CUSTOM_FIELD_TYPES], **choose("a type")
    )
    options_text = TextAreaField("Options", [Length(max=5000, message="Keep the options under 5,000 characters.")],
                                 description="For select fields: one option per line.")

    def options(self) -> list[str]:
        """The non-blank option lines, trimmed."""
        return [line.strip() for line in (self.options_text.data or "").splitlines() if line.strip()]

    def validate_field_type(self, field):
        existing = self.current
        if existing is None or existing.id is None or field.data == existing.field_type:
            return
        used = db.session.scalar(
            select(func.count(CustomFieldValue.id)).where(CustomFieldValue.field_id == existing.id)
        )
        if used:
            invoices = "invoice" if used == 1 else "invoices"
            raise ValidationError(
                f"This field already has values on {used} {invoices}, so its type cannot be changed."
            )

    def validate_options_text(self, field):
        if self.field_type.data != "select":
            return
        options = self.options()
        if not options:
            raise ValidationError("A select field needs at least one option (one per line).")
        if len({o.lower() for o in options}) != len(options):
            raise ValidationError("Each option must be different.")
        existing = self.current
        if existing is not None and existing.id is not None and existing.field_type == "select":
            # Values are stored as the option's text; dropping one in use would orphan them.
            used = db.session.scalars(
                select(CustomFieldValue.value).where(CustomFieldValue.field_id == existing.id).distinct()
            )
            missing = sorted(set(used) - set(options))
            if missing:
                raise ValidationError(f"Still used on invoices, so keep: {', '.join(missing)}.")

    def populate_obj(self, obj):
        """Copy the fields, keeping options (normalised) only for select fields."""
        super().populate_obj(obj)
        obj.options_text = "\n".join(self.options()) if obj.field_type == "select" else None


class BudgetForm(FlaskForm):
    name = StringField("Name", [DataRequired("Enter the budget's name."), Length(max=255)], filters=[strip])
    client_id = SelectField("Client", coerce=optional_int, **choose("a client"))
    # Shown when the workspace has several entities; empty (a new budget): the client's default.
    entity_id = SelectField("Billing entity", coerce=optional_int, validate_choice=False,
                            description="Its expenses go to this entity's Xero organisation as bills.")
    currency = currency_field("Currency")

    def __init__(self, *args, obj=None, **kwargs):
        if obj is None:
            kwargs.setdefault("currency", base_currency())
        super().__init__(*args, obj=obj, **kwargs)
        self.current = obj
        self.client_id.choices = [SelectChoice("", "No client")] + company_choices()
        self.currency.choices = currency_choices(obj.currency if obj else None)
        empty = [] if obj is not None else [SelectChoice("", "The client's default entity")]
        self.entity_id.choices = empty + entity_choices()

    def validate_entity_id(self, field):
        check_entity(field)
        budget = self.current
        if budget is None or field.data is None or field.data == budget.entity_id:
            return
        live = db.session.scalar(select(func.count(Expense.id)).where(
            Expense.budget_id == budget.id, Expense.xero_status.is_not(None),
            Expense.xero_status.not_in(("VOIDED", "DELETED"))))
        if live:
            bills = "bill lives" if live == 1 else "bills live"
            raise ValidationError(f"{live} of its expenses' {bills} in {budget.entity.name}'s Xero organisation, "
                                  f"so this budget stays with {budget.entity.name}.")

    def populate_obj(self, obj):
        """Copy the fields; an entity left empty (or not offered) is not written over."""
        entity_id = self.entity_id.data
        super().populate_obj(obj)
        if entity_id is None:
            obj.entity_id = getattr(self.current, "entity_id", None)


class ExpenseForm(FlaskForm):
    description = StringField(
        "Description", [DataRequired("Enter a description."), Length(max=500)], filters=[strip]
    )
    reference = StringField(
        "Reference", [Length(max=60)], filters=[strip, blank_to_none],
        description="For example the supplier's bill number.",
    )
    supplier_id = SelectField("Supplier", coerce=optional_int, **choose("a supplier"))
    service_type_id = SelectField("Service type", coerce=optional_int, **choose("a service type"))
    quantity = ExactDecimalField(
        "Quantity",
        [
            InputRequired("Enter a quantity."),
            Between(Decimal(0), MAX_QUANTITY, "The quantity must be more than 0.", "The quantity is too large.",
                    low_open=True),
            DecimalPlaces(4),
        ],
        default=Decimal(1),
    )
    amount = ExactDecimalField(
        "Amount (net)",
        [
            InputRequired("Enter the amount."),
            Between(Decimal(0), MAX_MONEY, "The amount cannot be negative.", "The amount is too large."),
            DecimalPlaces(2),
        ],
        places=2,
    )
    markup_percent = ExactDecimalField(
        "Markup %",
        [
            InputRequired("Enter a markup, 0 for none."),
            Between(Decimal(0), MAX_MARKUP, "The markup cannot be negative.", "The markup must be below 1000 %."),
            DecimalPlaces(4),
        ],
        default=Decimal(0),
    )
    currency = currency_field("Currency")
    date = DateField("Date", [InputRequired("Enter the date.")], default=dt.date.today)
    due_date = DateField("Due date", [Optional()])

    def __init__(self, *args, budget, obj=None, **kwargs):
        if obj is None:
            kwargs.setdefault("currency", budget.currency)
        super().__init__(*args, obj=obj, **kwargs)
        self.supplier_id.choices = [SelectChoice("", "No supplier")] + company_choices()
        keep = obj.service_type_id if obj else None
        self.service_type_id.choices = [SelectChoice("", "None")] + [SelectChoice(*pair) for pair in active_choices(ServiceType, [keep])]
        self.currency.choices = currency_choices(budget.currency, obj.currency if obj else None)

    def validate_due_date(self, field):
        if field.data and self.date.data and field.data < self.date.data:
            raise ValidationError("The due date cannot be before the date.")


def entity_choices() -> list[SelectChoice]:
    """Every billing entity, in the order they were added, as select options."""
    rows = db.session.execute(select(BillingEntity.id, BillingEntity.name).order_by(BillingEntity.id))
    return [SelectChoice(str(id_), name) for id_, name in rows]


def check_entity(field) -> None:
    """An entity select's value is one of its options (or empty)."""
    if field.data is not None and str(field.data) not in {choice.value for choice in field.choices}:
        raise ValidationError("Choose a billing entity from the list.")


def company_choices() -> list[SelectChoice]:
    """Every company, by name, as select options."""
    rows = db.session.execute(select(Company.id, Company.name).order_by(func.lower(Company.name)))
    return [SelectChoice(str(id_), name) for id_, name in rows]


def optional_id(value) -> int | None:
    """Coerce a filter's id: '' (the empty option) is None; anything but an id is refused."""
    return None if value in (None, "") else coerce_id(value)


# The Xero filter's values: sent to Xero as a bill, or not.
IN_XERO = {"sent": True, "not_sent": False}


class ExpenseFilterForm(Form):
    """The Expenses page's filters, read from the query string (GET: no CSRF, a bookmark keeps
    them). A value that is not one of a filter's options is not used; the field says why."""

    budget = SelectField("Budget", coerce=optional_id, **choose("a budget"))
    supplier = SelectField("Supplier", coerce=optional_id, **choose("a supplier"))
    payment = SelectField(
        "Payment", default="", choices=[SelectChoice("", "Any payment")]
        + [SelectChoice(s, status_label(s)) for s in PAYMENT_STATUSES], **choose("a payment status"))
    xero = SelectField(
        "Xero", default="", choices=[SelectChoice("", "Sent or not"), SelectChoice("sent", "Sent to Xero"),
                         SelectChoice("not_sent", "Not sent to Xero")], **choose("sent or not sent"))

    def set_choices(self, budgets: list[tuple[str, str]]) -> None:
        """Fill the budget and supplier selects (every budget, every company)."""
        self.budget.choices = [SelectChoice("", "Any budget")] + [SelectChoice(*pair) for pair in budgets]
        self.supplier.choices = [SelectChoice("", "Any supplier")] + company_choices()

    def used(self, field):
        """A filter's value, or None when it is empty or was refused."""
        return None if field.errors else field.data or None

    def to_filters(self) -> ExpenseFilters:
        """The filters that can be used (call after validate)."""
        xero = self.used(self.xero)
        return ExpenseFilters(budget_id=self.used(self.budget), supplier_id=self.used(self.supplier),
                              payment_status=self.used(self.payment), in_xero=IN_XERO.get(xero))

    def query_args(self) -> dict:
        """The filters in use as query-string arguments, for page links."""
        return {name: (field.raw_data or [""])[0] for name, field in self._fields.items()
                if field.raw_data and field.raw_data[0] and not field.errors}
