"""The list of credit notes (paged, newest first) and its bulk Copy to Xero: the ticked notes
become a draft job of the credit note kind; the modal, its progress and results are the bulk
copy's (bulk_views), the work bridge.xero.bulk's."""
from flask import abort, current_app, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bridge.bounds import page_number, parse_id
from bridge.extensions import db
from bridge.invoicing import bp
from bridge.invoicing.bulk_views import BulkSelectForm, BulkStartForm, plan_modal, refused_modal
from bridge.invoicing.responses import page_or_partial
from bridge.models import CreditNote, Invoice
from bridge.xero.bulk import plan as bulk_plan
from bridge.xero.credit_notes.bulk import CREDIT_NOTES
from bridge.xero.settings.readiness import readiness

PAGE, TABLE = "invoicing/credit_notes_list.html", "invoicing/_credit_note_table.html"


@bp.get("/credit-notes")
def credit_notes():
    """Every credit note, newest first, a page at a time; HTMX gets the table alone."""
    per_page = current_app.config.get("INVOICES_PER_PAGE", 25)
    query = (select(CreditNote).options(joinedload(CreditNote.invoice).joinedload(Invoice.client))
             .order_by(CreditNote.issue_date.desc(), CreditNote.id.desc()))
    pagination = db.paginate(query, page=page_number(), per_page=per_page, error_out=False)
    ready = readiness().ready
    copying = bulk_plan.copying_ids(CREDIT_NOTES, [n.id for n in pagination.items]) if ready else set()
    return page_or_partial(PAGE, TABLE, pagination=pagination, xero_ready=ready, copying=copying,
                           bulk_form=BulkSelectForm(formdata=None))


@bp.post("/credit-notes/xero/bulk")
def credit_notes_bulk_select():
    """Store the ticked credit notes as a draft job and show what copying them would do."""
    if not BulkSelectForm().validate():
        abort(400)
    ids = [i for i in map(parse_id, request.form.getlist("credit_note_ids")) if i is not None]
    link = url_for("invoicing.credit_note_show", note_id=0, _external=True)
    try:
        job = bulk_plan.select_documents(CREDIT_NOTES.name, ids, user_id=current_user.id,
                                         link_template=link[:-1] + "{id}")
    except bulk_plan.BulkRefused as refused:
        return refused_modal(refused.message)
    return plan_modal(job.id, BulkStartForm(formdata=None))
