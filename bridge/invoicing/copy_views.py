"""Copy to Xero: the modal with its contact picker and preview, the submit, and the invoice's
"Invoice copied" box. The rules live in bridge.xero.invoices.copy and bridge.xero.invoices.options."""
import json

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user

from bridge.errors import render_error
from bridge.invoicing import bp
from bridge.invoicing.copy_forms import CopyForm, NewContactForm, ResumeForm
from bridge.invoicing.responses import go_to, is_htmx, page_or_partial
from bridge.billing import files
from bridge.billing.files import Owner
from bridge.billing.service import get_invoice
from bridge.xero.settings import reference
from bridge.xero.sending import contacts
from bridge.xero.invoices import options as copy_options
from bridge.xero.settings.readiness import Readiness, readiness
from bridge.xero.invoices.copy import NOT_COPIED, VOIDED, copy_invoice, resume_copy
from bridge.xero.sending.attempt import CopyResult
from bridge.xero.sending.once import not_ready_message
from bridge.xero.api.errors import XeroError
from bridge.xero.sending.explain import Refusal

ACTIONS = ("create", "update")
# The copy service's refusals that belong to a field of the modal.
FIELDS = ("contact_id", "tax_type", "status", "accept_difference", "earlier", "branding_theme_id")


@bp.get("/invoices/<int:invoice_id>/xero/copy")
def copy_modal(invoice_id: int):
    """The modal: Copy to Xero, or (?action=update) Update existing; Create new is a new copy."""
    action = request.args.get("action", "create")
    if action not in ACTIONS:
        abort(404)
    invoice = get_invoice(invoice_id) or abort(404)
    ready = readiness(invoice.entity_id)
    if not ready.ready:
        return render_error(409, not_ready_message(ready))
    if invoice.voided:
        return render_error(409, VOIDED)
    problem = _read_reference(ready.tenant_id)
    modal = _modal_data(invoice_id, action, ready)
    if action == "update" and modal.last_copy is None:
        return render_error(409, NOT_COPIED)
    return _modal(modal, CopyForm.opened(modal), problem=problem)


@bp.post("/invoices/<int:invoice_id>/xero/copy")
def copy_submit(invoice_id: int):
    """Send the copy; the modal answers with the outcome (422 keeps it open with the reasons)."""
    form = CopyForm()
    action = form.action.data if form.action.data in ACTIONS else "create"
    ready = _readiness_of(invoice_id)
    modal = _modal_data(invoice_id, action, ready)
    form.offer(modal)
    if not ready.ready:
        kind = "reconnect" if ready.needs_reconnect else "not_ready"
        return _modal(modal, form, 422, refusal=Refusal(kind, not_ready_message(ready)))
    _keep_online_choices(invoice_id)
    if not form.validate():
        return _modal(modal, form, 422)
    contact = form.contact.data
    result = copy_invoice(
        invoice_id, contact_id=contact.id if contact else "", tax_type=form.tax_type.data,
        status=form.status.data, attempt_key=form.attempt_key.data, action=action,
        user_id=current_user.id, source_url=url_for("invoicing.show", invoice_id=invoice_id, _external=True),
        decisions=form.decisions(), branding_theme_id=form.branding_theme_id.data,
    )
    return _answer(modal, form, result)


def _keep_online_choices(invoice_id: int) -> None:
    """The modal's "show with the online invoice" per file, kept as each file's default
    (also when the copy is refused: the modal shows them as they were ticked)."""
    shown = {int(v) for v in request.form.getlist("shown_file") if v.isdigit()}
    ticked = {int(v) for v in request.form.getlist("online_file") if v.isdigit()}
    if shown:
        files.set_online(Owner(invoice_id=invoice_id), {file_id: file_id in ticked for file_id in shown})


@bp.post("/invoices/<int:invoice_id>/xero/copy/resume")
def copy_resume(invoice_id: int):
    """Check again on an attempt (in progress, or Xero's answer lost): its outcome or its recovery."""
    check = ResumeForm()
    if not check.validate():
        abort(400)
    try:
        result = resume_copy(invoice_id, check.attempt_key.data, current_user.id)
    except LookupError:
        abort(404)
    modal = _modal_data(invoice_id, result.action, _readiness_of(invoice_id))
    form = CopyForm.opened(modal)
    form.attempt_key.data = check.attempt_key.data
    return _answer(modal, form, result)


def _answer(modal, form: CopyForm, result: CopyResult):
    """The modal's answer to a copy: success, still in progress, or why not (422)."""
    if result.ok:
        return _copied(modal.invoice.id, result)
    if result.outcome == "in_progress":
        return page_or_partial("invoicing/copy.html", "invoicing/_copy_result.html", 202,
                               modal=modal, invoice=modal.invoice, form=form, result=result)
    if result.outcome == "refused" and result.field in FIELDS:
        form["contact" if result.field == "contact_id" else result.field].errors.append(result.refusal.message)
        return _modal(modal, form, 422)
    if result.outcome == "failed":
        form.renew_key()  # that attempt is over; a retry is a new one
    return _modal(modal, form, 422, refusal=result.refusal, result=result)


