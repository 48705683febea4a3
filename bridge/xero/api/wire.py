"""JSON to and from Xero: money as Decimal, dates as date/datetime, never float."""
import json
from datetime import date
from decimal import Decimal
from uuid import UUID

from bridge.xero.api.dates import format_date, is_xero_date, parse_xero_date, parse_xero_datetime

# Fields the spec marks x-is-msdate-time (instants); every other /Date()/ field is a
# calendar day (x-is-msdate: Date, DueDate, FullyPaidOnDate, …). Names ending in "UTC"
# (the envelope's DateTimeUTC too) are instants as well.
DATETIME_FIELDS = frozenset({"CreatedDateUTC", "DateUTC", "UpdatedDateUTC", "DateTimeUTC"})

# Fields the spec marks x-is-money. Xero writes them with decimals (1500.00), which
# parse_float turns into Decimal; an integer (500) is converted here, so money is
# always Decimal.
MONEY_FIELDS = frozenset({
    "Amount", "AmountCredited", "AmountDue", "AmountPaid", "AppliedAmount", "BankAmount",
    "CISDeduction", "CISRate", "CurrencyRate", "Discount", "DiscountAmount", "DiscountRate",
    "DisplayTaxRate", "EffectiveRate", "GrossAmount", "LineAmount", "NetAmount",
    "Outstanding", "Overdue", "Quantity", "QuantityOnHand", "Rate", "RemainingCredit",
    "SubTotal", "TaxAmount", "Total", "TotalAmount", "TotalCostPool", "TotalDiscount",
    "TotalTax", "UnitAmount", "UnitPrice",
})


def decode(content: bytes | str) -> object:
    """Parse a Xero JSON body: floats as Decimal, /Date()/ strings as date or datetime."""
    # Each object is converted as the parser finishes it (object_hook), its values knowing
    # their keys; nested objects arrive converted already.
    return _convert_top(json.loads(content, parse_float=Decimal, object_hook=_convert_object))


def _convert_object(obj: dict) -> dict:
    for key, value in obj.items():
        kind = type(value)
        if kind is str:
            if value.startswith("/Date("):
                obj[key] = _date_value(value, key)
        elif kind is int:
            if key in MONEY_FIELDS:
                obj[key] = Decimal(value)
        elif kind is list and value:
            obj[key] = [_in_list(item, key) for item in value]
    return obj


def _in_list(value: object, key: str) -> object:
    """A list item under key: objects are converted already, dates and money are not."""
    kind = type(value)
    if kind is str and value.startswith("/Date("):
        return _date_value(value, key)
    if kind is int and key in MONEY_FIELDS:
        return Decimal(value)
    if kind is list:
        return [_in_list(item, key) for item in value]
    return value


def _date_value(value: str, key: str | None) -> object:
    """A /Date()/ string as a datetime (instant fields) or a date; anything else unchanged."""
    if not is_xero_date(value):
        return value
    if key in DATETIME_FIELDS or (key or "").endswith("UTC"):
        return parse_xero_datetime(value)
    return parse_xero_date(value)


def _convert_top(value: object) -> object:
    """A body that is not an object (a list, a date string) is converted without a key."""
    if isinstance(value, list):
        return [_convert_top(item) if not isinstance(item, dict) else item for item in value]
    if isinstance(value, str) and value.startswith("/Date("):
        return _date_value(value, None)
    return value


def encode(payload: object) -> bytes:
    """A request body: Decimal as an exact JSON number, dates as YYYY-MM-DD, UUIDs as text.

    A None value leaves its field out: the spec's fields are not nullable, and "not set"
    is what callers mean by it (to blank a text field in Xero, send "").
    """
    return json.dumps(_without_none(payload), default=_encode_value, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _without_none(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_without_none(v) for v in value]
    return value


def _encode_value(value: object) -> object:
    if isinstance(value, Decimal):
        # The JSON encoder writes numbers only from float; refuse a Decimal that a float
        # cannot carry exactly (none of Bridge's Numeric(14, 2) amounts is such a one).
        number = float(value)
        if not value.is_finite() or Decimal(repr(number)) != value:
            raise ValueError(f"{value} cannot be sent to Xero exactly")
        return number
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be sent to Xero as JSON")


def as_guid(value) -> str:
    """A Xero id as text; refuses anything that is not a GUID before it reaches Xero."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise ValueError(f"not a Xero id: {value!r}") from None


def flag(value: bool) -> str:
    """A boolean query parameter as Xero spells it."""
    return "true" if value else "false"
