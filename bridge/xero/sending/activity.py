"""The Xero activity log: every operation Bridge performed in Xero, who asked, what was sent,
Xero's answer (trimmed) and the outcome.

record() adds a row to the session; the caller commits it with whatever the operation
changed, so the log and the change are one transaction.
"""
import json
from datetime import date, datetime
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bridge.extensions import db
from bridge.models import XeroActivity
from bridge.models.copies import ACTIVITY_OUTCOMES

# Xero's answers can be long (an invoice with its lines, contacts, payments): enough is
# kept to see what happened, not a copy of Xero.
TEXT_LIMIT = 4000
OPERATIONS = {
    "copy": "Copy invoice", "update": "Update copy", "recover": "Look for a lost copy",
    "note": "History note", "pdf": "Fetch PDF", "contact": "Create contact",
    "bill": "Send expense as bill", "bill_update": "Update bill", "credit_note": "Copy credit note",
    "credit_note_update": "Update credit note", "allocate": "Allocate credit", "contact_lookup": "Find contact",
    "attachment": "Upload file",
}


def record(operation: str, outcome: str, summary: str, *, tenant_id: str | None = None,
           user_id: int | None = None, invoice_id: int | None = None,
           expense_id: int | None = None, request: object = None,
           response: object = None, credit_note_id: int | None = None) -> XeroActivity:
    """Add one entry to the session (the caller commits); request/response hold no secrets."""
    if outcome not in ACTIVITY_OUTCOMES:
        raise ValueError(f"outcome must be one of {ACTIVITY_OUTCOMES}")
    entry = XeroActivity(
        operation=operation, outcome=outcome, summary=summary[:1000], tenant_id=tenant_id,
        user_id=user_id, invoice_id=invoice_id, expense_id=expense_id, credit_note_id=credit_note_id,
        request=as_text(request), response=as_text(response),
    )
    db.session.add(entry)
    return entry


def as_text(value: object, limit: int = TEXT_LIMIT) -> str | None:
    """A payload or an answer as JSON text, cut at `limit` characters (None stays None)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=_plain, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: object) -> object:
    """JSON for what Xero's decoded answers hold: Decimal, dates, bytes."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def for_invoice(invoice_id: int, limit: int = 10) -> list[XeroActivity]:
    """The newest entries of one invoice, with who did them."""
    return list(db.session.scalars(
        select(XeroActivity).where(XeroActivity.invoice_id == invoice_id)
        .options(joinedload(XeroActivity.user))
        .order_by(XeroActivity.at.desc(), XeroActivity.id.desc()).limit(limit)
    ))


def for_expense(expense_id: int, limit: int = 10) -> list[XeroActivity]:
    """The newest entries of one expense (its bills), with who did them."""
    return list(db.session.scalars(
        select(XeroActivity).where(XeroActivity.expense_id == expense_id)
        .options(joinedload(XeroActivity.user))
        .order_by(XeroActivity.at.desc(), XeroActivity.id.desc()).limit(limit)
    ))


def page(outcome: str | None, number: int, per_page: int = 25) -> Pagination:
    """One page of the whole log, newest first, optionally only one outcome."""
    statement = select(XeroActivity).options(
        joinedload(XeroActivity.user), joinedload(XeroActivity.invoice), joinedload(XeroActivity.expense))
    if outcome in ACTIVITY_OUTCOMES:
        statement = statement.where(XeroActivity.outcome == outcome)
    statement = statement.order_by(XeroActivity.at.desc(), XeroActivity.id.desc())
    return db.paginate(statement, page=max(number, 1), per_page=per_page, error_out=False,
                       count=True)


def label(operation: str) -> str:
    """What people read for an operation."""
    return OPERATIONS.get(operation, operation.replace("_", " ").capitalize())
