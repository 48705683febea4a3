"""The logo checks of a billing entity's form, and the form of Settings > Language and region."""
from functools import cache
from io import BytesIO

from babel import Locale
from babel.localedata import locale_identifiers
from flask_wtf import FlaskForm
from PIL import Image, UnidentifiedImageError
from wtforms import SelectChoice, SelectField
from wtforms.validators import ValidationError

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


class LocaleForm(FlaskForm):
    """How money and dates are written, workspace-wide (Settings > Language and region)."""

    locale = SelectField("Language and region for money and dates",
                         invalid_choice_message="Choose a language and region from the list.",
                         description="How amounts and dates are written in Bridge and on its PDFs.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = [SelectChoice(code, name) for code, name in locale_choices()]
