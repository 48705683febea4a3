"""One copy attempt against Xero: send it under its attempt key, record Xero's answer, and
recover an attempt whose answer was lost (bridge.xero.invoices.copy explains the design).

A row is an invoice's copy (ACCREC), an expense's bill (ACCPAY, row.expense_id) or a credit
note's copy (ACCRECCREDIT, row.credit_note_id): the sending, the recovery and the bookkeeping
are the same; which Xero calls send it, and what is done with Xero's answer, is its
DocumentKind's (bridge.xero.bills.send finishes a bill, bridge.xero.credit_notes.copy a note).

Every function takes a XeroCopy row id and commits before it calls Xero, so no database
transaction stays open while Xero is asked.
"""
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import current_app
from sqlalchemy import and_, or_, update

from bridge.extensions import db
from bridge.models import CreditNote, Expense, Invoice, XeroCopy, utcnow
from bridge.xero.api import transport
from bridge.xero.api import wire
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import (
    XeroAuthorisationLost, XeroError, XeroNotFound, XeroRateLimited, XeroValidationError,
)
from bridge.xero.sending import activity, ledger
from bridge.xero.sending.explain import Refusal, details, refusal
from bridge.xero.settings.readiness import xero_invoice_url

# Xero answered, and nothing was created or changed: the attempt is over.
FINAL_ERRORS = (XeroValidationError, XeroRateLimited, XeroAuthorisationLost, XeroNotFound)
# How far back (before the attempt) to list a contact's invoices when looking for a lost copy.
RECOVERY_WINDOW = timedelta(minutes=10)
LEASE_MARGIN = 60.0


@dataclass(frozen=True)
class CopyResult:
    """What happened: done, failed, unknown (answer lost), in_progress, or refused (bad input)."""

    outcome: str
    action: str
    copy_id: int | None = None
    xero_id: str | None = None
    xero_number: str | None = None
    xero_status: str | None = None
    xero_url: str | None = None
    refusal: Refusal | None = None
    # For refused input: the modal field it belongs to.
    field: str | None = None
    # Said after a success: a number Bridge could not take, a note or a PDF that failed.
    notes: tuple[str, ...] = ()
    started_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "done"

    @property
    def offer_create_new(self) -> bool:
        """Whether Create new is the way on (Xero keeps the old copy as it is)."""
        return self.refusal is not None and self.refusal.kind in ("locked", "not_found")


@dataclass(frozen=True)
class Plan:
    """One copy worked out from the invoice (or expense), the settings and the choices."""

    tenant_id: str
    invoice_id: int | None
    action: str
    # The document's own choices (bridge.xero.invoices.mapping.CopyChoices, bills.mapping.BillChoices).
    choices: Any
    payload: dict | None
    target: str | None
    note: str | None
    expense_id: int | None = None
    credit_note_id: int | None = None
    # Earlier copies (Xero InvoiceIDs) to void or delete before this one is sent
    # (bridge.xero.sending.ending).
    ending: tuple[str, ...] = ()


def _create_invoice(client: XeroClient, payload: dict, key: str) -> dict:
    return client.create_invoices([payload], summarize_errors=False, idempotency_key=key)[0]


def _update_invoice(client: XeroClient, target: str, payload: dict, key: str) -> dict:
    return client.update_invoice(target, payload, idempotency_key=key)


def _get_invoice(client: XeroClient, target: str) -> dict:
    return client.get_invoice(target)


@dataclass(frozen=True)
class DocumentKind:
    """What only one kind of document knows. Its package registers it (bridge.xero.invoices.copy,
    bridge.xero.bills.send, bridge.xero.credit_notes.copy), so this shared machinery never
    imports its users. The Xero calls default to /Invoices' (invoices and bills)."""

    name: str
    # The POST that makes the Xero document `current` (as Xero sent it) match ours now.
    update_payload: Callable[[Plan, dict], dict]
    # Xero has the document (row, Xero's element, user id, activity operation): record the rest.
    finish: Callable[[XeroCopy, dict, int | None, str], "CopyResult"]
    # The calls that create (PUT), update (POST) and read the Xero document.
    create: Callable[[XeroClient, dict, str], dict] = _create_invoice
    update: Callable[[XeroClient, str, dict, str], dict] = _update_invoice
    get: Callable[[XeroClient, str], dict] = _get_invoice
    # The lost create's document in Xero, if it is there (client, payload, since).
    find: Callable[[XeroClient, dict, datetime], dict | None] | None = None