def _copied(invoice_id: int, result: CopyResult):
    """Say it in the modal; tell the page (HX-Trigger xeroCopied) to show "Invoice copied"."""
    invoice = get_invoice(invoice_id)
    verb = "copied to" if result.action == "create" else "updated in"
    message = f"Invoice {invoice.number} {verb} Xero as {result.xero_number}."
    if not is_htmx():
        flash(message, "success")
        for note in result.notes:
            flash(note, "warning")
        return go_to(url_for("invoicing.show", invoice_id=invoice_id))
    trigger = {"xeroCopied": {"invoice": invoice_id, "number": result.xero_number}, "showMessage": message}
    return render_template("invoicing/_copy_result.html", invoice=invoice, result=result,
                           message=message), {"HX-Trigger": json.dumps(trigger)}


@bp.get("/invoices/<int:invoice_id>/xero/preview")
def copy_preview(invoice_id: int):
    """The lines and totals as Xero will compute them with the chosen tax rate."""
    invoice = get_invoice(invoice_id) or abort(404)
    ready = readiness(invoice.entity_id)
    if not ready.ready:
        return render_error(409, not_ready_message(ready))
    preview = copy_options.preview(invoice_id, request.args.get("tax_type", ""), ready)
    return render_template("invoicing/_copy_preview.html", invoice=invoice, preview=preview,
                           account_warnings=copy_options.account_warnings(ready.tenant_id, preview))


@bp.get("/invoices/<int:invoice_id>/xero/contacts")
def contact_search(invoice_id: int):
    """Xero contacts whose name contains what was typed (the picker's search-as-you-type)."""
    ready = _readiness_of(invoice_id)
    if not ready.connected:
        return render_error(409, not_ready_message(ready))
    term = request.args.get("q", "")
    found, problem = contacts.search(ready.tenant_id, term)
    return render_template("invoicing/_contact_results.html", found=found, problem=problem,
                           term=term.strip())


@bp.post("/invoices/<int:invoice_id>/xero/contacts")
def contact_create(invoice_id: int):
    """Create new: a Xero contact from the client; Xero's refusal (a taken name) shows in place."""
    invoice = get_invoice(invoice_id, full=True) or abort(404)
    ready = readiness(invoice.entity_id)
    if not ready.connected:
        return render_error(409, not_ready_message(ready))
    form = NewContactForm()
    problem = None
    if form.validate():
        created = contacts.create_for_client(
            ready.tenant_id, invoice.client_id, name=form.new_contact_name.data,
            email=form.new_contact_email.data, tax_number=form.new_contact_tax_number.data,
            attempt_key=form.attempt_key.data or "none", user_id=current_user.id, invoice_id=invoice_id)
        if created.contact is not None:
            return render_template("invoicing/_contact_picker.html", invoice=invoice,
                                   chosen=created.contact, new_form=form, created=True)
        problem = created.refusal
    return render_template("invoicing/_contact_picker.html", invoice=invoice, chosen=None,
                           new_form=form, problem=problem, open_new=True), 422


@bp.get("/invoices/<int:invoice_id>/xero/state")
def copy_state(invoice_id: int):
    """The "Invoice copied" box (after xeroCopied), with the invoice's number out of band."""
    invoice = get_invoice(invoice_id) or abort(404)
    state = copy_options.copy_state(invoice_id, readiness(invoice.entity_id))
    return render_template("invoicing/_copy_state.html", invoice=invoice, xero=state, oob=True)


def _readiness_of(invoice_id: int) -> Readiness:
    """The Xero organisation of the invoice's billing entity, as it is now (404: no invoice)."""
    invoice = get_invoice(invoice_id) or abort(404)
    return readiness(invoice.entity_id)


def _modal_data(invoice_id: int, action: str, ready) -> copy_options.ModalData:
    try:
        return copy_options.modal_data(invoice_id, action, ready)
    except LookupError:
        abort(404)


def _read_reference(tenant_id: str) -> str | None:
    """Xero's tax rates come from the cache; read once from Xero if it was never filled."""
    try:
        reference.ensure_loaded(tenant_id)
    except XeroError as error:
        return f"Bridge could not read Xero's tax rates: {error}"
    return None


def _modal(modal, form: CopyForm, status: int = 200, *, refusal: Refusal | None = None,
           result: CopyResult | None = None, problem: str | None = None):
    """The modal (a page without HTMX), with the preview of the chosen tax rate."""
    preview = None
    if form.tax_type.data and modal.readiness.ready:
        preview = copy_options.preview(modal.invoice.id, form.tax_type.data, modal.readiness)
    new_form = NewContactForm(formdata=None, data={
        "new_contact_name": modal.new_contact["name"], "new_contact_email": modal.new_contact["email"],
        "new_contact_tax_number": modal.new_contact["tax_number"]})
    chosen = form.contact.data or modal.contact
    return page_or_partial("invoicing/copy.html", "invoicing/_copy_modal.html", status,
                           modal=modal, invoice=modal.invoice, form=form, preview=preview,
                           account_warnings=copy_options.account_warnings(modal.readiness.tenant_id, preview),
                           refusal=refusal, result=result, problem=problem, chosen=chosen,
                           new_form=new_form)
