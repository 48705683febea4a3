"""Copying a credit note to Xero (create, or update the last copy), exactly once, and
allocating it to its invoice's live copy in the same action.

    result = copy_credit_note(note_id, status=None, attempt_key=str(uuid4()), action="create",
                              user_id=1)

The exactly-once frame is bridge.xero.sending.once, the attempt and its recovery
bridge.xero.sending.attempt, as for invoices and bills: this module registers what only a credit
note knows (its Xero calls, its update, what follows Xero's answer). The credit note takes the
invoice copy's contact, and each line the account, tax type and tracking its invoice line was
sent with (the copy's stored request); the status is the settings' (asked when Manual).
Allocation rules Xero applies (AUTHORISED, amount within the credit left and the invoice's
amount due, same contact and currency) are checked before anything is sent.
"""
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import SENDING_ACTIONS, CreditNote, XeroCopy, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.credit_notes import allocation, mapping
from bridge.xero.sending import activity, documents, payloads
from bridge.xero.sending.attempt import (
    CopyResult, DocumentKind, Plan, mark_done, operation_of, register, result, stored_payload,
)
from bridge.xero.sending.once import CopyRefused, last_done, not_ready_message, resume_of, send_once
from bridge.xero.settings import reference, tracking
from bridge.xero.settings.readiness import readiness, xero_status_label

MANUAL = "MANUAL"
INVOICE_NOT_COPIED = ("Copy invoice {number} to Xero first: its credit note takes the Xero contact, "
                      "accounts, tax rates and tracking the invoice was copied with.")


@dataclass(frozen=True)
class NoteCopy:
    """A credit note's copy and, after it, its allocation to the invoice's copy."""

    result: CopyResult
    allocated: allocation.Allocated | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok


def copy_credit_note(note_id: int, *, status: str | None, attempt_key: str, action: str,
                     user_id: int | None) -> NoteCopy:
    """Create the Xero credit note from ours (or update the last copy) once per attempt_key,
    then allocate it to the invoice's live copy when it is approved (once too: the allocation
    carries its own key, derived from the attempt's). LookupError when the note does not exist."""
    copied = send_once(attempt_key, action, user_id, lambda key: _plan(note_id, action, status, key))
    if not copied.ok or action != "create":
        return NoteCopy(copied)
    return NoteCopy(copied, allocation.allocate_if_due(note_id, user_id))


def resume_note_copy(note_id: int, attempt_key: str, user_id: int | None) -> CopyResult:
    """Check again on an attempt of this credit note (LookupError if unknown)."""
    return resume_of(attempt_key, user_id, XeroCopy.credit_note_id == note_id)


def last_note_copy(note_id: int) -> XeroCopy | None:
    """The newest successful copy or update of a credit note."""
    return db.session.scalar(select(XeroCopy).where(
        XeroCopy.credit_note_id == note_id, XeroCopy.state == "done",
        XeroCopy.action.in_(SENDING_ACTIONS))
        .order_by(XeroCopy.completed_at.desc(), XeroCopy.id.desc()).limit(1))


def status_choice_needed(note: CreditNote) -> bool:
    """Whether the modal asks for the Xero status (the invoice's billing entity's settings say Manual)."""
    ready = readiness(note.entity_id)
    return bool(ready.settings and ready.settings.initial_status == MANUAL)


def _plan(note_id: int, action: str, status: str | None, key: str) -> Plan:
    note = db.session.get(CreditNote, note_id)
    if note is None:
        raise LookupError(f"No credit note {note_id}.")
    # The organisation of the invoice's billing entity, where the invoice's copy is.
    ready = readiness(note.entity_id)
    if not ready.ready:
        raise CopyRefused(None, not_ready_message(ready))
    if action not in ("create", "update"):
        raise CopyRefused(None, "Choose Copy to Xero, Update existing or Create new.")
    invoice = note.invoice
    problem = reference.currency_problem(ready.tenant_id, note.currency)
    if problem:
        raise CopyRefused(None, problem)
    invoice_copy = last_done(invoice.id)
    if invoice_copy is None or invoice_copy.tenant_id != ready.tenant_id:
        raise CopyRefused(None, INVOICE_NOT_COPIED.format(number=invoice.number))
    settings = ready.settings
    if settings.initial_status == MANUAL:
        if status not in payloads.COPY_STATUSES:
            raise CopyRefused("status", "Choose the status the credit note gets in Xero.")
    else:
        status = settings.initial_status
    sent = stored_payload(invoice_copy.payload) or {}
    choices = mapping.NoteChoices(
        contact_id=str(UUID(str(invoice_copy.xero_contact_id or sent["Contact"]["ContactID"]))),
        status=status, invoice_items=tuple(sent.get("LineItems") or ()),
        send_number=settings.invoice_numbers_by == "bridge",
        branding_theme_id=settings.branding_theme_id or None)
    problem = tracking.theme_problem(ready.tenant_id, choices.branding_theme_id)
    if problem:
        raise CopyRefused(None, problem)
    target = None
    if action == "update":
        last = last_note_copy(note.id)
        if last is None:
            raise CopyRefused(None, "This credit note has not been copied to Xero yet: use Copy to Xero.")
        if last.tenant_id != ready.tenant_id:
            raise CopyRefused(None, "The last copy is in another Xero organisation than the one "
                              "connected now: create a new copy instead.")
        target = last.xero_id
    elif status == "AUTHORISED":
        problem = allocation.refusal_before_copy(note, ready.tenant_id)
        if problem:
            raise CopyRefused(None, problem)
    number = invoice.xero_number or invoice.number
    payload = mapping.credit_note_payload(note, number, choices) if action == "create" else None
    return Plan(ready.tenant_id, None, action, choices, payload, target, None, credit_note_id=note.id)


