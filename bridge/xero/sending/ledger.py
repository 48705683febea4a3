"""Xero is the ledger: what Xero holds of each document Bridge created there (XeroDocument),
and Bridge's invoice or expense summed up from those rows.

    ledger.record(tenant_id, element, invoice_id=7)     # Xero's answer to a copy, or a GET
    ledger.summarise(Invoice, {7})                      # totals, status, credit, payment status

A document's rows are every copy Bridge ever made of it. Those still live in Xero (not VOIDED
or DELETED) count: the newest live one gives the total that payments settle, its number and
its status; the credit applied to all of them is the document's credit. With no live copy
left the document shows how it ended (VOIDED or DELETED, and when) and nothing is owed.
The payments themselves are mirrored by bridge.xero.sync; this module only sums up.
"""
from collections import defaultdict
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select

from bridge.billing.credit_notes import unsent_credit
from bridge.billing.payments import refresh_many
from bridge.extensions import db
from bridge.models import ENDED_STATUSES, ZERO, CreditNote, Expense, Invoice, XeroDocument, utcnow

# Xero's field -> ours, for the amounts a document answer or summary carries.
AMOUNTS = {"SubTotal": "sub_total", "TotalTax": "total_tax", "Total": "total",
           "AmountDue": "amount_due", "AmountPaid": "amount_paid", "AmountCredited": "amount_credited"}


def xero_key(value) -> str:
    """A Xero id as stored: lower-case text."""
    return str(value or "").lower()


def record(tenant_id: str, element: dict, *, invoice_id: int | None = None,
           expense_id: int | None = None, credit_note_id: int | None = None) -> XeroDocument | None:
    """Keep what Xero said of one of our documents (an answer to a create, update or void, or
    a GET); the caller summarises and commits. None when the element has no InvoiceID (or
    CreditNoteID: a credit note's element is read as_document)."""
    element = as_document(element)
    xero_id = xero_key(element.get("InvoiceID"))
    if not xero_id:
        return None
    row = db.session.scalar(select(XeroDocument).where(
        XeroDocument.tenant_id == tenant_id, XeroDocument.xero_id == xero_id))
    if row is None:
        row = XeroDocument(tenant_id=tenant_id, xero_id=xero_id, invoice_id=invoice_id,
                           expense_id=expense_id, credit_note_id=credit_note_id)
        db.session.add(row)
    apply(row, element)
    return row


def as_document(element: dict) -> dict:
    """A Xero CreditNote element in an invoice's words (spec schema CreditNote): its id and
    number under InvoiceID and InvoiceNumber, RemainingCredit as AmountDue, and the credit
    allocated to invoices as AmountCredited; an invoice's element as it is."""
    if "CreditNoteID" not in element:
        return element
    document = {**element, "InvoiceID": element["CreditNoteID"],
                "InvoiceNumber": element.get("CreditNoteNumber")}
    if element.get("RemainingCredit") is not None:
        document["AmountDue"] = element["RemainingCredit"]
    if "Allocations" in element:
        document["AmountCredited"] = allocated(element)
    if "Payments" in element:
        document["AmountPaid"] = refunded(element)
    return document


def allocated(element: dict) -> Decimal:
    """A credit note's credit applied to invoices: its allocations not deleted."""
    return sum((Decimal(str(a.get("Amount") or 0)) for a in element.get("Allocations") or []
                if not a.get("IsDeleted")), ZERO)


def refunded(element: dict) -> Decimal:
    """A credit note's credit paid back in cash: its refunds (payments) not deleted."""
    return sum((Decimal(str(p.get("Amount") or 0)) for p in element.get("Payments") or []
                if p.get("Status") != "DELETED"), ZERO)


def apply(row: XeroDocument, element: dict) -> bool:
    """Copy Xero's number, status and amounts onto the row; False (nothing changed) for an
    answer older than what the row already holds."""
    updated = element.get("UpdatedDateUTC")
    if updated is not None and row.xero_updated_at is not None and updated < row.xero_updated_at:
        return False
    before = _state(row)
    row.number = element.get("InvoiceNumber") or row.number
    row.status = element.get("Status") or row.status
    row.currency = element.get("CurrencyCode") or row.currency
    for theirs, ours in AMOUNTS.items():
        if element.get(theirs) is not None:
            setattr(row, ours, Decimal(str(element[theirs])))
    if "FullyPaidOnDate" in element:
        row.fully_paid_on = element.get("FullyPaidOnDate")
    if row.status in ("VOIDED", "DELETED") and row.ended_at is None:
        row.ended_at = updated or utcnow()
    row.xero_updated_at = updated or row.xero_updated_at
    row.read_at = utcnow()
    return _state(row) != before


def _state(row: XeroDocument) -> tuple:
    return (row.number, row.status, row.currency, row.fully_paid_on,
            *(getattr(row, ours) for ours in AMOUNTS.values()))


