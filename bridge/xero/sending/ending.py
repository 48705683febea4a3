"""Ending earlier copies in Xero before a new one is sent: a DRAFT or SUBMITTED copy is
deleted, an AUTHORISED one with nothing applied is voided (XERO_API_NOTES.md §10.3), each
exactly once.

    problem = end_first(plan, attempt_key, user_id)   # None: every earlier copy has ended

Each ending is a XeroCopy row (action "void" or "delete") whose key is derived from the new
copy's attempt key, committed before Xero is called and sent as the Idempotency-Key: a retry
of the same attempt finds it done and does not ask Xero again. A voided invoice keeps its
number in Xero (§10.4), so when the new copy carries the same number the old one is renamed
"<number>-VOID" in the same call.

Voiding or deleting a Bridge invoice ends each of its live copies the same way, one call per
copy (bridge.xero.invoices.voiding):

    problem = end_copy(tenant_id, xero_id, key, user_id, reason="with invoice 2026-0042")

The call is XERO_API_NOTES.md §19's "POST the document with Status VOIDED or DELETED", in the
shape of the spec's updateInvoice (spec/xero_accounting.yaml, which wins for shapes):
POST /Invoices/{InvoiceID} with {"Invoices": [{"InvoiceID", "Status"}]} (XeroClient.update_invoice).
"""
from uuid import UUID, uuid5

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import ZERO, XeroCopy, XeroDocument, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroError
from bridge.xero.sending import activity
from bridge.xero.sending.attempt import FINAL_ERRORS, Plan, mark_done, stored_payload
from bridge.xero.sending.explain import Refusal, refusal

DELETABLE = ("DRAFT", "SUBMITTED")
VOID_SUFFIX = "-VOID"


def how_to_end(document: XeroDocument) -> str | None:
    """"delete", "void", or None when Xero cannot end it (paid, credited, or already ended)."""
    if document.status in DELETABLE:
        return "delete"
    applied = (document.amount_paid or ZERO) + (document.amount_credited or ZERO)
    if document.status == "AUTHORISED" and applied == ZERO:
        return "void"
    return None


def why_not(document: XeroDocument, noun: str = "invoice") -> str:
    """Why an earlier copy cannot be ended from Bridge, in words."""
    number = document.number or "without a number"
    if document.status == "PAID" or (document.amount_paid or ZERO) > ZERO:
        return (f"The earlier copy {number} has payments in Xero, so Xero cannot void it. Keep it "
                f"and use Update existing, or credit it in Xero first.")
    if (document.amount_credited or ZERO) > ZERO:
        return (f"The earlier copy {number} has credit applied in Xero, so Xero cannot void it. "
                f"Remove the credit in Xero first, or keep it and use Update existing.")
    return f"The earlier copy {number} is {document.status} in Xero and cannot be ended from Bridge."


def end_first(plan: Plan, attempt_key: str, user_id: int | None) -> Refusal | None:
    """End each of plan.ending in Xero (once); the first refusal, or None when all ended."""
    number = plan.payload.get("InvoiceNumber") if plan.payload else None
    for xero_id in plan.ending:
        problem = end_copy(plan.tenant_id, xero_id, ending_key(attempt_key, xero_id), user_id,
                           renumber_if=number)
        if problem is not None:
            return problem
    return None


def ending_key(attempt_key: str, xero_id: str) -> str:
    """The Idempotency-Key (and XeroCopy.attempt_key) of ending one copy within an attempt."""
    return str(uuid5(UUID(attempt_key), xero_id))


def end_copy(tenant_id: str, xero_id: str, key: str, user_id: int | None, *,
             renumber_if: str | None = None, reason: str = "before sending a new one",
             unchanged: str = "nothing new was sent") -> Refusal | None:
    """Void or delete one copy in Xero exactly once under `key`; None once it has ended.

    renumber_if: a voided copy numbered so is renamed "<number>-VOID" (a new copy takes the
    number); reason: the end of the activity log's sentence ("Voided the copy … in Xero <reason>.");
    unchanged: what a refusal or a lost answer left as it was, in its message.
    """
    document = db.session.scalar(select(XeroDocument).where(
        XeroDocument.tenant_id == tenant_id, XeroDocument.xero_id == xero_id))
    row = db.session.scalar(select(XeroCopy).where(XeroCopy.attempt_key == key))
    if row is None:
        if document is None or not document.live:
            return None  # already ended (in Xero, or by an earlier try)
        action = how_to_end(document)
        if action is None:
            return Refusal("locked", why_not(document))
        payload = {"InvoiceID": xero_id, "Status": "DELETED" if action == "delete" else "VOIDED"}
        if action == "void" and renumber_if and renumber_if == document.number:
            payload["InvoiceNumber"] = f"{document.number}{VOID_SUFFIX}"
        row = XeroCopy(invoice_id=document.invoice_id, expense_id=document.expense_id,
                       tenant_id=tenant_id, attempt_key=key, action=action, state="pending",
                       xero_id=xero_id, payload=activity.as_text(payload), attempted_at=utcnow(),
                       created_by_id=user_id)
        if _lost_before(tenant_id, xero_id):
            row.state = "unknown"  # an earlier try's answer was lost: look in Xero first
        db.session.add(row)
        db.session.commit()
    if row.state == "done":
        return None
    return _send(row.id, user_id, reason, unchanged)


