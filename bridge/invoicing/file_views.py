"""The Files section of an invoice (supporting files) and of an expense (receipts): upload,
download, delete, and Retry of the uploads to Xero that did not go. The rules live in
bridge.billing.files (what is kept, where) and bridge.xero.sending.attachments (Xero)."""
import json

from flask import abort, flash, render_template, request, send_file, url_for
from flask_login import current_user

from bridge.billing import files
from bridge.billing.files import FileRefused, Owner
from bridge.billing.service import get_invoice
from bridge.extensions import db
from bridge.forms import EmptyForm
from bridge.invoicing import bp
from bridge.invoicing.file_forms import FileUploadForm
from bridge.invoicing.responses import go_to, is_htmx, page_or_partial
from bridge.models import DocumentFile, Expense, Invoice
from bridge.xero.bills.send import upload_receipts
from bridge.xero.invoices.copy import upload_invoice_files
from bridge.xero.sending.attachments import files_in_xero

# Room for the multipart envelope around the largest file taken.
ENVELOPE = 256 * 1024


def allow_large_files():
    """An upload may be larger than the app's request limit (MAX_CONTENT_LENGTH): its own limit
    is set before anything reads the body (CSRF protection reads the form first)."""
    if request.endpoint == "invoicing.file_upload":
        request.max_content_length = files.max_bytes() + ENVELOPE


@bp.record_once
def _first_of_all(state) -> None:
    """allow_large_files runs before every other before_request function of the app."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_large_files)


def _document(kind: str, document_id: int):
    """The invoice or expense the URL names (404 when it does not exist)."""
    if kind == "invoices":
        return get_invoice(document_id) or abort(404), Owner(invoice_id=document_id)
    return db.session.get(Expense, document_id) or abort(404), Owner(expense_id=document_id)


def _page_url(owner: Owner) -> str:
    if owner.invoice_id is not None:
        return url_for("invoicing.show", invoice_id=owner.invoice_id)
    return url_for("workspace.expense", expense_id=owner.expense_id)


def files_context(owner: Owner, form: FileUploadForm | None = None, problem: str | None = None) -> dict:
    """What _files.html needs (as `files`): the files against the last Xero copy, the upload
    form, the limits, and a refusal that belongs to no field (a delete)."""
    kind = "invoices" if owner.invoice_id is not None else "expenses"
    document_id = owner.invoice_id if owner.invoice_id is not None else owner.expense_id
    return {"closed": closed_to_uploads(owner), "state": files_in_xero(owner), "form": form or FileUploadForm(formdata=None),
            "invoice": owner.invoice_id is not None, "kind": kind, "document_id": document_id,
            "max": files.readable_size(files.max_bytes()), "max_bytes": files.max_bytes(),
            "per_document": files.MAX_PER_DOCUMENT, "problem": problem,
            "noun": "supporting files" if owner.invoice_id is not None else "receipts"}


VOIDED_NO_UPLOADS = ("This invoice is voided: nothing more is added to it, so files cannot be uploaded. "
                     "Its files stay as they are.")


def closed_to_uploads(owner: Owner) -> str | None:
    """Why no file can be added to the document now (a voided invoice), or None."""
    if owner.invoice_id is None:
        return None
    invoice = db.session.get(Invoice, owner.invoice_id)
    return VOIDED_NO_UPLOADS if invoice is not None and invoice.voided else None


def document_files(invoice_id: int | None = None, expense_id: int | None = None) -> dict:
    """files_context for a page that includes _files.html (a template global)."""
    return files_context(Owner(invoice_id, expense_id))


def _section(document, owner: Owner, status: int = 200, form: FileUploadForm | None = None, trigger=None,
             problem: str | None = None):
    """The Files section (HTMX), or a page of it alone (a plain post that needs to say why)."""
    body, code, headers = page_or_partial("invoicing/files.html", "invoicing/_files.html", status,
                                          document=document, back_url=_page_url(owner),
                                          files=files_context(owner, form, problem))
    if trigger:
        headers["HX-Trigger"] = json.dumps(trigger)
    return body, code, headers


@bp.get("/invoices/<int:document_id>/files", defaults={"kind": "invoices"})
@bp.get("/expenses/<int:document_id>/files", defaults={"kind": "expenses"})
def files_section(kind: str, document_id: int):
    """The Files section alone (HTMX refresh), or as a page."""
    document, owner = _document(kind, document_id)
    return _section(document, owner)


@bp.post("/invoices/<int:document_id>/files", defaults={"kind": "invoices"})
@bp.post("/expenses/<int:document_id>/files", defaults={"kind": "expenses"})
def file_upload(kind: str, document_id: int):
    """Keep an uploaded file with the document; a refusal is said at the field (422)."""
    document, owner = _document(kind, document_id)
    form = FileUploadForm()  # the request's limit was raised by allow_large_files
    closed = closed_to_uploads(owner)
    if closed:
        return _section(document, owner, 422, problem=closed)
    if not form.validate():
        return _section(document, owner, 422, form)
    upload = form.file.data
    try:
        row = files.add(owner, upload.stream, upload.filename or "", user_id=current_user.id,
                        include_online=bool(form.include_online.data) and owner.invoice_id is not None)
    except FileRefused as refused:
        form.file.errors = [refused.message]
        return _section(document, owner, 422, form)
    message = f"Added {row.file_name} ({files.readable_size(row.size)})."
    if not is_htmx():
        flash(message, "success")
        return go_to(_page_url(owner))
    return _section(document, owner, 200, trigger={"showMessage": message, "filesChanged": True})


@bp.get("/files/<int:file_id>")
def file_download(file_id: int):
    """The file's bytes for a logged-in person: always a download, its own type, never sniffed."""
    row = db.session.get(DocumentFile, file_id) or abort(404)
    path = files.path_of(row)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row.mime_type, as_attachment=True, download_name=row.file_name,
                         conditional=False, etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/files/<int:file_id>/delete")
