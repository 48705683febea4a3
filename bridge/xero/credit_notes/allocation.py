"""Applying a copied credit note to its invoice's live copy in Xero
(PUT /CreditNotes/{CreditNoteID}/Allocations), once.

Xero's rules (notes §13.5, §19) are checked first, on what the ledger holds: both documents
AUTHORISED, the amount at most the note's remaining credit and the invoice copy's amount due,
the same contact and currency; a credit note that breaks them is refused before it is copied
(refusal_before_copy). The allocation's state and Idempotency-Key are committed on the credit
note before Xero is called: a lost answer is asked again under the same key (Xero applies it
once), a refusal leaves Xero's words on the note. Xero's answer is an Allocation without the
documents' new figures: the ledger is moved by the amount (what Xero does, notes §13.5) and
the next payment sync reads Xero's own figures.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select

from bridge.extensions import db
from bridge.formatting import money
from bridge.models import ZERO, CreditNote, Invoice, XeroCopy, XeroDocument
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroError
from bridge.xero.sending import activity, ledger
from bridge.xero.sending.attempt import FINAL_ERRORS
from bridge.xero.sending.explain import refusal


@dataclass(frozen=True)
class Allocated:
    """What became of the allocation: done, failed (Xero's words), unknown, or skipped (why)."""

    outcome: str
    message: str
    amount: Decimal | None = None
    invoice_number: str | None = None


def live_invoice_copy(note: CreditNote, tenant_id: str) -> XeroDocument | None:
    """The invoice's newest copy still live in Xero, in this organisation."""
    rows = [row for row in ledger.live_copies(Invoice, note.invoice_id) if row.tenant_id == tenant_id]
    return rows[-1] if rows else None


def refusal_before_copy(note: CreditNote, tenant_id: str) -> str | None:
    """Why Xero would refuse to apply this (approved) credit note to the invoice's live copy,
    in words; None when it can, or when there is no live copy (then nothing is allocated)."""
    copy = live_invoice_copy(note, tenant_id)
    if copy is None:
        return None
    return _problem(copy, note.total, note.currency)


def _problem(copy: XeroDocument, amount: Decimal, currency: str) -> str | None:
    number = copy.number or "the invoice"
    if copy.currency and copy.currency != currency:
        return (f"Xero applies credit only in the invoice's currency: {number} is in {copy.currency}, "
                f"the credit note in {currency}. Nothing was sent.")
    if copy.status == "PAID" or (copy.amount_due is not None and copy.amount_due <= ZERO):
        return (f"Invoice {number} is paid in Xero: nothing is due to apply this credit to. Refund "
                "the client in Xero instead, or remove a payment there first. Nothing was sent.")
    if copy.amount_due is not None and amount > copy.amount_due:
        return (f"The credit note ({money(amount, currency)}) is more than the "
                f"{money(copy.amount_due, currency)} due on {number} in Xero, and Xero applies no more credit "
                "than is due. Lower the credit note, or Sync now if a payment was removed. Nothing was sent.")
    return None


def allocate_if_due(note_id: int, user_id: int | None) -> Allocated | None:
    """Apply the copied credit note to its invoice's live copy when both allow it; None when
    there is nothing to allocate (not approved, no live copy, or done already)."""
    note = db.session.get(CreditNote, note_id)
    copy_row = db.session.scalar(select(XeroCopy).where(
        XeroCopy.credit_note_id == note_id, XeroCopy.state == "done").order_by(XeroCopy.id.desc()).limit(1))
    if copy_row is None or note.allocation_state == "done":
        return None
    tenant = copy_row.tenant_id
    if note.xero_status != "AUTHORISED":
        return Allocated("skipped", "The credit note is not approved in Xero, so it was not applied to "
                         "the invoice: approve it in Xero and apply it there.")
    invoice_copy = live_invoice_copy(note, tenant)
    if invoice_copy is None:
        return None
    if invoice_copy.status != "AUTHORISED":
        return Allocated("skipped", f"Invoice {invoice_copy.number} is not approved in Xero, so the credit "
                         "was not applied to it: approve it in Xero, then apply the credit there.")
    amount = note.xero_remaining if note.xero_remaining is not None else note.xero_total
    problem = _problem(invoice_copy, amount, note.currency)
    if problem:
        return _record(note_id, "failed", problem, user_id, None, None)
    # Same key for a lost answer (Xero applies it once); a new one after a refusal.
    key = note.allocation_key if note.allocation_state == "unknown" else f"{copy_row.attempt_key}-allocate"
    if note.allocation_state == "failed":
        key = str(uuid4())
    note.allocation_state, note.allocation_key = "unknown", key
    credit_id, invoice_xero_id, number = copy_row.xero_id, invoice_copy.xero_id, invoice_copy.number
    on = max(note.issue_date, dt.date.today()) if note.issue_date else dt.date.today()
    sent = {"Allocations": [{"Invoice": {"InvoiceID": invoice_xero_id}, "Amount": amount, "Date": on}]}
    db.session.commit()  # the key is kept before Xero is called
    try:
        with XeroClient(tenant) as client:
            answer = client.allocate_credit_note(credit_id, invoice_xero_id, amount, on, idempotency_key=key)
    except FINAL_ERRORS as error:
        problem = refusal(error, action="create", number=number, document="credit note")
        return _record(note_id, "failed", problem.message + _messages(error), user_id, sent, error)
    except XeroError as error:
        return _record(note_id, "unknown", f"Xero did not answer ({error}). Bridge cannot tell yet whether the "
                       "credit was applied: copy again with the same window, or use Apply credit, "
                       "and Xero applies it only once.", user_id, sent, error)
    note = db.session.get(CreditNote, note_id)
    note.allocation_id = str(answer.get("AllocationID") or "") or None
    _move_ledger(tenant, credit_id, invoice_xero_id, amount)
    ledger.summarise(CreditNote, {note_id})
    ledger.summarise(Invoice, {note.invoice_id})
    return _record(note_id, "done", f"Applied {money(amount, note.currency)} of credit note {note.xero_number or note.number} "
                   f"to invoice {number} in Xero.", user_id, sent, answer, amount=amount, number=number)


def _messages(error: XeroError) -> str:
    said = list(getattr(error, "messages", None) or [])
    return (" Xero said: " + " ".join(said)) if said else ""


def _move_ledger(tenant_id: str, credit_id: str, invoice_id: str, amount: Decimal) -> None:
    """What Xero does on an allocation: the invoice's credit rises, both amounts due fall."""
    rows = ledger.documents_of(tenant_id, [credit_id, invoice_id])
    for key in (ledger.xero_key(invoice_id), ledger.xero_key(credit_id)):
        row = rows.get(key)
        if row is None:
            continue
        row.amount_credited = (row.amount_credited or ZERO) + amount
        row.amount_due = max((row.amount_due if row.amount_due is not None else row.total or ZERO) - amount, ZERO)
        if row.amount_due == ZERO and row.status == "AUTHORISED":
            row.status = "PAID"
    db.session.flush()


def _record(note_id: int, state: str, message: str, user_id: int | None, sent, answer,
            amount: Decimal | None = None, number: str | None = None) -> Allocated:
    note = db.session.get(CreditNote, note_id)
    note.allocation_state = state
    note.allocation_error = None if state == "done" else message
    tenant = db.session.scalar(select(XeroCopy.tenant_id).where(XeroCopy.credit_note_id == note_id).limit(1))
    activity.record("allocate", "ok" if state == "done" else "error", message, tenant_id=tenant,
                    user_id=user_id, invoice_id=note.invoice_id, credit_note_id=note_id,
                    request=sent, response=getattr(answer, "messages", None) or (
                        answer if isinstance(answer, dict) else (str(answer) if answer else None)))
    db.session.commit()
    return Allocated(state, message, amount, number)
