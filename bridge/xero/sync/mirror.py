"""Mirror what Xero sent (payments, invoices and bills) into Bridge's payments, invoices and
expenses, one page at a time; the caller commits.

Only documents Bridge created in Xero are touched (a XeroDocument row: every copy of an
invoice and every bill, the earlier ones too, so money applied to any live copy counts).
Their number, status and amounts go to the ledger (bridge.xero.sending.ledger), which sums
each invoice or expense up. Only payments whose source is "xero" are ever changed; manual
ones are left as they are. A payment deleted in Xero is kept, with deleted_at set (the audit
trail), never erased.
"""
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, select, update

from bridge.extensions import db
from bridge.models import ENDED_STATUSES, ZERO, CreditNote, Expense, Invoice, Payment, XeroCopy, XeroDocument, utcnow
from bridge.xero.sending import ledger

INVOICE, EXPENSE = "invoice", "expense"


@dataclass
class Counts:
    """What one sync changed."""

    added: int = 0
    deleted: int = 0
    changed: int = 0
    # Payments of documents Bridge did not copy, or from before the sync was turned on.
    ignored: int = 0
    invoices: set[int] = field(default_factory=set)
    expenses: set[int] = field(default_factory=set)

    def summary(self) -> str:
        """For people: "3 payments added, 1 deleted, 2 invoices updated"."""
        parts = []
        for number, verb in ((self.added, "added"), (self.deleted, "deleted"),
                             (self.changed, "changed")):
            if number:
                parts.append(f"{number} {verb}" if parts else f"{_plural(number, 'payment')} {verb}")
        if self.invoices:
            parts.append(_plural(len(self.invoices), "invoice") + " updated")
        if self.expenses:
            parts.append(_plural(len(self.expenses), "bill") + " updated")
        return ", ".join(parts) if parts else "Nothing changed"

    def as_dict(self) -> dict:
        return {"added": self.added, "deleted": self.deleted, "changed": self.changed,
                "ignored": self.ignored, "invoices": len(self.invoices),
                "expenses": len(self.expenses)}


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


_id = ledger.xero_key


