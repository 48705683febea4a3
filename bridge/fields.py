"""Form building blocks shared by every blueprint's forms: exact decimals, bounds, optional ids,
currencies. Imports no other part of Bridge."""
from decimal import Decimal

from flask import current_app
from wtforms import DecimalField, SelectChoice, SelectField
from wtforms.validators import InputRequired, ValidationError

from bridge.bounds import is_plain_decimal
from bridge.currencies import IsoCurrency, currency_options

# The largest values the Money, Quantity and Percent columns hold.
MAX_MONEY = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("99999999.9999")
MAX_MARKUP = Decimal("999.9999")


def strip(value):
    """Trim surrounding whitespace from text input."""
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    """Store an empty optional text as NULL rather than ''."""
    return value or None


def optional_int(value) -> int | None:
    """Coerce a select's value to an id, with '' (the empty option) meaning None."""
    if value is None or value == "":
        return None
    return int(value)


def plain_number(value: Decimal | None) -> str:
    """A decimal without trailing zeros or exponent: 20.0000 -> '20', 7.50 -> '7.5'."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ExactDecimalField(DecimalField):
    """A DecimalField that refuses NaN/Infinity and shows stored values without padding zeros."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", None)
        kwargs.setdefault("invalid_value_message", "Enter a number, like 12.50.")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        # Decimal() also reads fullwidth and Arabic digits, "1_000" and "1e3": only plain ASCII here.
        if valuelist and valuelist[0] and valuelist[0].strip() and not is_plain_decimal(valuelist[0].strip()):
            self.data = None
            raise ValueError(self.invalid_value_message)
        super().process_formdata([v.strip() if isinstance(v, str) else v for v in valuelist])
        # Decimal() accepts "NaN" and "Infinity"; neither is an amount.
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message)

    def _value(self):
        if self.raw_data or self.places is not None:
            return super()._value()
        return plain_number(self.data)


class DecimalPlaces:
    """Refuse more decimal places than the column keeps, instead of rounding silently."""

    def __init__(self, places: int):
        self.places = places

    def __call__(self, form, field):
        if field.data is not None and -field.data.as_tuple().exponent > self.places:
            unit = "place" if self.places == 1 else "places"
            raise ValidationError(f"Use at most {self.places} decimal {unit}.")


class Between:
    """A Decimal range with clear messages; `low_open` makes the lower bound exclusive."""

    def __init__(self, low: Decimal, high: Decimal, message: str, too_high: str | None = None,
                 low_open: bool = False):
        self.low, self.high, self.low_open = low, high, low_open
        self.message, self.too_high = message, too_high or message

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        too_low = value <= self.low if self.low_open else value < self.low
        if too_low:
            raise ValidationError(self.message)
        if value > self.high:
            raise ValidationError(self.too_high)


def base_currency() -> str:
    """The workspace's base currency, the default for new clients and budgets."""
    return current_app.config["BRIDGE_BASE_CURRENCY"]


def currency_choices(*keep: str | None) -> list[SelectChoice]:
    """Every ISO 4217 currency (Babel's list), plus the base currency and codes already stored (`keep`)."""
    return currency_options(base_currency(), *keep)


def currency_field(label: str) -> SelectField:
    """A currency select: anything but an ISO 4217 code in use is refused, with the code named.

    A stored code that is not one stays offered, so the page shows it, but cannot be saved again.
    """
    return SelectField(label, validate_choice=False, validators=[InputRequired("Choose a currency."), IsoCurrency()])