KINDS: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> None:
    """Make a kind of document known to the machinery (done once, when its package loads)."""
    KINDS[kind.name] = kind


def kind_name(row) -> str:
    """The kind of a XeroCopy row (or Plan): a credit note's, a bill's or an invoice's."""
    if getattr(row, "credit_note_id", None) is not None:
        return "credit_note"
    return "bill" if row.expense_id is not None else "invoice"


def _kind(row) -> DocumentKind:
    name = kind_name(row)
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"No {name} document kind registered: import its bridge.xero package.") from None


def attempt(row_id: int, user_id: int | None, plan: Plan | None = None) -> CopyResult:
    """Send the row's request to Xero under its attempt key, and record the answer."""
    row = db.session.get(XeroCopy, row_id)
    tenant, key, action, target = row.tenant_id, row.attempt_key, row.action, row.xero_id
    payload = stored_payload(row.payload)
    kind = _kind(row)
    db.session.commit()  # no transaction stays open while Xero is called
    try:
        with XeroClient(tenant) as client:
            if action == "update" and payload is None:
                try:
                    current = kind.get(client, target)
                except XeroError as error:
                    return _failed(row_id, error, user_id, sent=None)
                payload = kind.update_payload(plan, current)
                _store_payload(row_id, payload)
            if action == "create":
                element = kind.create(client, payload, key)
            else:
                element = kind.update(client, target, payload, key)
    except FINAL_ERRORS as error:
        return _failed(row_id, error, user_id, sent=payload)
    except XeroError as error:
        return _unknown(row_id, error, user_id, sent=payload)
    except Exception as error:
        # A bug, or the database: whether Xero got the request is not known, so a retry
        # must look before sending again. The caller still sees the error.
        _unknown(row_id, error, user_id, sent=payload)
        raise
    return _finish(row_id, element, user_id, operation="copy" if action == "create" else "update")


def _finish(row_id: int, element: dict, user_id: int | None, operation: str) -> CopyResult:
    """Xero has the document: its kind records it (number, contact, note, PDF...)."""
    row = db.session.get(XeroCopy, row_id)
    return _kind(row).finish(row, element, user_id, operation)


def documents_of(row: XeroCopy) -> dict:
    """The activity log's link to the row's invoice, expense or credit note (and its invoice)."""
    if row.credit_note_id is not None:
        note = db.session.get(CreditNote, row.credit_note_id)
        return {"invoice_id": note.invoice_id, "credit_note_id": row.credit_note_id}
    return {"invoice_id": row.invoice_id, "expense_id": row.expense_id}


def _noun(row: XeroCopy) -> str:
    return document_kind(row)


def stored_payload(text: str | None) -> dict | None:
    """The stored request, with exact decimals (re-encoding gives the same bytes)."""
    return json.loads(text, parse_float=Decimal) if text else None


def as_text(payload: dict | None) -> str | None:
    """A request as the JSON text stored on its row (the bytes Xero gets)."""
    return wire.encode(payload).decode("utf-8") if payload is not None else None


def _store_payload(row_id: int, payload: dict) -> None:
    db.session.execute(update(XeroCopy).where(XeroCopy.id == row_id).values(payload=as_text(payload)))
    db.session.commit()


def mark_done(row: XeroCopy, element: dict) -> None:
    """The row's attempt succeeded: Xero's id, number (None when Xero gave none) and status;
    Xero's figures go to the ledger, and the invoice or expense is summed up from it."""
    element = ledger.as_document(element)
    row.state, row.completed_at = "done", utcnow()
    row.xero_id = str(element.get("InvoiceID") or row.xero_id)
    row.xero_number, row.xero_status = element.get("InvoiceNumber") or None, element.get("Status")
    row.error = row.error_kind = row.messages = None
    ledger.record(row.tenant_id, {**element, "InvoiceID": row.xero_id}, invoice_id=row.invoice_id,
                  expense_id=row.expense_id, credit_note_id=row.credit_note_id)
    db.session.flush()
    if row.credit_note_id is not None:
        ledger.summarise(CreditNote, {row.credit_note_id})
        # The note is in Xero now: its invoice counts Xero's credit instead of the note's total.
        ledger.summarise(Invoice, {db.session.get(CreditNote, row.credit_note_id).invoice_id})
    elif row.invoice_id is not None:
        ledger.summarise(Invoice, {row.invoice_id})
    else:
        ledger.summarise(Expense, {row.expense_id})


