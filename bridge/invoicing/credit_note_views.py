"""Credit notes: the new credit note from an invoice, its page and PDF, and its Copy to Xero
modal (with the allocation to the invoice's copy, and Apply credit when that did not happen).
The rules live in bridge.billing.credit_notes and bridge.xero.credit_notes."""
import json

from flask import Response, abort, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from bridge.billing.credit_notes import CreditNoteError, create_credit_note, creditable
from bridge.billing.service import get_invoice
from bridge.errors import render_error
from bridge.extensions import db
from bridge.formatting import money
from bridge.forms import EmptyForm
from bridge.invoicing import bp
from bridge.invoicing.credit_note_forms import CreditNoteForm, NoteCopyForm
from bridge.invoicing.document import credit_note_pdf, pdf_filename
from bridge.invoicing.pdf import issuer
from bridge.invoicing.responses import go_to, is_htmx, page_or_partial
from bridge.models import CreditNote, CreditNoteLine, XeroCopy
from bridge.xero.credit_notes import allocation
from bridge.xero.credit_notes.copy import (
    NoteCopy, copy_credit_note, last_note_copy, resume_note_copy, status_choice_needed,
)
from bridge.xero.sending import documents
from bridge.xero.sending.attempt import xero_url
from bridge.xero.sending.explain import Refusal
from bridge.xero.sending.once import not_ready_message
from bridge.xero.settings.readiness import readiness

ACTIONS = ("create", "update")


def _note(note_id: int) -> CreditNote:
    note = db.session.scalar(db.select(CreditNote).where(CreditNote.id == note_id).options(
        joinedload(CreditNote.invoice), selectinload(CreditNote.lines).options(
            joinedload(CreditNoteLine.service_type), joinedload(CreditNoteLine.tax_rate))))
    return note or abort(404)


@bp.route("/invoices/<int:invoice_id>/credit-notes/new", methods=["GET", "POST"])
def credit_note_new(invoice_id: int):
    """Credit the whole invoice, chosen lines or an amount, with a reason; bad input stays typed."""
    invoice = get_invoice(invoice_id, full=True) or abort(404)
    form = CreditNoteForm.for_invoice(invoice, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                note = create_credit_note(form.to_data(invoice_id), current_user.id)
            except CreditNoteError as error:
                form[error.field].errors = list(form[error.field].errors) + [error.message]
            else:
                flash(f"Credit note {note.number} created: it takes {money(note.total, note.currency)} "
                      f"off invoice {invoice.number}.", "success")
                return go_to(url_for("invoicing.credit_note_show", note_id=note.id))
        status = 422
        invoice = get_invoice(invoice_id, full=True)
    return render_template("invoicing/credit_note_form.html", invoice=invoice, form=form,
                           left=creditable(invoice)), status


@bp.get("/credit-notes/<int:note_id>")
def credit_note_show(note_id: int):
    """The credit note: its lines and totals, the invoice it credits, its copy in Xero."""
    note = _note(note_id)
    return render_template("invoicing/credit_note.html", note=note, xero=_state(note),
                           action_form=EmptyForm())


@bp.get("/credit-notes/<int:note_id>/pdf")
def credit_note_download(note_id: int):
    """Download the credit note as a PDF: Xero's when Xero makes PDFs and it is copied, else ours."""
    note = _note(note_id)
    content = None
    ready = readiness(note.entity_id)
    if ready.settings is not None and ready.settings.pdfs_by == "xero":
        row = last_note_copy(note_id)
        if row is not None and row.pdf is None and ready.connected:
            documents.store_pdf(row.id, current_user.id)  # not fetched at copy time (a bulk copy's failed GET)
            row = last_note_copy(note_id)
        content = row.pdf if row is not None else None
    content = content or credit_note_pdf(note, issuer(note.invoice.entity))
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pdf_filename(note.number, "credit-note")}"',
        "Cache-Control": "private, no-store"})


@bp.get("/credit-notes/<int:note_id>/xero/copy")
def credit_note_copy_modal(note_id: int):
    """The modal: Copy to Xero, or (?action=update) Update existing; Create new is a new copy."""
    action = request.args.get("action", "create")
    if action not in ACTIONS:
        abort(404)
    note = _note(note_id)
    ready = readiness(note.entity_id)
    if not ready.ready:
        return render_error(409, not_ready_message(ready))
    return _modal(note, NoteCopyForm.opened(action))


