"""Credit notes against the Xero sandbox over real HTTP: the copy fixtures (Demo Company (NZ)
connected, set up, an invoice of two lines at GST 15%), plus helpers that copy the invoice
approved, make a credit note in Bridge, copy it and run the payment sync."""
import datetime as dt
from uuid import uuid4

from sqlalchemy import select

from bridge.billing.credit_notes import CreditNoteData, create_credit_note
from bridge.extensions import db
from bridge.models import CreditNote, XeroCopy, XeroSettings, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.sync.payments import sync_organisation
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.conftest import (  # noqa: F401  (fixtures)
    admin, configure, connected, fresh_budget, invoice, member, no_waiting, northwind, post_copy,
    recorded, sandbox, text, workspace, xero,
)


def copy_invoice_approved(http, invoice) -> XeroCopy:
    """Copy the invoice to Xero as Approved (AUTHORISED) with Northwind Studio as its contact."""
    configure(initial_status="AUTHORISED")
    response = post_copy(http, invoice, contact=northwind())
    assert response.status_code == 200, text(response)
    db.session.expire_all()
    return db.session.scalar(select(XeroCopy).where(XeroCopy.invoice_id == invoice.id, XeroCopy.state == "done"))


def credit_lines(invoice, *positions: int, reason: str = "Two lines not delivered") -> CreditNote:
    """A Bridge credit note of the invoice's lines at these positions."""
    db.session.expire_all()
    ids = tuple(invoice.lines[p].id for p in positions) if positions else ()
    return create_credit_note(CreditNoteData(
        invoice_id=invoice.id, kind="lines" if positions else "whole", reason=reason,
        currency=invoice.currency, issue_date=dt.date(2026, 3, 9), line_ids=ids))


def post_note_copy(http, note, *, key: str | None = None, action: str = "create", **fields):
    data = {"attempt_key": key or str(uuid4()), "action": action, **fields}
    return http.post(f"/credit-notes/{note.id}/xero/copy", data=data, headers={"HX-Request": "true"})


def xero_credit_note(xero_id: str) -> dict:
    with XeroClient(NZ_TENANT) as client:
        return client.get_credit_note(xero_id)


def xero_invoice(xero_id: str) -> dict:
    with XeroClient(NZ_TENANT) as client:
        return client.get_invoice(xero_id)


def sync_now():
    """Payment sync on from before the copies, then one run, as Sync now does."""
    settings = db.session.get(XeroSettings, 1)
    if not settings.sync_payments:
        settings.sync_payments = True
        settings.payments_synced_since = utcnow() - dt.timedelta(hours=1)
        db.session.commit()
    db.session.expire_all()
    result = sync_organisation(NZ_TENANT, trigger="test")
    db.session.expire_all()
    return result


def note_copy(note) -> XeroCopy | None:
    db.session.expire_all()
    return db.session.scalar(select(XeroCopy).where(XeroCopy.credit_note_id == note.id, XeroCopy.state == "done")
                             .order_by(XeroCopy.id.desc()).limit(1))
