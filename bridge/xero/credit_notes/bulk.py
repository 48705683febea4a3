"""Credit notes in a bulk copy: the credit note kind of bridge.xero.bulk (registered when this
module loads), after the single copy's rules (copy.py).

A credit note can go when its invoice has a copy in the connected organisation (the note takes
that copy's contact, accounts, tax types and tracking), Xero has its currency, the settings'
branding theme is still there, and, copied Approved, Xero would apply it to the invoice's live
copy (allocation.refusal_before_copy). A note copied before is updated (its number and Xero
status kept). Batches go by PUT /CreditNotes (updates POST /CreditNotes), up to 50 a call with
summarizeErrors=false; a lost batch is found by Reference (the invoice's and the note's
numbers: Xero's CreditNote has no Url). Once every batch went, each approved note whose
invoice has a live copy is applied to it (allocation.allocate_if_due: one call each, once,
under its own key), then Xero's PDF of each copy is kept when Xero makes the PDFs.
"""
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from bridge.extensions import db
from bridge.models import CreditNote, Invoice, XeroCopy, XeroCopyJob
from bridge.xero.api.client import XeroClient
from bridge.xero.bulk import plan as bulk_plan
from bridge.xero.bulk.kinds import BulkKind, register
from bridge.xero.credit_notes import allocation, mapping
from bridge.xero.credit_notes.copy import INVOICE_NOT_COPIED, adopt_number, last_note_copy
from bridge.xero.sending import activity, documents
from bridge.xero.sending.attempt import as_text, stored_payload
from bridge.xero.sending.once import last_done
from bridge.xero.settings import reference, tracking
from bridge.xero.settings.readiness import xero_status_label

# Allocations are asked for notes where none was asked yet, or where the answer was lost.
TO_ALLOCATE = ("none", "unknown")


@dataclass(frozen=True)
class Blocked:
    """A credit note that cannot go, why, and what to open to fix it ("setup" or "document")."""

    document: CreditNote
    reason: str
    fix: str


@dataclass(frozen=True)
class Ready:
    """A credit note that can go: a new copy, or an update of `target` (the last copy's CreditNoteID)."""

    document: CreditNote
    invoice_copy_id: int
    target: str | None = None

    @property
    def action(self) -> str:
        return "update" if self.target else "create"


def sort_notes(ids: list[int], tenant_id: str, ready, job_id: int | None = None) -> tuple[list[Ready], list[Blocked]]:
    """The credit notes (in the order given) that can go, and those that cannot with the reason."""
    found = {note.id: note for note in db.session.scalars(
        select(CreditNote).where(CreditNote.id.in_(ids))
        .options(joinedload(CreditNote.invoice), selectinload(CreditNote.lines)))}
    notes = [found[i] for i in ids if i in found]
    busy = bulk_plan.copying_ids(CREDIT_NOTES, ids, except_job=job_id)
    settings = ready.settings
    status = settings.initial_status
    if status == bulk_plan.MANUAL:
        job = db.session.get(XeroCopyJob, job_id) if job_id else None
        status = job.status if job else None  # unknown until the modal's choice
    theme_problem = tracking.theme_problem(tenant_id, settings.branding_theme_id or None)
    currency_problems: dict[str, str | None] = {}
    items, blocked = [], []
    for note in notes:
        if note.id in busy:
            blocked.append(Blocked(note, "Another bulk copy is sending this credit note now: wait for "
                                   "it to finish.", "document"))
            continue
        if note.currency not in currency_problems:
            currency_problems[note.currency] = reference.currency_problem(tenant_id, note.currency)
        if currency_problems[note.currency] or theme_problem:
            blocked.append(Blocked(note, currency_problems[note.currency] or theme_problem, "setup"))
            continue
        invoice_copy = last_done(note.invoice_id)
        if invoice_copy is None or invoice_copy.tenant_id != tenant_id:
            blocked.append(Blocked(note, INVOICE_NOT_COPIED.format(number=note.invoice.number), "document"))
            continue
        last = last_note_copy(note.id)
        target = last.xero_id if last is not None and last.tenant_id == tenant_id else None
        if target is None and status == "AUTHORISED":
            problem = allocation.refusal_before_copy(note, tenant_id)
            if problem:
                blocked.append(Blocked(note, problem, "document"))
                continue
        items.append(Ready(note, invoice_copy.id, target))
    return items, blocked


def _choices(run, item: Ready) -> tuple[mapping.NoteChoices, str]:
    """The note's choices from its invoice's copy and the settings, and the invoice's number."""
    invoice_copy = db.session.get(XeroCopy, item.invoice_copy_id)
    sent = stored_payload(invoice_copy.payload) or {}
    settings = run.ready.settings
    choices = mapping.NoteChoices(
        contact_id=str(UUID(str(invoice_copy.xero_contact_id or sent["Contact"]["ContactID"]))),
        status=run.status, invoice_items=tuple(sent.get("LineItems") or ()),
        send_number=settings.invoice_numbers_by == "bridge",
        branding_theme_id=settings.branding_theme_id or None)
    invoice = item.document.invoice
    return choices, invoice.xero_number or invoice.number