@bp.post("/credit-notes/<int:note_id>/xero/copy")
def credit_note_copy_submit(note_id: int):
    """Send the copy (and the allocation); 422 keeps the modal open with the reasons."""
    note = _note(note_id)
    form = NoteCopyForm()
    action = form.action.data if form.action.data in ACTIONS else "create"
    ready = readiness(note.entity_id)
    if not ready.ready:
        return _modal(note, form, 422, refusal=Refusal("not_ready", not_ready_message(ready)))
    if not form.validate():
        return _modal(note, form, 422)
    copied = copy_credit_note(note_id, status=form.status.data, attempt_key=form.attempt_key.data,
                              action=action, user_id=current_user.id)
    return _answer(note_id, form, copied)


@bp.post("/credit-notes/<int:note_id>/xero/copy/resume")
def credit_note_copy_resume(note_id: int):
    """Check again on an attempt (in progress, or its answer lost): its outcome or recovery."""
    form = NoteCopyForm()
    if not form.validate():  # CSRF and the attempt key
        abort(400)
    try:
        result = resume_note_copy(note_id, form.attempt_key.data, current_user.id)
    except LookupError:
        abort(404)
    allocated = allocation.allocate_if_due(note_id, current_user.id) if result.ok and result.action == "create" else None
    return _answer(note_id, form, NoteCopy(result, allocated))


@bp.post("/credit-notes/<int:note_id>/xero/allocate")
def credit_note_allocate(note_id: int):
    """Apply credit: the allocation to the invoice's live copy, again (refused, or its answer lost)."""
    _note(note_id)
    if not EmptyForm().validate():
        abort(400)
    done = allocation.allocate_if_due(note_id, current_user.id)
    if done is None:
        flash("Nothing to apply: the credit is applied already, or the invoice has no live copy in Xero.", "warning")
    else:
        flash(done.message, "success" if done.outcome == "done" else "warning")
    return go_to(url_for("invoicing.credit_note_show", note_id=note_id))


def _answer(note_id: int, form: NoteCopyForm, copied: NoteCopy):
    note = _note(note_id)
    result = copied.result
    if result.ok:
        verb = "copied to" if result.action == "create" else "updated in"
        message = f"Credit note {note.number} {verb} Xero as {result.xero_number}."
        if not is_htmx():
            flash(message, "success")
            if copied.allocated:
                flash(copied.allocated.message, "success" if copied.allocated.outcome == "done" else "warning")
            return go_to(url_for("invoicing.credit_note_show", note_id=note_id))
        trigger = {"creditNoteCopied": {"credit_note": note_id}, "showMessage": message}
        return render_template("invoicing/_credit_note_result.html", note=note, result=result,
                               allocated=copied.allocated, message=message), {"HX-Trigger": json.dumps(trigger)}
    if result.outcome == "in_progress":
        return page_or_partial("invoicing/credit_note_copy.html", "invoicing/_credit_note_result.html", 202,
                               note=note, result=result, form=form, allocated=None, message="")
    if result.outcome == "refused" and result.field == "status":
        form.status.errors = [result.refusal.message]
        return _modal(note, form, 422)
    if result.outcome == "failed":
        form.renew_key()
    return _modal(note, form, 422, refusal=result.refusal, result=result)


def _modal(note: CreditNote, form: NoteCopyForm, status: int = 200, *, refusal=None, result=None):
    ready = readiness(note.entity_id)
    invoice_copy = allocation.live_invoice_copy(note, ready.tenant_id) if ready.tenant_id else None
    return page_or_partial("invoicing/credit_note_copy.html", "invoicing/_credit_note_modal.html", status,
                           note=note, form=form, refusal=refusal, result=result, invoice_copy=invoice_copy,
                           manual_status=status_choice_needed(note), settings=ready.settings,
                           organisation=ready.tenant_name,
                           last_copy=last_note_copy(note.id))


def _state(note: CreditNote) -> dict:
    """What the page shows of the note's copy in Xero."""
    last = last_note_copy(note.id)
    refused = db.session.scalar(db.select(XeroCopy).where(
        XeroCopy.credit_note_id == note.id).order_by(XeroCopy.id.desc()).limit(1))
    ready = readiness(note.entity_id)
    return {"last": last, "url": xero_url(last) if last else None, "ready": ready.ready,
            "latest": refused, "connected": ready.connected}