def update_note_payload(plan: Plan, current: dict) -> dict:
    """The update of Xero's credit note `current` from ours as it is now."""
    note = db.session.get(CreditNote, plan.credit_note_id)
    return mapping.update_payload(note, note.invoice.xero_number or note.invoice.number, plan.choices, current)


def finish_note(row: XeroCopy, element: dict, user_id: int | None, operation: str) -> CopyResult:
    """Xero has the credit note: record it, take Xero's number (Xero numbering), then the PDF."""
    row_id = row.id
    note = db.session.get(CreditNote, row.credit_note_id)
    ours = note.number
    mark_done(row, element)
    notes = []
    if row.action == "create" and "CreditNoteNumber" not in (stored_payload(row.payload) or {}):
        notes = adopt_number(note, row.xero_number)
    note.copied_at = utcnow()
    verb = "Copied" if row.action == "create" else "Updated the copy of"
    activity.record(operation_of(row), "ok", f"{verb} credit note {ours} as {row.xero_number} "
                    f"({xero_status_label(row.xero_status)}) in Xero.", tenant_id=row.tenant_id,
                    user_id=user_id, invoice_id=note.invoice_id, credit_note_id=note.id,
                    request=row.payload, response=element)
    db.session.commit()
    settings = readiness(note.entity_id).settings
    if settings is not None and settings.pdfs_by == "xero":
        notes += documents.store_pdf(row_id, user_id)
    return result(db.session.get(XeroCopy, row_id), tuple(notes))


def adopt_number(note: CreditNote, number: str | None) -> list[str]:
    """Show Xero's number as the credit note's (Xero numbers); keep ours if another note has it."""
    if not number or number == note.number:
        return []
    taken = db.session.scalar(select(CreditNote.id).where(CreditNote.number == number, CreditNote.id != note.id))
    if taken is not None or len(number) > CreditNote.number.type.length:
        return [f"Xero numbered it {number}, but Bridge cannot show that number (another credit note "
                f"has it, or it is too long): it stays {note.number} in Bridge."]
    note.number = number
    return []


def _create(client: XeroClient, payload: dict, key: str) -> dict:
    return client.create_credit_notes([payload], summarize_errors=False, idempotency_key=key)[0]


def _update(client: XeroClient, target: str, payload: dict, key: str) -> dict:
    return client.update_credit_note(target, payload, idempotency_key=key)


def _get(client: XeroClient, target: str) -> dict:
    return client.get_credit_note(target)


def find_lost(client: XeroClient, payload: dict, since: datetime) -> dict | None:
    """The credit note a lost create made: by our number when sent, else among the contact's
    credit notes changed since the attempt began, by its Reference (it carries our number)."""
    number = payload.get("CreditNoteNumber")
    if number:
        escaped = number.replace("\\", "\\\\").replace('"', '\\"')
        candidates = client.get_credit_notes(where=f'CreditNoteNumber=="{escaped}"')
    else:
        contact = str(UUID(str(payload["Contact"]["ContactID"])))
        candidates = client.get_credit_notes(
            where=f'Type=="ACCRECCREDIT" AND Contact.ContactID==Guid("{contact}")', modified_since=since)
    return next((c for c in candidates if c.get("Reference") == payload.get("Reference")
                 and c.get("Status") not in ("DELETED", "VOIDED")), None)


register(DocumentKind("credit_note", update_payload=update_note_payload, finish=finish_note,
                      create=_create, update=_update, get=_get, find=find_lost))
