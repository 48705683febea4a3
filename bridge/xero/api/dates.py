"""Xero's date formats, to and from Python, always in UTC (XERO_API_NOTES.md §4).

Xero sends instants and calendar days alike as Microsoft JSON dates,
``/Date(1518685950940+0000)/``: milliseconds since the Unix epoch (UTC), possibly
negative (before 1970), with an optional offset that only says which zone the value was
displayed in; it does not move the instant. Calendar days (Date, DueDate, …) are
midnight UTC of that day: converting them to local time would shift the day.
"""
import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# /connections sends ISO times without a zone and with seven fractional digits.
_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")


def is_xero_date(value: object) -> bool:
    """Whether value is a string in Xero's /Date(…)/ form."""
    return isinstance(value, str) and _MS_DATE.match(value) is not None


def parse_xero_datetime(value: str) -> datetime:
    """An aware UTC datetime from /Date(ms)/ or /Date(ms+hhmm)/ (the offset is ignored)."""
    match = _MS_DATE.match(value)
    if match is None:
        raise ValueError(f"not a Xero /Date()/ value: {value!r}")
    # Integer arithmetic: exact to the millisecond, and fine before 1970 on every platform.
    return _EPOCH + timedelta(milliseconds=int(match.group(1)))


def parse_xero_date(value: str) -> date:
    """The calendar day of a Xero date-only field, taken in UTC (never local time)."""
    return parse_xero_datetime(value).date()


def parse_iso_utc(value: str) -> datetime:
    """An aware UTC datetime from an ISO string; a string without a zone is UTC."""
    text = _ISO_FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_date(day: date) -> str:
    """A calendar day as Xero wants it in requests: YYYY-MM-DD."""
    if isinstance(day, datetime):
        # A datetime would need a zone to pick its day; make the caller choose the date.
        raise TypeError("send a date, not a datetime, as a Xero date")
    return day.isoformat()


def format_if_modified_since(instant: datetime) -> str:
    """An If-Modified-Since value: UTC, whole seconds, marked Z (2026-03-01T09:00:00Z).

    The spec types the header as an RFC 3339 date-time (its example carries an offset, and
    Xero's own SDKs send one); older docs quoted in the notes show no zone at all. Whole
    seconds, because Xero compares at one-second resolution anyway (notes §3.6).
    """
    if instant.tzinfo is None:
        raise ValueError("modified_since must be an aware datetime")
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP Date header (RFC 9110, always GMT) as an aware UTC datetime; None if absent or
    unreadable (the header only refines how far back the payment sync looks)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else None
