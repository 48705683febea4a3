"""Bulk Copy to Xero from the invoice table (the ticked rows, or every invoice matching the
filter) and from the list of credit notes (credit_note_list): the selection becomes a draft
job; the modal shows what will happen and, once confirmed, a progress bar polled every second
and then each document's result. The job's pages here serve every kind. The work runs in the
background (bridge.xero.bulk.jobs); closing the modal does not stop it."""
from flask import abort, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField

from bridge.bounds import parse_id
from bridge.extensions import db
from bridge.invoicing import bp, table
from bridge.invoicing.forms import InChoices, InvoiceFilterForm, options
from bridge.invoicing.responses import page_or_partial
from bridge.models import CreditNote, XeroCopyJob
from bridge.xero.bulk import jobs as bulk_copy
from bridge.xero.bulk.kinds import kind_of
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.scheduling import scheduler
from bridge.xero.sending.attempt import xero_url
from bridge.xero.sending.payloads import COPY_STATUSES

MODAL, PAGE = "invoicing/_bulk_modal.html", "invoicing/bulk.html"
PROGRESS = "invoicing/_bulk_progress.html"


class BulkSelectForm(FlaskForm):
    """Copy to Xero on the table: the ticked rows, or every invoice matching the filter."""

    all_matching = BooleanField("Select all invoices matching the filter")


class BulkStartForm(FlaskForm):
    """The confirmation: the Xero status for the batch when the setting is Manual."""

    status = SelectField("Status in Xero for these invoices", default="", validate_choice=False,
                         choices=options(list(COPY_STATUSES.items()), "Choose…"),
                         validators=[InChoices("Choose the status the invoices get in Xero.")])
    accept_differences = BooleanField("Copy these with Xero's totals")


@bp.post("/invoices/xero/bulk")
def bulk_select():
    """Store the selection as a draft job and show what copying it would do."""
    form = BulkSelectForm()
    if not form.validate():
        abort(400)
    if form.all_matching.data:
        filters = InvoiceFilterForm(request.form)
        clients, entities = table.filter_choices()
        filters.client.choices = options(clients, "Any client")
        filters.entity.choices = options(entities, "Any entity")
        if not filters.validate():
            return refused_modal("The filter cannot be used: correct it and select again.")
        ids = table.matching_ids(filters.to_filters())
    else:
        ids = [i for i in map(parse_id, request.form.getlist("invoice_ids")) if i is not None]
    link = url_for("invoicing.show", invoice_id=0, _external=True)
    try:
        job = bulk_plan.select_invoices(ids, user_id=current_user.id,
                                        link_template=link[:-1] + "{id}")
    except bulk_plan.BulkRefused as refused:
        return refused_modal(refused.message)
    return plan_modal(job.id, BulkStartForm(formdata=None))


@bp.post("/invoices/xero/jobs/<int:job_id>/start")
def bulk_start(job_id: int):
    """Confirm: the job is queued for the background runner; the modal shows its progress."""
    form = BulkStartForm()
    _job_or_404(job_id)
    if not form.validate():
        abort(400)
    try:
        bulk_plan.queue_job(job_id, form.status.data or None, bool(form.accept_differences.data))
    except bulk_plan.BulkRefused as refused:
        return plan_modal(job_id, form, 422, refused.message)
    scheduler.wake_copy_jobs()
    return _progress(job_id)


@bp.get("/invoices/xero/jobs/<int:job_id>")
def bulk_job(job_id: int):
    """The job's progress (polled by the modal), or its page when reopened from the Xero card."""
    job = _job_or_404(job_id)
    if job.state == "draft":
        return plan_modal(job_id, BulkStartForm(formdata=None))
    return _progress(job_id)


def _job_or_404(job_id: int) -> XeroCopyJob:
    return db.session.get(XeroCopyJob, job_id) or abort(404)


def refused_modal(message: str):
    """The modal with only why nothing can be copied (422 keeps it open)."""
    return page_or_partial(PAGE, MODAL, 422, plan=None, form=None, problem=message)


def plan_modal(job_id: int, form: BulkStartForm, status: int = 200, problem: str | None = None):
    """The confirmation modal of a draft job, of any kind."""
    plan = bulk_plan.plan_job(job_id)
    return page_or_partial(PAGE, MODAL, status, plan=plan, form=form, problem=problem, kind=plan.kind)


def _progress(job_id: int):
    progress = bulk_copy.progress(job_id)
    kind = kind_of(progress.kind)
    rows = bulk_copy.results(job_id) if progress.over else []
    links = {row.id: xero_url(row) for row, _number in rows}
    # A credit note's allocation to its invoice's copy, made after the batches.
    notes = {note.id: note for note in db.session.scalars(db.select(CreditNote).where(
        CreditNote.id.in_([row.credit_note_id for row, _number in rows])))} if kind.name == "credit_note" else {}
    return page_or_partial(PAGE, PROGRESS, progress=progress, rows=rows, links=links, job_id=job_id,
                           kind=kind, notes=notes, on_page=request.args.get("on_page") == "1")
