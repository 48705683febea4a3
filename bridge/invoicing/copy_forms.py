"""Forms of the Copy to Xero modal: the copy itself, and a new Xero contact."""
from uuid import uuid4

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from bridge.invoicing.forms import InChoices, options, strip
from bridge.xero.invoices.copy import Decisions
from bridge.xero.invoices.options import Contact, ModalData
from bridge.xero.sending.payloads import COPY_STATUSES

SEPARATOR = "|"


class ContactField(StringField):
    """A radio group's value "<ContactID>|<name>": the id is sent to Xero, the name redisplayed."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "") or ""
        contact_id, _, name = raw.partition(SEPARATOR)
        self.data = Contact(contact_id.strip(), name.strip()) if contact_id.strip() else None


class CopyForm(FlaskForm):
    """One submit of the modal; attempt_key is made when the modal opens and kept on retries."""

    attempt_key = HiddenField(validators=[DataRequired("This window is out of date: close it and open Copy to Xero again.")])
    action = HiddenField(validators=[AnyOf(("create", "update"), message="Choose Copy to Xero, Update existing or Create new.")])
    contact = ContactField("Xero contact")
    tax_type = SelectField("Tax rate in Xero", choices=[], validate_choice=False,
                           validators=[DataRequired("Choose a tax rate."),
                                       InChoices("Choose one of Xero's tax rates for sales.")])
    # Shown only when the settings say Manual; the copy service checks the value.
    status = SelectField("Status in Xero", choices=options(COPY_STATUSES.items()), default="DRAFT",
                         validate_choice=False)
    # Confirmations the copy service asks for (bridge.xero.invoices.copy.Decisions).
    accept_difference = BooleanField("Copy with Xero's total")
    earlier = RadioField("Earlier copies in Xero", choices=[("end", "End them first"), ("keep", "Keep them")],
                         validate_choice=False)
    bill_twice = BooleanField("I understand the client may be billed twice")
    # The branding theme of this copy: "" is Xero's default; absent (None), the settings' theme.
    branding_theme_id = SelectField("Branding theme in Xero", choices=[], default=None, validate_choice=False)

    def decisions(self) -> Decisions:
        return Decisions(accept_difference=bool(self.accept_difference.data), earlier=self.earlier.data or "",
                         bill_twice=bool(self.bill_twice.data))

    @classmethod
    def opened(cls, modal: ModalData) -> "CopyForm":
        """The form as the modal opens: a new attempt key and the preselected choices."""
        form = cls(formdata=None, data={
            "attempt_key": str(uuid4()), "action": modal.action, "contact": modal.contact,
            "tax_type": modal.tax_type or "", "branding_theme_id": modal.theme_id,
        })
        form.offer(modal)
        return form

    def offer(self, modal: ModalData) -> None:
        """The choices the modal offers (Xero's tax rates for sales and themes, from the cache)."""
        self.tax_type.choices = options([(o.value, o.label) for o in modal.tax_options],
                                        "Choose a tax rate")
        self.branding_theme_id.choices = options([(t.value, t.label) for t in modal.themes],
                                                 "Xero's default theme")

    def renew_key(self) -> None:
        """A refused attempt is over: the next submit is a new attempt."""
        self.attempt_key.data = str(uuid4())


class NewContactForm(FlaskForm):
    """A new Xero contact, prefilled from the client; the person may edit name, email, tax number."""

    attempt_key = HiddenField()
    new_contact_name = StringField("Name", filters=[strip],
                                   validators=[DataRequired("Give the new contact a name."), Length(max=255)])
    new_contact_email = StringField("Email", filters=[strip], validators=[Length(max=255)])
    new_contact_tax_number = StringField("Tax number", filters=[strip], validators=[Length(max=50)])


class ResumeForm(FlaskForm):
    """Check again on one attempt (by its key)."""

    attempt_key = HiddenField(validators=[DataRequired()])