def _lost_before(tenant_id: str, xero_id: str) -> bool:
    """Whether an earlier try to end this document got no answer (Xero may have ended it)."""
    return db.session.scalar(select(XeroCopy.id).where(
        XeroCopy.tenant_id == tenant_id, XeroCopy.xero_id == xero_id,
        XeroCopy.action.in_(("void", "delete")), XeroCopy.state == "unknown").limit(1)) is not None


def _send(row_id: int, user_id: int | None, reason: str, unchanged: str) -> Refusal | None:
    """Ask Xero to end the row's document; a lost answer is checked in Xero before re-sending."""
    row = db.session.get(XeroCopy, row_id)
    tenant, xero_id, key, action = row.tenant_id, row.xero_id, row.attempt_key, row.action
    payload = stored_payload(row.payload)
    db.session.commit()
    try:
        with XeroClient(tenant) as client:
            current = client.get_invoice(xero_id) if row.state == "unknown" else None
            if current is not None and current.get("Status") in ("VOIDED", "DELETED"):
                element = current  # the lost call went through
            else:
                element = client.update_invoice(xero_id, payload, idempotency_key=key)
    except FINAL_ERRORS as error:
        return _refused(row_id, error, user_id, unchanged)
    except XeroError as error:
        return _lost(row_id, error, user_id, unchanged)
    row = db.session.get(XeroCopy, row_id)
    mark_done(row, element)
    verb = "Deleted" if action == "delete" else "Voided"
    activity.record(action, "ok", f"{verb} the copy {element.get('InvoiceNumber') or ''} in Xero "
                    f"{reason}.", tenant_id=tenant, user_id=user_id,
                    invoice_id=row.invoice_id, expense_id=row.expense_id, request=row.payload,
                    response=element)
    db.session.commit()
    return None


def _refused(row_id: int, error: XeroError, user_id: int | None, unchanged: str) -> Refusal:
    row = db.session.get(XeroCopy, row_id)
    problem = refusal(error, action="update")
    row.state, row.completed_at = "failed", utcnow()
    row.error, row.error_kind = problem.message, problem.kind
    row.messages = list(getattr(error, "messages", None) or []) or None
    activity.record(row.action, "error", str(error), tenant_id=row.tenant_id, user_id=user_id,
                    invoice_id=row.invoice_id, expense_id=row.expense_id, request=row.payload,
                    response=row.messages or str(error))
    db.session.commit()
    return Refusal(problem.kind, f"Xero did not end the copy {_number(row)}, so {unchanged}. "
                   + problem.message, problem.details)


def _lost(row_id: int, error: XeroError, user_id: int | None, unchanged: str) -> Refusal:
    db.session.rollback()
    row = db.session.get(XeroCopy, row_id)
    row.state, row.error_kind = "unknown", "unavailable"
    row.error = f"Xero did not answer: {error}"
    activity.record(row.action, "error", f"No answer: {error}", tenant_id=row.tenant_id,
                    user_id=user_id, invoice_id=row.invoice_id, expense_id=row.expense_id,
                    request=row.payload, response=str(error))
    db.session.commit()
    return Refusal("unavailable", f"Xero did not answer while ending the copy {_number(row)}: {error} "
                   f"So {unchanged}. Try again: Bridge checks in Xero first and ends it once.")


def _number(row: XeroCopy) -> str:
    """The copy's number as Xero last gave it (its ledger row), for messages."""
    document = db.session.scalar(select(XeroDocument).where(
        XeroDocument.tenant_id == row.tenant_id, XeroDocument.xero_id == row.xero_id))
    return (document.number if document is not None else None) or "without a number"