def refuse(row_id: int, problem: Refusal, user_id: int | None) -> CopyResult:
    """A step before the send failed (ending an earlier copy): nothing was sent for the row."""
    row = db.session.get(XeroCopy, row_id)
    row.state, row.completed_at = "failed", utcnow()
    row.error, row.error_kind = problem.message, problem.kind
    db.session.commit()
    return result(row, refusal_=problem)


def _failed(row_id: int, error: XeroError, user_id: int | None, sent: dict | None) -> CopyResult:
    """Xero refused (or could not be asked): nothing changed there; the row keeps why."""
    row = db.session.get(XeroCopy, row_id)
    number = (sent or {}).get("InvoiceNumber") or (sent or {}).get("CreditNoteNumber") or row.xero_number
    problem = refusal(error, action=row.action, number=number, document=document_kind(row))
    row.state, row.completed_at = "failed", utcnow()
    row.error, row.error_kind = problem.message, problem.kind
    row.messages = list(getattr(error, "messages", None) or []) or None
    activity.record(operation_of(row), "error", str(error),
                    tenant_id=row.tenant_id, user_id=user_id, **documents_of(row),
                    request=sent, response=row.messages or str(error))
    db.session.commit()
    return result(row, refusal_=problem)


def _unknown(row_id: int, error: Exception, user_id: int | None, sent: dict | None) -> CopyResult:
    """No answer from Xero: it may have the invoice. The next try looks before re-sending."""
    db.session.rollback()
    row = db.session.get(XeroCopy, row_id)
    what = f"created the {_noun(row)}" if row.action == "create" else "made the update"
    row.state = "unknown"
    row.error_kind = "unavailable"
    row.error = (f"Xero did not answer: {error} Bridge cannot tell yet whether Xero {what}. "
                 "Try again in a few minutes: Bridge looks in Xero first and will not copy it twice.")
    activity.record(operation_of(row), "error", f"No answer: {error}",
                    tenant_id=row.tenant_id, user_id=user_id, **documents_of(row),
                    request=sent, response=str(error))
    db.session.commit()
    return result(row)


def resume(row: XeroCopy, user_id: int | None) -> CopyResult:
    """A key seen before: its outcome, "in progress", or the recovery of a lost answer."""
    if row.state in ("done", "failed"):
        return result(row)
    now, lease = utcnow(), lease_time()
    if row.state == "pending" and row.attempted_at and row.attempted_at > now - lease:
        return result(row)
    claimed = db.session.execute(
        update(XeroCopy).where(XeroCopy.id == row.id, or_(
            XeroCopy.state == "unknown",
            and_(XeroCopy.state == "pending", XeroCopy.attempted_at < now - lease)))
        .values(state="pending", attempted_at=now)).rowcount == 1
    db.session.commit()
    row = db.session.get(XeroCopy, row.id)
    return _recover(row.id, user_id) if claimed else result(row)


def lease_time() -> timedelta:
    """How long a pending attempt may still be running: every retry and rate-limit wait."""
    timeout = float(current_app.config["XERO_TIMEOUT"])
    seconds = timeout * (transport.RETRIES + 1) + transport.RATE_LIMIT_WAITS * transport.RATE_LIMIT_MAX_WAIT
    return timedelta(seconds=seconds + LEASE_MARGIN)


def _recover(row_id: int, user_id: int | None) -> CopyResult:
    """Find a lost copy in Xero; re-send the same request, same key, only if Xero lacks it."""
    row = db.session.get(XeroCopy, row_id)
    payload, tenant, since = stored_payload(row.payload), row.tenant_id, row.created_at - RECOVERY_WINDOW
    if payload is None:
        # An update stopped before its request was built: nothing reached Xero.
        row.state, row.completed_at, row.error_kind = "failed", utcnow(), "interrupted"
        row.error = "This update was interrupted before anything was sent to Xero. Try again."
        db.session.commit()
        return result(row)
    if row.action == "update":
        db.session.commit()
        return attempt(row_id, user_id)  # the same POST again changes nothing twice
    db.session.commit()
    find = _kind(row).find or find_copy
    try:
        with XeroClient(tenant) as client:
            found = find(client, payload, since)
    except XeroError as error:
        return _unknown(row_id, error, user_id, sent=payload)
    number = found and (found.get("InvoiceNumber") or found.get("CreditNoteNumber"))
    summary = (f"Found the lost copy in Xero as {number}." if found else
               "The lost copy is not in Xero: sending it again, marked so that Xero makes it only once.")
    activity.record("recover", "ok", summary, tenant_id=tenant, user_id=user_id,
                    **documents_of(row), request={"Url": payload.get("Url")},
                    response=found)
    db.session.commit()
    if found is not None:
        return _finish(row_id, found, user_id, operation="copy")
    return attempt(row_id, user_id)


