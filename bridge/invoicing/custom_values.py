"""Custom field values on invoices: checked by the field's type, stored as text."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bridge.bounds import is_plain_decimal
from bridge.extensions import db
from bridge.formatting import day
from bridge.models import CustomField, CustomFieldValue, Invoice

MAX_TEXT = 1000


class CustomValueError(ValueError):
    """A value the field's type refuses; the message is shown in the cell."""


def clean_value(field: CustomField, raw: str | None) -> str | None:
    """The text to store for `raw` typed into `field`; None clears it. Raises CustomValueError."""
    text = (raw or "").strip()
    if not text:
        return None
    if field.field_type == "number":
        return _clean_number(text)
    if field.field_type == "date":
        return _clean_date(text).isoformat()
    if field.field_type == "select":
        if text not in field.options:
            raise CustomValueError(f"Pick one of: {', '.join(field.options) or '(no options yet)'}.")
        return text
    if len(text) > MAX_TEXT:
        raise CustomValueError(f"Keep it under {MAX_TEXT:,} characters.")
    return text


def _clean_number(text: str) -> str:
    """A decimal written plainly in ASCII digits (not 1E+3, ١٢ or 1_000), normalised."""
    if not is_plain_decimal(text):
        raise CustomValueError("Enter a number, e.g. 12.5.")
    return format(Decimal(text), "f")


def _clean_date(text: str) -> dt.date:
    """A YYYY-MM-DD date that exists (2026-02-30 does not)."""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CustomValueError("Enter a real date as YYYY-MM-DD.") from None


def display_value(field: CustomField, value: str | None) -> str:
    """A stored value as the table shows it (dates as the `day` filter writes them)."""
    if not value:
        return ""
    if field.field_type == "date":
        try:
            return day(_clean_date(value))
        except CustomValueError:
            return value
    return value


def editable_field(field_id: int) -> CustomField | None:
    """The field if its values may be edited (it exists and is not archived)."""
    field = db.session.get(CustomField, field_id)
    return field if field is not None and not field.archived else None


def current_value(invoice_id: int, field_id: int) -> str | None:
    """The stored value of one cell, or None."""
    return db.session.scalar(
        select(CustomFieldValue.value).where(
            CustomFieldValue.invoice_id == invoice_id, CustomFieldValue.field_id == field_id
        )
    )


def set_value(invoice: Invoice, field: CustomField, raw: str | None) -> str | None:
    """Check and save (or clear) one value; returns what is stored. Nothing changes on error."""
    value = clean_value(field, raw)
    try:
        _write(invoice.id, field.id, value)
        db.session.commit()
    except IntegrityError:
        # Someone saved the same cell at the same moment: their row exists now, so update it.
        db.session.rollback()
        _write(invoice.id, field.id, value)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return value


def _write(invoice_id: int, field_id: int, value: str | None) -> None:
    """Insert, update or delete the cell's row (flushed, not committed)."""
    row = db.session.scalar(
        select(CustomFieldValue).where(
            CustomFieldValue.invoice_id == invoice_id, CustomFieldValue.field_id == field_id
        )
    )
    if value is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(CustomFieldValue(invoice_id=invoice_id, field_id=field_id, value=value))
    else:
        row.value = value
    db.session.flush()
