"""Attachments on invoices, bills and credit notes: upload, list, and the file's bytes.

Paths and shapes from the spec (schema Attachment {AttachmentID, FileName, Url, MimeType,
ContentLength, IncludeOnline}); limits from the notes (§19, reported, not in the spec):
10 files per document, 10 MB per file through the API (both configurable), and the file types
Xero takes, judged by the file name's extension (Xero-Java#142: a name without a known
extension is refused even when its bytes are an image). A PUT or POST naming a file the
document already has replaces it (reported); the replacement gets a new AttachmentID
(UNCONFIRMED). Uploading changes neither the document's UpdatedDateUTC nor its history
(UNCONFIRMED). The bytes live in the sandbox's database, never under a served folder.
"""
import mimetypes

from flask import Response, current_app, g, request

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import bp
from bridge.xero_sandbox.accounting.creditnotes import TYPES as CREDIT_NOTE_TYPES
from bridge.xero_sandbox.accounting.invoices import TYPES as INVOICE_TYPES
from bridge.xero_sandbox.accounting.invoices import find
from bridge.xero_sandbox.accounting.serialize import attachment_json
from bridge.xero_sandbox.db import Attachment, Invoice, db, new_id

# The file types Xero takes [reported: integration docs quoting Xero, Codat 2026].
ALLOWED_EXTENSIONS = {
    "7z", "bmp", "csv", "doc", "docx", "eml", "gif", "jpeg", "jpg", "keynote", "msg", "numbers",
    "odf", "ods", "odt", "pages", "pdf", "png", "ppt", "pptx", "rar", "rtf", "tif", "tiff", "txt",
    "xls", "xlsx", "zip",
}
# Online invoices exist for sales documents only: IncludeOnline is ignored on bills (UNCONFIRMED).
ONLINE_TYPES = {"ACCREC", "ACCRECCREDIT"}
NIL_ID = "00000000-0000-0000-0000-000000000000"
# The wording Xero answered for a refused type (Xero-Java#142); the others are UNCONFIRMED.
TYPE_REFUSED = "The file couldn't be uploaded because it isn't a supported file type."
EMPTY = "The file couldn't be uploaded because it is empty."
TOO_MANY = "The file couldn't be uploaded because a document can have at most {limit} attachments."
# Python's built-in table only (not the host's /etc/mime.types), so every machine answers alike.
_GUESS = mimetypes.MimeTypes()
_COLLECTIONS = {"Invoices": INVOICE_TYPES, "CreditNotes": CREDIT_NOTE_TYPES}


def _extension(file_name: str) -> str:
    """The file name's extension, lower-cased ('' when it has none)."""
    stem, dot, extension = file_name.rpartition(".")
    return extension.lower() if dot and stem else ""


def mime_type(file_name: str, sent: str | None) -> str:
    """The MimeType kept: the Content-Type sent, or, when the client sent only
    application/octet-stream (as the SDKs do), the type the extension implies (UNCONFIRMED)."""
    sent = (sent or "").split(";")[0].strip().lower()
    if sent and sent != "application/octet-stream":
        return sent
    return _GUESS.guess_type(file_name, strict=False)[0] or "application/octet-stream"


def _document(collection: str, ident: str) -> Invoice | None:
    """The organisation's invoice/bill or credit note the path names."""
    return find(g.org.id, ident, _COLLECTIONS[collection])


def _refused(file_name: str, mime: str, length: int, errors: list[str]) -> Response:
    """The 400 ValidationException, its element shaped as Xero answered it (Xero-Java#142)."""
    element = {"AttachmentID": NIL_ID, "FileName": file_name, "MimeType": mime, "ContentLength": length,
               "ValidationErrors": [{"Message": m} for m in errors]}
    return wire.json_response(wire.validation_exception([element]), 400)


def _too_large() -> Response:
    """413 as Xero's gateway answers an oversized upload (Xero-Java#349, reported)."""
    return wire.problem(413, "RequestEntityTooLarge", "PayloadTooLarge")


