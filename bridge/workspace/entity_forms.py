"""The form of Settings > Billing entities: who issues the invoices, its logo, base currency and
numbering. A name or a number pattern another entity already has is refused at the field."""
import re

from sqlalchemy import select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from flask_wtf.file import FileField

from bridge.billing.numbering import DEFAULT_CREDIT_NOTE_PATTERN, DEFAULT_PATTERN, pattern_error, render
from bridge.extensions import db
from bridge.fields import base_currency, blank_to_none, currency_choices, currency_field, strip
from bridge.models import BillingEntity
from bridge.workspace.forms import PATTERN_REQUIRED, UniqueNameForm
from bridge.workspace.organisation_forms import MAX_LOGO_BYTES, read_logo

PATTERN_HINT = "{year} is the issue year; {seq} the running number, {seq:04} padded to four digits."
# Two patterns that give the same first number give the same numbers: one sequence, one series.
_SAMPLE = (2026, 1)


def initials(name: str | None) -> str:
    """A prefix for the entity's numbers made of its name's ASCII initials: Harbour & Pine Ltd -> HPL."""
    letters = "".join(word[0] for word in re.findall(r"[A-Za-z0-9]+", name or ""))
    return letters[:4].upper() or "B"


class EntityForm(UniqueNameForm):
    """One billing entity's details as its invoices show them, and its numbering."""

    model, noun = BillingEntity, "billing entity"

    name = StringField("Legal name", [DataRequired("Give the name invoices are issued under."), Length(max=255)],
                       filters=[strip, blank_to_none],
                       description="As it appears at the top of every invoice of this entity.")
    address = TextAreaField("Address", filters=[strip, blank_to_none], render_kw={"rows": 4})
    tax_number = StringField("Tax number", [Length(max=50)], filters=[strip, blank_to_none],
                             description="VAT, GST or ABN, as your clients need it.")
    bank_details = TextAreaField("Bank details", filters=[strip, blank_to_none], render_kw={"rows": 4},
                                 description="Account name, IBAN or account number, BIC or sort code.")
    payment_terms = TextAreaField("Payment terms", filters=[strip, blank_to_none],
                                  description="Printed under the totals, e.g. Payment within 14 days.")
    logo = FileField("Upload a logo", description=f"PNG or JPEG, at most {MAX_LOGO_BYTES // 1024} KB.")
    remove_logo = BooleanField("Remove the logo")
    base_currency = currency_field("Base currency")
    invoice_number_pattern = StringField(
        "Invoice number pattern", [DataRequired(PATTERN_REQUIRED), Length(max=60)], filters=[strip],
        description=PATTERN_HINT)
    credit_note_number_pattern = StringField(
        "Credit note number pattern", [DataRequired("Enter a pattern, e.g. CN-{year}-{seq:04}."), Length(max=60)],
        filters=[strip],
        description="The same placeholders; e.g. CN-{year}-{seq:04}. Xero numbers them when Xero numbers invoices.")

    def __init__(self, *args, obj=None, **kwargs):
        if obj is None:
            kwargs.setdefault("base_currency", base_currency())
            kwargs.setdefault("invoice_number_pattern", DEFAULT_PATTERN)
            kwargs.setdefault("credit_note_number_pattern", DEFAULT_CREDIT_NOTE_PATTERN)
        super().__init__(*args, obj=obj, **kwargs)
        self.base_currency.choices = currency_choices(obj.base_currency if obj else None)
        self.logo_upload: tuple[bytes, str] | None = None

    def validate_logo(self, field):
        """Read and check the upload once; the view stores what is kept here."""
        if field.data and getattr(field.data, "filename", ""):
            self.logo_upload = read_logo(field.data)

    def validate_invoice_number_pattern(self, field):
        self._check_pattern(field, "invoice_number_pattern", "{year}-{seq:04}")

    def validate_credit_note_number_pattern(self, field):
        self._check_pattern(field, "credit_note_number_pattern", "CN-{year}-{seq:04}")

    def _check_pattern(self, field, column: str, tail: str) -> None:
        """The pattern is usable and gives numbers no other entity gives."""
        error = pattern_error(field.data)
        if error:
            raise ValidationError(error)
        query = select(BillingEntity.name, getattr(BillingEntity, column))
        if self.current is not None and self.current.id is not None:
            query = query.where(BillingEntity.id != self.current.id)
        mine = render(field.data, *_SAMPLE)
        for name, pattern in db.session.execute(query):
            if pattern and render(pattern, *_SAMPLE) == mine:
                example = f"{initials(self.name.data or (self.current.name if self.current else ''))}-{tail}"
                raise ValidationError(f"{name} already numbers with this pattern: give each entity its own, "
                                      f"e.g. {example}")