def file_delete(file_id: int):
    """Delete a file that never reached Xero; after an upload it stays (and the section says so)."""
    row = db.session.get(DocumentFile, file_id) or abort(404)
    owner = Owner(row.invoice_id, row.expense_id)
    kind = "invoices" if owner.invoice_id is not None else "expenses"
    document, _ = _document(kind, owner.invoice_id or owner.expense_id)
    if not EmptyForm().validate():
        abort(400)
    name = row.file_name
    try:
        files.delete(row)
    except FileRefused as refused:
        if not is_htmx():
            flash(refused.message, "warning")
            return go_to(_page_url(owner))
        return _section(document, owner, 422, problem=refused.message)
    message = f"Deleted {name}."
    if not is_htmx():
        flash(message, "success")
        return go_to(_page_url(owner))
    return _section(document, owner, 200, trigger={"showMessage": message, "filesChanged": True})


@bp.post("/invoices/<int:document_id>/xero/files", defaults={"kind": "invoices"})
@bp.post("/expenses/<int:document_id>/xero/files", defaults={"kind": "expenses"})
def files_retry(kind: str, document_id: int):
    """Retry: upload the files the last copy (or bill) in Xero lacks, each exactly once."""
    document, owner = _document(kind, document_id)
    if not EmptyForm().validate():
        abort(400)
    if owner.invoice_id is not None:
        problems = upload_invoice_files(document_id, current_user.id)
    else:
        problems = upload_receipts(document_id, current_user.id)
    message = " ".join(problems) if problems else "Every file is in Xero now."
    if not is_htmx():
        flash(message, "warning" if problems else "success")
        return go_to(_page_url(owner))
    # The Xero boxes refresh: the invoice's on xeroCopied, the expense's on filesRetried.
    trigger = {"showMessage": message, "filesRetried": True}
    if owner.invoice_id is not None:
        trigger["xeroCopied"] = {"invoice": document_id}
    if request.form.get("from_modal"):
        trigger["closeModal"] = True  # the copy modal's Retry: the page shows the outcome
    return _section(document, owner, 200, trigger=trigger)
