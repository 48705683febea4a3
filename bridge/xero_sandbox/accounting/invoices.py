"""Invoices and bills: list, get (JSON or PDF), create (PUT), create-or-update (POST)."""
from flask import g, request

from bridge.xero_sandbox import wire
from bridge.xero_sandbox.accounting import batch, bp, documents, pdf, query
from bridge.xero_sandbox.accounting import validation as v
from bridge.xero_sandbox.accounting.serialize import invoice_json, invoice_loading
from bridge.xero_sandbox.db import Invoice, db

TYPES = ("ACCREC", "ACCPAY")


def unitdp() -> int:
    """Unit amount decimal places: 4 when the client opts in with unitdp=4, else 2."""
    return 4 if request.args.get("unitdp") == "4" else 2


def invoice_view(invoice: Invoice) -> dict:
    """The fields a `where` or `order` may name."""
    return {
        "InvoiceID": invoice.id, "Type": invoice.type, "Status": invoice.status,
        "InvoiceNumber": invoice.number, "Reference": invoice.reference,
        "Contact.ContactID": invoice.contact_id, "Contact.Name": invoice.contact.name,
        "Date": invoice.date, "DueDate": invoice.due_date, "UpdatedDateUTC": invoice.updated_utc,
        "FullyPaidOnDate": invoice.fully_paid_on, "CurrencyCode": invoice.currency_code,
        "LineAmountTypes": invoice.line_amount_types, "SubTotal": invoice.sub_total,
        "TotalTax": invoice.total_tax, "Total": invoice.total, "AmountDue": invoice.amount_due,
        "AmountPaid": invoice.amount_paid, "AmountCredited": invoice.amount_credited,
        "SentToContact": invoice.sent_to_contact, "HasAttachments": bool(invoice.attachments),
        "BrandingThemeID": invoice.branding_theme_id,
    }


def find(org_id: str, ident: str, types: tuple[str, ...] = TYPES) -> Invoice | None:
    """A document of the organisation by its ID or (Xero allows it) its number."""
    if wire.GUID.match(ident):
        doc = db.session.get(Invoice, ident.lower())
        return doc if doc and doc.org_id == org_id and doc.type in types else None
    candidates = db.session.scalars(db.select(Invoice).where(
        Invoice.org_id == org_id, Invoice.number == ident, Invoice.type.in_(types)))
    # Prefer a live document over a deleted one that had the same number.
    return min(candidates, key=lambda i: i.status == "DELETED", default=None)


@bp.get("/Invoices")
def list_invoices():
    """Invoices and bills, filtered, ordered and paged as Xero does."""
    records = list(db.session.scalars(db.select(Invoice).where(
        Invoice.org_id == g.org.id, Invoice.type.in_(TYPES)).options(*invoice_loading())))
    wanted_ids = {i.lower() for i in query.id_list("IDs")}
    numbers = set(query.id_list("InvoiceNumbers"))
    contacts = {c.lower() for c in query.id_list("ContactIDs")}
    statuses = {s.upper() for s in query.id_list("Statuses")}
    term = request.args.get("searchTerm", "").strip().lower()
    mine = query.flag("createdByMyApp")
    records = [
        r for r in records
        if (not wanted_ids or r.id in wanted_ids) and (not numbers or r.number in numbers)
        and (not contacts or r.contact_id in contacts) and (not statuses or r.status in statuses)
        and (not term or term in r.number.lower() or term in r.reference.lower())
        and (not mine or r.created_by_client == g.client_id)
    ]
    records = query.since_filter(records, lambda r: r.updated_utc)
    records = query.where_filter(records, invoice_view, "Invoice")
    records = query.order(records, invoice_view, "UpdatedDateUTC ASC")
    page, pagination = query.paginate(records)
    summary = query.flag("summaryOnly")
    return wire.ok("Invoices", [invoice_json(r, unitdp(), summary) for r in page], pagination)


@bp.get("/Invoices/<ident>")
def get_invoice(ident):
    """One invoice as a one-element array, or its PDF for Accept: application/pdf."""
    invoice = find(g.org.id, ident)
    if invoice is None:
        return wire.not_found()
    if "application/pdf" in request.headers.get("Accept", ""):
        return pdf.invoice_pdf(invoice, g.org)
    return wire.ok("Invoices", [invoice_json(invoice, unitdp(), single=True)])


@bp.get("/Invoices/<ident>/pdf")
def pdf_alias(ident):
    """The spec's /pdf path is a code-generation alias only: real Xero answers 404 (notes §11)."""
    return wire.not_found()


def result(outcome: documents.Outcome, to_json) -> batch.Result:
    """An element's answer: the saved document, or its echo with the messages."""
    body = to_json(outcome.document, unitdp())
    if outcome.errors:
        return batch.failed(body, outcome.errors)
    return batch.Result(body, warnings=outcome.warnings)


def _create(element: dict) -> batch.Result:
    """Create one invoice or bill."""
    return result(documents.create(g.org, element, TYPES, unitdp(), g.client_id), invoice_json)


def _match(element: dict) -> tuple[Invoice | None, str | None]:
    """The existing document a POST element updates: by InvoiceID, or (ACCREC) by number.

    Matching by number includes deleted invoices, so re-posting a deleted one's number
    fails with "not of valid status" as reported for real Xero (notes §3.3).
    """
    if element.get("InvoiceID"):
        invoice = find(g.org.id, str(element["InvoiceID"]))
        # UNCONFIRMED wording for an unknown InvoiceID in a POST body.
        return (invoice, None) if invoice else (None, v.DOCUMENT_NOT_FOUND)
    if str(element.get("Type") or "").upper() == "ACCREC" and element.get("InvoiceNumber"):
        invoice = find(g.org.id, str(element["InvoiceNumber"]), ("ACCREC",))
        return invoice, None
    return None, None


def _create_or_update(element: dict) -> batch.Result:
    """POST semantics: update the matched document, else create one."""
    invoice, problem = _match(element)
    if problem:
        return batch.failed(dict(element), [problem])
    if invoice is None:
        return _create(element)
    return result(documents.update(g.org, invoice, element, unitdp()), invoice_json)


@bp.put("/Invoices")
def create_invoices():
    """PUT: create only (a sent InvoiceID is not used to match anything)."""
    return batch.run("Invoices", _create)


@bp.post("/Invoices")
def update_or_create_invoices():
    """POST: update by InvoiceID (or ACCREC InvoiceNumber), else create."""
    return batch.run("Invoices", _create_or_update)


@bp.post("/Invoices/<ident>")
def update_invoice(ident):
    """POST to one invoice: each element updates that invoice."""
    if find(g.org.id, ident) is None:
        return wire.not_found()
    return batch.run("Invoices", lambda element: result(
        documents.update(g.org, find(g.org.id, ident), element, unitdp()), invoice_json),
        allow_bare=True)
