"""Credit notes and their allocations to invoices (which raise AmountCredited)."""
from decimal import Decimal

from flask import g

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import batch, bp, documents, history, query
from bridge.xero_sandbox.accounting import validation as v
from bridge.xero_sandbox.accounting.invoices import find, result, unitdp
from bridge.xero_sandbox.accounting.serialize import credit_note_json, invoice_loading
from bridge.xero_sandbox.db import Allocation, Invoice, db, new_id

TYPES = ("ACCRECCREDIT", "ACCPAYCREDIT")
TARGET_TYPE = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}
# UNCONFIRMED wording: no Xero source found.
NOT_AUTHORISED = "Allocations can only be made from and to Authorised documents."


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
    """One credit note."""
    note = find(g.org.id, ident, TYPES)
    if note is None:
        return wire.not_found()
    return wire.ok("CreditNotes", [credit_note_json(note, unitdp())])


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
    if amount <= 0:
        return [v.PAYMENT_AMOUNT]
    if wire.money(amount) > note.amount_due:
        return [v.ALLOCATION_TOO_BIG]
    if wire.money(amount) > invoice.amount_due:
        return [v.ALLOCATION_EXCEEDS_DUE]
    return []


def allocate(note: Invoice, invoice: Invoice, amount: Decimal, day) -> Allocation:
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
        invoice = find(g.org.id, str(sent.get("InvoiceID") or "")) if sent.get("InvoiceID") else None
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
    now = clock.now()
    allocation.is_deleted = True
    db.session.flush()
    for doc in (allocation.invoice, note):
        documents.settle(doc)
        doc.updated_utc = now
        db.session.expire(doc, ["credits_in", "credits_out"])  # view-only lists: reload them
    db.session.commit()
    return wire.json_response(allocation_json(allocation))