def documents_of(tenant_id: str, xero_ids: Iterable[str]) -> dict[str, XeroDocument]:
    """Our XeroDocument rows for these Xero InvoiceIDs, live or not (one query)."""
    xero_ids = {xero_key(i) for i in xero_ids if i}
    if not xero_ids:
        return {}
    rows = db.session.scalars(select(XeroDocument).where(
        XeroDocument.tenant_id == tenant_id, XeroDocument.xero_id.in_(xero_ids)))
    return {row.xero_id: row for row in rows}


def copies_of(model, document_id: int) -> list[XeroDocument]:
    """Every copy in Xero of an invoice (or expense), live or ended, oldest first."""
    column = _column(model)
    return list(db.session.scalars(select(XeroDocument).where(column == document_id).order_by(XeroDocument.id)))


def why_totals_differ(invoice: Invoice, document: XeroDocument) -> str | None:
    """Why Xero's total of a live copy is not Bridge's, in words; None when they agree."""
    if document.total is None or document.total == invoice.total:
        return None
    if invoice.changed_since_copied:
        return "The invoice was changed in Bridge after it was copied: Update existing sends the change to Xero."
    if document.sub_total == invoice.subtotal and document.total_tax != invoice.tax_total:
        return (f"The tax differs: Xero applied {document.total_tax:,.2f} of tax with the rate chosen when "
                f"copying, Bridge's tax rates give {invoice.tax_total:,.2f}.")
    return "The lines differ: the copy was changed in Xero, or Bridge's invoice after the copy."


def live_copies(model, document_id: int) -> list[XeroDocument]:
    """An invoice's (or expense's) copies still live in Xero, oldest first."""
    column = _column(model)
    return list(db.session.scalars(select(XeroDocument).where(
        column == document_id, XeroDocument.status.not_in(ENDED_STATUSES) | XeroDocument.status.is_(None))
        .order_by(XeroDocument.id)))


def current_copy(rows: list[XeroDocument]) -> XeroDocument:
    """The copy a document shows (oldest-first rows): its newest live one, else its newest."""
    live = [row for row in rows if row.live]
    return live[-1] if live else rows[-1]


def current_copies(model, ids: Iterable[int]) -> dict[int, XeroDocument]:
    """Each invoice's (or expense's) current copy, in one query; those never copied are absent."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    column = _column(model)
    copies = defaultdict(list)
    for row in db.session.scalars(select(XeroDocument).where(column.in_(ids)).order_by(XeroDocument.id)):
        copies[getattr(row, column.key)].append(row)
    return {document_id: current_copy(rows) for document_id, rows in copies.items()}


def summarise(model, ids: Iterable[int]) -> set[int]:
    """Sum the Xero copies of these invoices (or expenses) up into them, then their payment
    status; the ids whose ledger figures or payment status changed (the caller commits)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return set()
    column = _column(model)
    copies = defaultdict(list)
    for row in db.session.scalars(select(XeroDocument).where(column.in_(ids)).order_by(XeroDocument.id)):
        copies[getattr(row, column.key)].append(row)
    changed = set()
    for document in db.session.scalars(select(model).where(model.id.in_(ids))):
        if document.id in copies and _sum_up(document, copies[document.id]):
            changed.add(document.id)
    db.session.flush()
    if model is CreditNote:
        return changed
    return changed | refresh_many(model, ids)


def _column(model):
    """The XeroDocument column that links to a document of `model`."""
    return {Invoice: XeroDocument.invoice_id, Expense: XeroDocument.expense_id,
            CreditNote: XeroDocument.credit_note_id}[model]


def _sum_up(document: Invoice | Expense | CreditNote, rows: list[XeroDocument]) -> bool:
    """Set the document's Xero figures from its copies; True when any of them changed."""
    live = [row for row in rows if row.live]
    newest = current_copy(rows)
    if isinstance(document, CreditNote):
        return _set(document, {"xero_number": newest.number, "xero_status": newest.status,
                               "xero_total": newest.total, "xero_allocated": newest.amount_credited,
                               "xero_refunded": newest.amount_paid, "xero_remaining": newest.amount_due})
    credited = sum((row.amount_credited or ZERO for row in live), ZERO)
    total = newest.total if live else None
    if isinstance(document, Invoice):
        # Credit notes Xero does not hold yet lower what is owed in Bridge too.
        credited += unsent_credit(document.id)
        figures = {"xero_total": total, "xero_number": newest.number, "xero_status": newest.status,
                   "xero_ended_at": None if live else max(row.ended_at or utcnow() for row in rows),
                   "amount_credited": credited}
    else:
        figures = {"bill_total": total if live else document.bill_total,
                   "xero_status": newest.status, "amount_credited": credited}
    return _set(document, figures)


def _set(document, figures: dict) -> bool:
    """Set the figures on the document; True when any changed."""
    changed = False
    for name, value in figures.items():
        if getattr(document, name) != value:
            setattr(document, name, value)
            changed = True
    return changed
