"""Credit notes (list, get as JSON or PDF, create, update) and their allocations to invoices
(which raise the invoice's AmountCredited and lower the note's RemainingCredit).

Shapes follow the spec (paths /CreditNotes..., schemas CreditNote and Allocation); the rules
follow XERO_API_NOTES.md §10.3 (status changes), §13.5 and §19 (allocations). Cash refunds of
credit are payments (payments.py). The UI calls allocate/allocation_problems/remove_allocation.
"""
import datetime as dt
from decimal import Decimal

from flask import g, request

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import batch, bp, documents, history, pdf, query
from bridge.xero_sandbox.accounting import validation as v
from bridge.xero_sandbox.accounting.invoices import find, result, unitdp
from bridge.xero_sandbox.accounting.serialize import credit_note_json, invoice_loading
from bridge.xero_sandbox.db import Allocation, Invoice, db, new_id

TYPES = ("ACCRECCREDIT", "ACCPAYCREDIT")
TARGET_TYPE = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}
# UNCONFIRMED wordings: no Xero source found.
NOT_AUTHORISED = "Allocations can only be made from and to Authorised documents."
ALLOCATION_CURRENCY = "The credit note and the invoice must be in the same currency."


def credit_note_view(note: Invoice) -> dict:
    """Fields a `where`/`order` on CreditNotes may name."""
    return {
        "CreditNoteID": note.id, "CreditNoteNumber": note.number, "Type": note.type,
        "Status": note.status, "Contact.ContactID": note.contact_id, "Date": note.date,
        "UpdatedDateUTC": note.updated_utc, "Total": note.total, "RemainingCredit": note.amount_due,
        "Reference": note.reference, "CurrencyCode": note.currency_code,
        "BrandingThemeID": note.branding_theme_id, "HasAttachments": bool(note.attachments),
    }


@bp.get("/CreditNotes")
def list_credit_notes():
    """Credit notes, with If-Modified-Since, where, order and paging."""
    records = list(db.session.scalars(db.select(Invoice).where(
        Invoice.org_id == g.org.id, Invoice.type.in_(TYPES)).options(*invoice_loading())))
    records = query.since_filter(records, lambda n: n.updated_utc)
    records = query.where_filter(records, credit_note_view, "CreditNote")
    records = query.order(records, credit_note_view, "UpdatedDateUTC ASC")
    page, pagination = query.paginate(records)
    return wire.ok("CreditNotes", [credit_note_json(n, unitdp()) for n in page], pagination)


@bp.get("/CreditNotes/<ident>")
def get_credit_note(ident):
    """One credit note (with its attachments, as the spec's getCreditNote example), or its PDF
    for Accept: application/pdf (getCreditNoteAsPdf's x-path is this path, notes §11)."""
    note = find(g.org.id, ident, TYPES)
    if note is None:
        return wire.not_found()
    if "application/pdf" in request.headers.get("Accept", ""):
        return pdf.invoice_pdf(note, g.org)
    return wire.ok("CreditNotes", [credit_note_json(note, unitdp(), single=True)])


@bp.get("/CreditNotes/<ident>/pdf")
def credit_note_pdf_alias(ident):
    """The spec's /pdf path is a code-generation alias only: real Xero answers 404 (notes §11)."""
    return wire.not_found()


def _create(element: dict) -> batch.Result:
    """Create one credit note."""
    return result(documents.create(g.org, element, TYPES, unitdp(), g.client_id), credit_note_json)


def _create_or_update(element: dict) -> batch.Result:
    """Update by CreditNoteID, else create."""
    if not element.get("CreditNoteID"):
        return _create(element)
    note = find(g.org.id, str(element["CreditNoteID"]), TYPES)
    if note is None:
        return batch.failed(dict(element), [v.DOCUMENT_NOT_FOUND])
    return result(documents.update(g.org, note, element, unitdp()), credit_note_json)


@bp.put("/CreditNotes")
def create_credit_notes():
    """Create credit notes."""
    return batch.run("CreditNotes", _create)


@bp.post("/CreditNotes")
def update_or_create_credit_notes():
    """Update or create credit notes."""
    return batch.run("CreditNotes", _create_or_update)


@bp.post("/CreditNotes/<ident>")
def update_credit_note(ident):
    """POST to one credit note (spec updateCreditNote): each element updates that credit note.
    Status rules are the invoices' (notes §10.3): VOIDED only from AUTHORISED with nothing
    allocated or refunded, DELETED only from DRAFT or SUBMITTED."""
    if find(g.org.id, ident, TYPES) is None:
        return wire.not_found()
    return batch.run("CreditNotes", lambda element: result(
        documents.update(g.org, find(g.org.id, ident, TYPES), element, unitdp()), credit_note_json),
        allow_bare=True)