def copied_documents(tenant_id: str, xero_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
    """{Xero InvoiceID: ("invoice" | "expense", our id)} for those ids that are ours."""
    return {xero_id: (INVOICE, row.invoice_id) if row.invoice_id is not None else (EXPENSE, row.expense_id)
            for xero_id, row in ledger.documents_of(tenant_id, xero_ids).items() if row.credit_note_id is None}


def all_copied(tenant_id: str, with_live_payments_only: bool = False) -> list[str]:
    """The Xero InvoiceIDs of every live document we created in Xero (optionally: only those
    with live Xero payments, and those whose figures Bridge has not read yet)."""
    rows = db.session.scalars(select(XeroDocument).where(
        XeroDocument.tenant_id == tenant_id, XeroDocument.credit_note_id.is_(None),
        XeroDocument.status.not_in(ENDED_STATUSES) | XeroDocument.status.is_(None)).order_by(XeroDocument.id)).all()
    if not with_live_payments_only:
        return [row.xero_id for row in rows]
    paid = set(db.session.execute(
        select(Payment.invoice_id, Payment.expense_id)
        .where(Payment.source == "xero", Payment.deleted_at.is_(None)).distinct()).all())
    return [row.xero_id for row in rows if (row.invoice_id, row.expense_id) in paid or row.total is None]


class Touched:
    """The documents a page touched, refreshed together at the end of the page."""

    def __init__(self):
        self.ids = {INVOICE: set(), EXPENSE: set()}
        # Changed already, whatever the refresh finds (their credit moved).
        self.changed = {INVOICE: set(), EXPENSE: set()}

    def add(self, kind: str, document_id: int | None) -> None:
        if document_id is not None:
            self.ids[kind].add(document_id)

    def add_payment(self, payment: Payment) -> None:
        kind = INVOICE if payment.invoice_id is not None else EXPENSE
        self.add(kind, payment.invoice_id or payment.expense_id)

    def refresh(self, counts: Counts) -> None:
        """Sum the touched documents up from the ledger and their payments; count those that changed."""
        db.session.flush()
        counts.invoices |= ledger.summarise(Invoice, self.ids[INVOICE]) | self.changed[INVOICE]
        counts.expenses |= ledger.summarise(Expense, self.ids[EXPENSE]) | self.changed[EXPENSE]


def _existing(payment_ids: Iterable[str]) -> dict[str, Payment]:
    """Our payments with these Xero PaymentIDs."""
    payment_ids = {_id(p) for p in payment_ids if p}
    if not payment_ids:
        return {}
    found = db.session.scalars(select(Payment).where(Payment.xero_payment_id.in_(payment_ids)))
    return {p.xero_payment_id: p for p in found}


def _new_payment(kind: str, document_id: int, item: dict, xero_document_id: str) -> Payment:
    payment = Payment(amount=Decimal(item["Amount"]), date=item["Date"],
                      reference=(item.get("Reference") or None), source="xero",
                      xero_payment_id=_id(item["PaymentID"]), xero_document_id=_id(xero_document_id))
    if kind == INVOICE:
        payment.invoice_id = document_id
    else:
        payment.expense_id = document_id
    db.session.add(payment)
    return payment


def _same(payment: Payment, item: dict) -> bool:
    """Whether our copy of a Xero payment still says what Xero says."""
    return (payment.amount == Decimal(item["Amount"]) and payment.date == item["Date"]
            and (payment.reference or None) == (item.get("Reference") or None))


def apply_payments(tenant_id: str, items: list[dict], counts: Counts,
                   floor: datetime | None) -> None:
    """Upsert one page of GET /Payments by PaymentID.

    A new payment is taken only when it changed at or after `floor` (the moment payment
    sync was turned on; None: any time).
    """
    documents = copied_documents(tenant_id, [(i.get("Invoice") or {}).get("InvoiceID")
                                             for i in items])
    existing = _existing(i.get("PaymentID") for i in items)
    touched = Touched()
    for item in items:
        local = existing.get(_id(item.get("PaymentID")))
        target = documents.get(_id((item.get("Invoice") or {}).get("InvoiceID")))
        if local is not None and local.source != "xero":
            continue  # never ours to change (not expected: manual payments have no PaymentID)
        if item.get("Status") == "DELETED":
            if local is not None and local.deleted_at is None:
                local.deleted_at = item.get("UpdatedDateUTC") or utcnow()
                counts.deleted += 1
                touched.add_payment(local)
            continue
        if local is None:
            updated = item.get("UpdatedDateUTC")
            if target is None or (floor is not None and updated is not None and updated < floor):
                counts.ignored += 1
                continue
            existing[_id(item["PaymentID"])] = _new_payment(*target, item, item["Invoice"]["InvoiceID"])
            counts.added += 1
            touched.add(*target)
        elif local.deleted_at is None and not _same(local, item):
            local.amount, local.date = Decimal(item["Amount"]), item["Date"]
            local.reference = item.get("Reference") or None
            counts.changed += 1
            touched.add_payment(local)
    touched.refresh(counts)


def live_xero_sums(xero_ids: Iterable[str]) -> dict[str, Decimal]:
    """The sum of live Xero payments per Xero document (what its AmountPaid should match)."""
    xero_ids = {_id(i) for i in xero_ids if i}
    if not xero_ids:
        return {}
    return dict(db.session.execute(
        select(Payment.xero_document_id, func.sum(Payment.amount))
        .where(Payment.xero_document_id.in_(xero_ids), Payment.source == "xero",
               Payment.deleted_at.is_(None))
        .group_by(Payment.xero_document_id)).all())


def _ours(tenant_id: str, items: list[dict]) -> list[tuple[dict, str, int]]:
    """(invoice, kind, our id) for the invoices of a page that Bridge copied."""
    documents = copied_documents(tenant_id, (i.get("InvoiceID") for i in items))
    return [(item, *documents[_id(item.get("InvoiceID"))]) for item in items
            if _id(item.get("InvoiceID")) in documents]


def closer_look(tenant_id: str, items: list[dict]) -> list[str]:
    """Of a page of changed invoices (summaries), ours whose payments need a full look.

    When Xero's AmountPaid differs from the sum of the live Xero payments we hold, a
    payment was deleted (or missed); a summary without amounts is looked at in full too.
    Reads only, so the caller can end its transaction before asking Xero.
    """
    ours = _ours(tenant_id, items)
    sums = live_xero_sums(item.get("InvoiceID") for item, _, _ in ours)
    return [_id(item["InvoiceID"]) for item, _, _ in ours
            if item.get("AmountPaid") is None or item.get("AmountCredited") is None
            or Decimal(sums.get(_id(item["InvoiceID"])) or ZERO) != Decimal(item["AmountPaid"])]


def apply_documents(tenant_id: str, items: list[dict], counts: Counts) -> None:
    """Keep what Xero now says of our documents that changed (number, status, totals, amounts
    paid, credited and due) and sum each invoice or expense up from it."""
    _keep_in_ledger(tenant_id, items, Touched()).refresh(counts)


def _keep_in_ledger(tenant_id: str, items: list[dict], touched: Touched) -> Touched:
    """Each of our documents among the items to the ledger; its invoice or expense is touched
    (and counted as changed) when Xero's figures moved. Copy rows show Xero's status too."""
    rows = ledger.documents_of(tenant_id, (item.get("InvoiceID") for item in items))
    for item in items:
        row = rows.get(_id(item.get("InvoiceID")))
        if row is None or row.credit_note_id is not None:
            continue
        kind = INVOICE if row.invoice_id is not None else EXPENSE
        document_id = row.invoice_id or row.expense_id
        touched.add(kind, document_id)
        if ledger.apply(row, item):
            touched.changed[kind].add(document_id)
            db.session.execute(update(XeroCopy).where(
                XeroCopy.tenant_id == tenant_id, XeroCopy.xero_id == row.xero_id, XeroCopy.state == "done")
                .values(xero_status=row.status, xero_number=row.number))
    return touched


def has_credit_notes(tenant_id: str) -> bool:
    """Whether Bridge copied a credit note to this organisation (then the sync reads credit notes)."""
    return db.session.scalar(select(XeroDocument.id).where(
        XeroDocument.tenant_id == tenant_id, XeroDocument.credit_note_id.is_not(None)).limit(1)) is not None


def apply_credit_notes(tenant_id: str, items: list[dict], counts: Counts) -> None:
    """Keep what Xero now says of our credit notes that changed (status, credit applied to
    invoices, refunded, left) and sum each Bridge credit note up from it; their invoices are
    summed up again too (a credit note voided in Xero gives its credit back)."""
    documents = [ledger.as_document(item) for item in items]
    rows = ledger.documents_of(tenant_id, (d.get("InvoiceID") for d in documents))
    notes = set()
    for document in documents:
        row = rows.get(_id(document.get("InvoiceID")))
        if row is None or row.credit_note_id is None:
            continue
        notes.add(row.credit_note_id)
        if ledger.apply(row, document):
            db.session.execute(update(XeroCopy).where(
                XeroCopy.tenant_id == tenant_id, XeroCopy.xero_id == row.xero_id, XeroCopy.state == "done")
                .values(xero_status=row.status, xero_number=row.number))
    if not notes:
        return
    db.session.flush()
    ledger.summarise(CreditNote, notes)
    invoices = set(db.session.scalars(select(CreditNote.invoice_id).where(CreditNote.id.in_(notes))))
    counts.invoices |= ledger.summarise(Invoice, invoices)


def reconcile(tenant_id: str, invoices: list[dict], counts: Counts, *, add_unknown: bool) -> None:
    """Compare full invoices with our mirror: their live Payments[] and AmountCredited.

    Our live Xero payments missing from Payments[] were deleted in Xero. Payments we do not
    hold are added only with add_unknown ("also fetch earlier payments"): otherwise they
    are from before the sync was turned on.
    """
    documents = copied_documents(tenant_id, (i.get("InvoiceID") for i in invoices))
    listed = [p for i in invoices for p in (i.get("Payments") or [])]
    existing = _existing(p.get("PaymentID") for p in listed)
    touched = _keep_in_ledger(tenant_id, invoices, Touched())
    for invoice in invoices:
        target = documents.get(_id(invoice.get("InvoiceID")))
        if target is None:
            continue
        kind, document_id = target
        live = {_id(p["PaymentID"]): p for p in invoice.get("Payments") or []}
        # Only this Xero document's payments: another copy of the same invoice has its own.
        for payment in db.session.scalars(select(Payment).where(
                Payment.xero_document_id == _id(invoice.get("InvoiceID")), Payment.source == "xero",
                Payment.deleted_at.is_(None))):
            if payment.xero_payment_id not in live:
                payment.deleted_at = invoice.get("UpdatedDateUTC") or utcnow()
                counts.deleted += 1
                touched.add(kind, document_id)
        if add_unknown:
            for payment_id, item in live.items():
                if payment_id not in existing:
                    existing[payment_id] = _new_payment(kind, document_id, item, invoice["InvoiceID"])
                    counts.added += 1
                    touched.add(kind, document_id)
    touched.refresh(counts)