def upload(collection: str, ident: str, file_name: str) -> Response:
    """Attach the request's bytes to the document under file_name (or replace that file)."""
    doc = _document(collection, ident)
    if doc is None:
        return wire.not_found()
    limit = current_app.config["SANDBOX_ATTACHMENT_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        return _too_large()  # refused before reading the body
    content = request.get_data()
    if len(content) > limit:
        return _too_large()
    mime = mime_type(file_name, request.headers.get("Content-Type"))
    existing = next((a for a in doc.attachments if a.file_name == file_name), None)
    errors = []
    if _extension(file_name) not in ALLOWED_EXTENSIONS:
        errors.append(TYPE_REFUSED)
    elif not content:
        errors.append(EMPTY)
    per_document = current_app.config["SANDBOX_ATTACHMENTS_PER_DOCUMENT"]
    if existing is None and len(doc.attachments) >= per_document:
        errors.append(TOO_MANY.format(limit=per_document))
    if errors:
        return _refused(file_name, mime, len(content), errors)
    # Rows are added and deleted beside the document, not through its list: the document itself
    # is not written, so no INVOICE webhook goes out and UpdatedDateUTC stays (UNCONFIRMED).
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()  # the old row goes before the new one takes its name
    online = request.args.get("IncludeOnline", "").strip().lower() == "true" and doc.type in ONLINE_TYPES
    attachment = Attachment(id=new_id(), org_id=doc.org_id, document_id=doc.id, file_name=file_name,
                            mime_type=mime, content_length=len(content), include_online=online,
                            content=content, created_utc=clock.now())
    db.session.add(attachment)
    db.session.commit()
    db.session.expire(doc, ["attachments"])
    return wire.ok("Attachments", [attachment_json(doc, attachment)])


def listing(collection: str, ident: str) -> Response:
    """The document's attachments, oldest first, without their bytes."""
    doc = _document(collection, ident)
    if doc is None:
        return wire.not_found()
    return wire.ok("Attachments", [attachment_json(doc, a) for a in doc.attachments])


def find_attachment(doc: Invoice, name: str) -> Attachment | None:
    """An attachment by AttachmentID, else by FileName (the spec has both paths)."""
    lowered = name.lower()
    return (next((a for a in doc.attachments if a.id == lowered), None)
            or next((a for a in doc.attachments if a.file_name == name), None))


def content(collection: str, ident: str, name: str) -> Response:
    """The file's bytes, with its own MimeType as Content-Type."""
    doc = _document(collection, ident)
    attachment = find_attachment(doc, name) if doc is not None else None
    if attachment is None:
        return wire.not_found()
    return Response(attachment.content, content_type=attachment.mime_type)


@bp.get("/Invoices/<ident>/Attachments")
def invoice_attachments(ident):
    """Attachments of an invoice or bill."""
    return listing("Invoices", ident)


@bp.get("/Invoices/<ident>/Attachments/<name>")
def invoice_attachment(ident, name):
    """One attachment's bytes, by AttachmentID or FileName."""
    return content("Invoices", ident, name)


@bp.route("/Invoices/<ident>/Attachments/<name>", methods=["PUT", "POST"])
def upload_invoice_attachment(ident, name):
    """Create (PUT) or replace (POST; a PUT of a known name replaces it too)."""
    return upload("Invoices", ident, name)


@bp.get("/CreditNotes/<ident>/Attachments")
def credit_note_attachments(ident):
    """Attachments of a credit note."""
    return listing("CreditNotes", ident)


@bp.get("/CreditNotes/<ident>/Attachments/<name>")
def credit_note_attachment(ident, name):
    """One attachment's bytes, by AttachmentID or FileName."""
    return content("CreditNotes", ident, name)


@bp.route("/CreditNotes/<ident>/Attachments/<name>", methods=["PUT", "POST"])
def upload_credit_note_attachment(ident, name):
    """Create or replace a credit note's attachment."""
    return upload("CreditNotes", ident, name)
