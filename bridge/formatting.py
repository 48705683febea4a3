"""Template filters: money, dates and status labels shown the same way everywhere."""
from datetime import date, datetime
from decimal import Decimal

from flask import Flask

STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "unpaid": "Unpaid",
    "partially_paid": "Partially paid",
    "paid": "Paid",
}


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """1234.5 -> '1,234.50', with the currency code in front when given."""
    if amount is None:
        return ""
    text = f"{Decimal(amount):,.2f}"
    return f"{currency} {text}" if currency else text


def day(value: date | datetime | None) -> str:
    """A date as 25 Nov 2026."""
    if value is None:
        return ""
    return value.strftime("%d %b %Y").lstrip("0")


def moment(value: datetime | None) -> str:
    """A UTC time as 25 Nov 2026 14:05 UTC."""
    if value is None:
        return ""
    return value.strftime("%d %b %Y %H:%M UTC").lstrip("0")


def status_label(value: str | None) -> str:
    return STATUS_LABELS.get(value or "", (value or "").replace("_", " ").capitalize())


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(day)
    app.add_template_filter(moment)
    app.add_template_filter(status_label)