def find_copy(client: XeroClient, payload: dict, since: datetime) -> dict | None:
    """The Xero invoice (or bill) this create made, matched by its Url (which carries the
    attempt key).

    With our number on an invoice: the invoices with that number (a clash is not ours unless
    the Url matches). Otherwise (Xero's numbers; bills, whose numbers repeat): the contact's
    documents of that type changed since the attempt began.
    """
    url = payload.get("Url")
    if not url:
        return None
    kind = payload.get("Type") or "ACCREC"
    number = payload.get("InvoiceNumber") if kind == "ACCREC" else None
    if number:
        escaped = number.replace("\\", "\\\\").replace('"', '\\"')
        candidates = client.get_invoices(where=f'Type=="{kind}" AND InvoiceNumber=="{escaped}"')
    else:
        contact = str(UUID(str(payload["Contact"]["ContactID"])))
        candidates = client.get_invoices(
            where=f'Type=="{kind}" AND Contact.ContactID==Guid("{contact}")', modified_since=since)
    return next((c for c in candidates if c.get("Url") == url), None)


def result(row: XeroCopy, notes: tuple[str, ...] = (), refusal_: Refusal | None = None) -> CopyResult:
    """A row as a CopyResult (what a repeated submit of its key is answered)."""
    outcome = {"pending": "in_progress"}.get(row.state, row.state)
    problem = refusal_
    if problem is None and row.state in ("failed", "unknown"):
        problem = Refusal(row.error_kind or "error", row.error or "",
                          details(row.messages, document_kind(row)))
    return CopyResult(
        outcome=outcome, action=row.action, copy_id=row.id, xero_id=row.xero_id,
        xero_number=row.xero_number, xero_status=row.xero_status,
        xero_url=xero_url(row) if row.state == "done" else None,
        refusal=problem, notes=notes, started_at=row.attempted_at,
    )


def operation_of(row: XeroCopy) -> str:
    """The activity log's name for the row's operation."""
    if row.credit_note_id is not None:
        return "credit_note" if row.action == "create" else "credit_note_update"
    if row.expense_id is not None:
        return "bill" if row.action == "create" else "bill_update"
    return "copy" if row.action == "create" else "update"


def xero_url(row: XeroCopy) -> str | None:
    """Where people open the row's document in Xero's UI."""
    if row.credit_note_id is not None:
        return xero_invoice_url(row.tenant_id, row.xero_id, setting="XERO_CREDIT_NOTE_URL")
    if row.expense_id is not None:
        return xero_invoice_url(row.tenant_id, row.xero_id, setting="XERO_BILL_URL")
    return xero_invoice_url(row.tenant_id, row.xero_id)


# The steps of an attempt, for senders of several rows in one request (bridge.xero.bills.batch).
def record_answer(row_id: int, element: dict, user_id: int | None) -> CopyResult:
    """Xero created the row's document (one element of its answer)."""
    return _finish(row_id, element, user_id, operation="copy")


def record_refusal(row_id: int, error: XeroError, user_id: int | None, sent: dict | None) -> CopyResult:
    """Xero refused the row's document: nothing was created."""
    return _failed(row_id, error, user_id, sent)


def record_lost(row_id: int, error: Exception, user_id: int | None, sent: dict | None) -> CopyResult:
    """Xero's answer was lost: the next try looks in Xero first."""
    return _unknown(row_id, error, user_id, sent)


def document_kind(row: XeroCopy) -> str:
    """What the copy is in Xero: a credit note, a bill (from an expense) or an invoice."""
    if getattr(row, "credit_note_id", None):
        return "credit note"
    return "bill" if row.expense_id else "invoice"