def allocation_json(allocation: Allocation) -> dict:
    """An allocation with its invoice and credit note."""
    invoice, note = allocation.invoice, allocation.credit_note
    return {
        "AllocationID": allocation.id, "Amount": wire.money(allocation.amount),
        "Date": wire.msdate_day(allocation.date), "IsDeleted": allocation.is_deleted,
        "Invoice": {"InvoiceID": invoice.id, "InvoiceNumber": invoice.number, "Payments": [],
                    "CreditNotes": [], "Prepayments": [], "Overpayments": [], "HasErrors": False,
                    "IsDiscounted": False, "LineItems": [], "ValidationErrors": []},
        "CreditNote": {"CreditNoteID": note.id, "CreditNoteNumber": note.number, "LineItems": []},
        "ValidationErrors": [],
    }


def allocation_problems(note: Invoice, invoice: Invoice | None, amount: Decimal) -> list[str]:
    """Why this credit cannot be applied to this invoice."""
    if invoice is None or invoice.type != TARGET_TYPE[note.type]:
        return [v.DOCUMENT_NOT_FOUND]
    if note.status != "AUTHORISED" or invoice.status != "AUTHORISED":
        return [NOT_AUTHORISED]
    if invoice.contact_id != note.contact_id:
        return [v.ALLOCATION_CONTACT]
    if invoice.currency_code != note.currency_code:
        return [ALLOCATION_CURRENCY]
    if amount <= 0:
        return [v.PAYMENT_AMOUNT]
    if wire.money(amount) > note.amount_due:
        return [v.ALLOCATION_TOO_BIG]
    if wire.money(amount) > invoice.amount_due:
        return [v.ALLOCATION_EXCEEDS_DUE]
    return []


def allocate(note: Invoice, invoice: Invoice, amount: Decimal, day: dt.date) -> Allocation:
    """Apply credit to an invoice; both documents are settled and stamped together."""
    now = clock.now()
    allocation = Allocation(id=new_id(), org_id=note.org_id, credit_note=note, invoice=invoice,
                            amount=wire.money(amount), date=day, created_utc=now)
    db.session.add(allocation)
    db.session.flush()
    for doc in (invoice, note):
        documents.settle(doc, day)
        doc.updated_utc = now
        db.session.expire(doc, ["credits_in", "credits_out"])  # view-only lists: reload them
    history.record(invoice.id, invoice.org_id, "Credit Applied",
                   f"Credit note {note.number} applied for {allocation.amount}.")
    history.record(note.id, note.org_id, "Credit Applied",
                   f"Applied {allocation.amount} to {invoice.number or 'a bill'}.")
    db.session.commit()
    return allocation


@bp.put("/CreditNotes/<ident>/Allocations")
def create_allocations(ident):
    """Allocate a credit note to one or more invoices."""
    note = find(g.org.id, ident, TYPES)
    if note is None:
        return wire.not_found()

    def handle(element: dict) -> batch.Result:
        """One allocation element."""
        sent = element.get("Invoice") if isinstance(element.get("Invoice"), dict) else {}
        ident = sent.get("InvoiceID") or sent.get("InvoiceNumber")  # the spec's Invoice has both
        invoice = find(g.org.id, str(ident)) if ident else None
        amount = wire.to_decimal(element.get("Amount", 0), "Amount")
        day = wire.parse_day(element["Date"]) if element.get("Date") else clock.now().date()
        errors = allocation_problems(note, invoice, amount)
        if errors:
            return batch.failed(dict(element), errors, flag="HasValidationErrors")
        return batch.Result(allocation_json(allocate(note, invoice, amount, day)))

    return batch.run("Allocations", handle)


@bp.delete("/CreditNotes/<ident>/Allocations/<allocation_id>")
def delete_allocation(ident, allocation_id):
    """Remove an allocation: the invoice owes the amount again."""
    note = find(g.org.id, ident, TYPES)
    allocation = db.session.get(Allocation, allocation_id.lower())
    if note is None or allocation is None or allocation.credit_note_id != note.id or allocation.is_deleted:
        return wire.not_found()
    remove_allocation(allocation)
    # The spec's 200 answer is one Allocation (not an array in an envelope) with IsDeleted true.
    return wire.json_response(allocation_json(allocation))


def remove_allocation(allocation: Allocation) -> None:
    """Undo an allocation (kept, IsDeleted): the invoice owes the amount again, the credit
    note has it back; both are settled (PAID -> AUTHORISED) and stamped, so If-Modified-Since
    polling of either sees the change."""
    now = clock.now()
    allocation.is_deleted = True
    db.session.flush()
    invoice, note = allocation.invoice, allocation.credit_note
    for doc in (invoice, note):
        documents.settle(doc)
        doc.updated_utc = now
        db.session.expire(doc, ["credits_in", "credits_out"])  # view-only lists: reload them
    history.record(invoice.id, invoice.org_id, "Credit Removed",
                   f"Credit note {note.number or '(no number)'} allocation of {allocation.amount} removed.")
    history.record(note.id, note.org_id, "Credit Removed",
                   f"Allocation of {allocation.amount} to {invoice.number or 'a bill'} removed.")
    db.session.commit()