def prepare(run, item: Ready, row: XeroCopy) -> str | None:
    """The row's contact and (a create's) payload."""
    choices, number = _choices(run, item)
    row.xero_contact_id = choices.contact_id
    if item.action == "create":
        row.payload = as_text(mapping.credit_note_payload(item.document, number, choices))
    return None


def update_payload(run, item: Ready, row: XeroCopy, current: dict) -> dict:
    choices, number = _choices(run, item)
    return mapping.update_payload(item.document, number, choices, current)


def finish(run, row: XeroCopy, element: dict, operation: str | None) -> None:
    """Bridge's credit note after Xero took it (Xero's number when Xero numbers), and the log."""
    note = db.session.get(CreditNote, row.credit_note_id)
    ours = note.number
    notes = []
    if row.action == "create" and "CreditNoteNumber" not in (stored_payload(row.payload) or {}):
        notes = adopt_number(note, row.xero_number)
    note.copied_at = row.completed_at
    verb = "Copied" if row.action == "create" else "Updated the copy of"
    summary = f"{verb} credit note {ours} as {row.xero_number} ({xero_status_label(row.xero_status)}) in Xero"
    summary += " (found after an interrupted bulk copy)." if operation == "recover" else " (bulk copy)."
    activity.record("copy" if row.action == "create" else "update", "ok", " ".join([summary, *notes]),
                    tenant_id=row.tenant_id, user_id=row.created_by_id, invoice_id=note.invoice_id,
                    credit_note_id=note.id, request=row.payload, response=element)


def after_batches(run) -> None:
    """After every batch: the allocations, then Xero's PDFs when the settings say Xero makes them."""
    allocate(run)
    if run.ready.settings.pdfs_by == "xero":
        store_pdfs(run)


def store_pdfs(run) -> None:
    """Xero's PDF of each copy made or updated by the job that has none yet (one GET each)."""
    row_ids = list(db.session.scalars(select(XeroCopy.id).where(
        XeroCopy.job_id == run.job_id, XeroCopy.state == "done", XeroCopy.pdf.is_(None)).order_by(XeroCopy.id)))
    db.session.commit()
    for row_id in row_ids:
        run.renew()
        documents.store_pdf(row_id, run.user_id)


def allocate(run) -> None:
    """After every batch: apply each approved new copy to its invoice's live copy, once."""
    note_ids = list(db.session.scalars(select(XeroCopy.credit_note_id).join(
        CreditNote, CreditNote.id == XeroCopy.credit_note_id).where(
        XeroCopy.job_id == run.job_id, XeroCopy.state == "done", XeroCopy.action == "create",
        CreditNote.xero_status == "AUTHORISED", CreditNote.allocation_state.in_(TO_ALLOCATE))
        .order_by(XeroCopy.id)))
    db.session.commit()
    for note_id in note_ids:
        run.renew()
        allocation.allocate_if_due(note_id, run.user_id)


def _activity_ids(row: XeroCopy) -> dict:
    invoice_id = db.session.scalar(select(CreditNote.invoice_id).where(CreditNote.id == row.credit_note_id))
    return {"invoice_id": invoice_id, "credit_note_id": row.credit_note_id}


def _create(client: XeroClient, notes: list[dict], key: str) -> list[dict]:
    return client.create_credit_notes(notes, summarize_errors=False, idempotency_key=key)


def _save(client: XeroClient, notes: list[dict], key: str) -> list[dict]:
    return client.save_credit_notes(notes, summarize_errors=False, idempotency_key=key)


def _candidates(client: XeroClient, since) -> list[dict]:
    return client.get_credit_notes(where='Type=="ACCRECCREDIT"', modified_since=since)


def _reference(document: dict | None) -> str | None:
    """A lost credit note is found by its Reference (the invoice's and the note's numbers),
    among those still live."""
    document = document or {}
    if document.get("Status") in ("DELETED", "VOIDED"):
        return None
    return document.get("Reference") or None


CREDIT_NOTES = BulkKind(
    name="credit_note", noun="credit note", model=CreditNote, column="credit_note_id",
    number_field="CreditNoteNumber", id_field="CreditNoteID",
    sort=sort_notes, prepare=prepare, update_payload=update_payload,
    create=_create, save=_save, get=lambda client, ids: client.get_credit_notes_by_id(ids),
    candidates=_candidates, match_key=_reference, finish=finish, activity_ids=_activity_ids,
    entities=lambda ids: dict(db.session.execute(select(CreditNote.id, Invoice.entity_id).join(
        Invoice, Invoice.id == CreditNote.invoice_id).where(CreditNote.id.in_(ids))).all()),
    after=after_batches, endpoint="invoicing.credit_note_show", endpoint_arg="note_id")
register(CREDIT_NOTES)
