"""Template filters: money, dates and status labels shown the same way everywhere, written by
Babel for the workspace's locale (Settings > Organisation; default en)."""
from datetime import date, datetime, timezone
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, format_percent
from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import select

from bridge.currencies import currency_label, iso_currencies
from bridge.extensions import db
from bridge.models import WorkspaceSettings

DEFAULT_LOCALE = "en"
STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "voided": "Voided",
    "unpaid": "Unpaid",
    "partially_paid": "Partially paid",
    "paid": "Paid",
}


def _stored_locale() -> Locale:
    """The workspace's locale from the database; en when unset or unknown to Babel."""
    code = db.session.scalar(select(WorkspaceSettings.locale).where(WorkspaceSettings.id == 1))
    try:
        return Locale.parse(code or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def current_locale() -> Locale:
    """The locale to write money and dates in: read once per request, en outside the app."""
    if not has_app_context():
        return Locale.parse(DEFAULT_LOCALE)
    # Once per request, or per app context for work outside requests (a PDF, a job): every
    # money and date on a page or an invoice of hundreds of lines asks.
    scope = request if has_request_context() else g
    if not hasattr(scope, "bridge_locale"):
        scope.bridge_locale = _stored_locale()
    return scope.bridge_locale


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """1234.5 -> '1,234.50'; with a currency, as the locale writes it ('€1,234.50' in en)."""
    if amount is None:
        return ""
    locale = current_locale()
    if currency:
        return format_currency(Decimal(amount), currency, locale=locale)
    return format_decimal(Decimal(amount), format="#,##0.00", locale=locale)


def number(value: Decimal | None) -> str:
    """A quantity without padding zeros: 7.5000 -> '7.5' (en), '7,5' (de)."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="#,##0.####", locale=current_locale())


def percent(value: Decimal | None) -> str:
    """A percentage held as 15 or 12.5 -> '15%', '12.5%' (en); '15 %' (de)."""
    if value is None:
        return ""
    return format_percent(Decimal(value) / 100, format="#,##0.####%", locale=current_locale())


def day(value: date | datetime | None) -> str:
    """A date in the locale's medium form: Nov 25, 2026 (en), 25 Nov 2026 (en_GB)."""
    if value is None:
        return ""
    return format_date(value, format="medium", locale=current_locale())


def moment(value: datetime | None) -> str:
    """A UTC time as Nov 25, 2026, 2:05 PM UTC (en)."""
    if value is None:
        return ""
    locale = current_locale()
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    when = get_datetime_format("medium", locale=locale).replace("{1}", format_date(value, "medium", locale=locale))
    return when.replace("{0}", format_time(value, "short", tzinfo=timezone.utc, locale=locale)) + " UTC"


def status_label(value: str | None) -> str:
    return STATUS_LABELS.get(value or "", (value or "").replace("_", " ").capitalize())


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(percent)
    app.add_template_filter(number)
    app.add_template_filter(day)
    app.add_template_filter(moment)
    app.add_template_filter(status_label)
    app.add_template_global(iso_currencies)
    app.add_template_global(currency_label)
