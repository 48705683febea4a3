"""Xero's wire format: the envelope, /Date()/ values, money as JSON numbers, error bodies."""
import datetime as dt
import json
import re
import secrets
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import Response, current_app, g

from bridge.xero_sandbox import clock

_MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
# Decimals leave json.dumps as marked strings and are put back as bare numbers, so money
# keeps its two places (40.00) as in Xero's responses; the nonce keeps user text unaffected.
_NONCE = secrets.token_hex(8)
_DECIMAL_MARK = re.compile(r'"\\u0000' + _NONCE + r':(-?\d+(?:\.\d+)?)"')

CENT = Decimal("0.01")
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class BadValue(ValueError):
    """A request value that cannot be read (a date, a number)."""


def money(value) -> Decimal:
    """Round to cents, half up, as Xero rounds each line."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def places(value, dp: int) -> Decimal:
    """Round to dp decimal places, half up (quantities 4, rates 4 or 6)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def to_decimal(value, field: str) -> Decimal:
    """Read a number sent as JSON number or numeric string."""
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise BadValue(f"{field} must be a number") from exc
    if not result.is_finite():
        raise BadValue(f"{field} must be a number")
    return result


def _epoch_ms(instant: dt.datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding)."""
    delta = instant - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def msdate(instant: dt.datetime) -> str:
    """An instant as /Date(ms+0000)/ (UpdatedDateUTC and the like)."""
    return f"/Date({_epoch_ms(instant)}+0000)/"


def msdate_plain(instant: dt.datetime) -> str:
    """An instant as /Date(ms)/, the envelope's DateTimeUTC form."""
    return f"/Date({_epoch_ms(instant)})/"


def msdate_day(day: dt.date) -> str:
    """A calendar date as midnight UTC in /Date(ms+0000)/ form."""
    return msdate(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc))


def day_string(day: dt.date) -> str:
    """The DateString companion: ISO date at midnight, no zone."""
    return f"{day.isoformat()}T00:00:00"


def utc_string(instant: dt.datetime) -> str:
    """The UpdatedDateUTCString companion: ISO seconds with Z."""
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_seven(instant: dt.datetime) -> str:
    """The /connections form: ISO without zone, seven fractional digits."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def parse_instant(text: str) -> dt.datetime:
    """Read /Date(ms±zzzz)/ or ISO 8601 (no zone = UTC) into an aware UTC datetime."""
    text = (text or "").strip()
    found = _MSDATE.match(text)
    if found:
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        return epoch + dt.timedelta(milliseconds=int(found.group(1)))
    found = _ISO_DATE.match(text)
    if not found:
        raise BadValue(f"'{text}' is not a date")
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError as exc:
        raise BadValue(f"'{text}' is not a date") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def parse_day(text: str) -> dt.date:
    """Read a request date: YYYY-MM-DD, an ISO datetime (its calendar day) or /Date()/ (UTC day)."""
    text = (text or "").strip() if isinstance(text, str) else text
    if not isinstance(text, str):
        raise BadValue(f"'{text}' is not a date")
    if _MSDATE.match(text):
        return parse_instant(text).date()
    found = _ISO_DATE.match(text)
    if not found:
        raise BadValue(f"'{text}' is not a date")
    try:
        return dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError as exc:
        raise BadValue(f"'{text}' is not a date") from exc


def _default(value):
    """json.dumps hook: mark Decimals so they come out as bare numbers."""
    if isinstance(value, Decimal):
        return f"\u0000{_NONCE}:{format(value, 'f')}"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(payload) -> str:
    """JSON text with Decimals written as numbers keeping their scale."""
    text = json.dumps(payload, default=_default, ensure_ascii=False)
    return _DECIMAL_MARK.sub(r"\1", text)


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response (UTF-8), as Xero sends it."""
    response = Response(dumps(payload), status=status, mimetype="application/json")
    response.charset = "utf-8"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def provider_name() -> str:
    """ProviderName: the calling app's name (Xero echoes the app's name)."""
    client = current_app.config["SANDBOX_CLIENTS"].get(getattr(g, "client_id", None) or "", {})
    return client.get("name") or getattr(g, "client_id", None) or "Xero Sandbox"


def envelope(collection: str, items: list, pagination: dict | None = None, warnings=None) -> dict:
    """Wrap a collection in Xero's response envelope."""
    body = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider_name(),
        "DateTimeUTC": msdate_plain(clock.now()),
    }
    if pagination is not None:
        body["pagination"] = pagination
    if warnings:
        body["Warnings"] = warnings
    body[collection] = items
    return body


def ok(collection: str, items: list, pagination: dict | None = None) -> Response:
    """A 200 response carrying a collection in the envelope."""
    return json_response(envelope(collection, items, pagination))


def validation_exception(elements: list) -> dict:
    """The 400 ValidationException body; each element echoes the object with its errors."""
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": elements,
    }


def error_body(error_number: int, error_type: str, message: str) -> dict:
    """A non-validation Accounting error (bad JSON, bad query) in the Error schema's shape."""
    return {"ErrorNumber": error_number, "Type": error_type, "Message": message, "Elements": []}


def problem(status: int, title: str, detail: str) -> Response:
    """The problem-details body Xero uses for auth, tenant and gateway errors (notes §6.2)."""
    body = {
        "Type": None, "Title": title, "Status": status, "Detail": detail,
        "Instance": str(uuid.uuid4()), "Extensions": {},
    }
    return json_response(body, status)


def not_found() -> Response:
    """404 for an unknown route or record.

    UNCONFIRMED: real Xero's 404 body is not in the spec; a problem-details body is used.
    """
    return problem(404, "Not Found", "The resource you're looking for cannot be found")
