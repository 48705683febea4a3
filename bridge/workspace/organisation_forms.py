"""The form of Settings > Organisation: who issues the invoices, the logo, and the locale."""
from functools import cache
from io import BytesIO

from babel import Locale
from babel.localedata import locale_identifiers
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from PIL import Image, UnidentifiedImageError
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from bridge.fields import blank_to_none, strip

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 4000
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


@cache
def locale_choices() -> list[tuple[str, str]]:
    """Every locale Babel can name, by its English name: ('en_GB', 'English (United Kingdom)')."""
    names = {code: Locale.parse(code).get_display_name("en") for code in locale_identifiers()}
    return sorted(((code, name) for code, name in names.items() if name), key=lambda item: item[1].lower())


def read_logo(upload) -> tuple[bytes, str]:
    """The uploaded logo's bytes and content type; ValidationError when it is not a small PNG or JPEG."""
    data = upload.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(f"The logo is larger than {MAX_LOGO_BYTES // 1024} KB: "
                              "use a smaller PNG or JPEG (a few hundred pixels wide is plenty).")
    try:
        with Image.open(BytesIO(data)) as image:
            kind, size = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError("That file is not a PNG or JPEG image.") from None
    if kind not in LOGO_TYPES:
        raise ValidationError(f"That is a {kind} image: upload a PNG or JPEG.")
    if max(size) > MAX_LOGO_PIXELS:
        raise ValidationError(f"The logo is {size[0]} x {size[1]} pixels: use at most "
                              f"{MAX_LOGO_PIXELS} pixels on each side.")
    return data, LOGO_TYPES[kind]


class OrganisationForm(FlaskForm):
    """The agency's details as its invoices show them."""

    name = StringField("Legal name", [InputRequired("Give the name invoices are issued under."), Length(max=255)],
                       filters=[strip, blank_to_none],
                       description="As it appears at the top of every invoice.")
    address = TextAreaField("Address", filters=[strip, blank_to_none], render_kw={"rows": 4})
    tax_number = StringField("Tax number", [Length(max=50)], filters=[strip, blank_to_none],
                             description="VAT, GST or ABN, as your clients need it.")
    bank_details = TextAreaField("Bank details", filters=[strip, blank_to_none], render_kw={"rows": 4},
                                 description="Account name, IBAN or account number, BIC or sort code.")
    payment_terms = TextAreaField("Payment terms", filters=[strip, blank_to_none],
                                  description="Printed under the totals, e.g. Payment within 14 days.")
    logo = FileField("Upload a logo", description=f"PNG or JPEG, at most {MAX_LOGO_BYTES // 1024} KB.")
    remove_logo = BooleanField("Remove the logo")
    locale = SelectField("Language and region for money and dates",
                         invalid_choice_message="Choose a language and region from the list.",
                         description="How amounts and dates are written in Bridge and on its PDFs.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = locale_choices()
        self.logo_upload: tuple[bytes, str] | None = None

    def validate_logo(self, field):
        """Read and check the upload once; the view stores what is kept here."""
        if field.data and getattr(field.data, "filename", ""):
            self.logo_upload = read_logo(field.data)
