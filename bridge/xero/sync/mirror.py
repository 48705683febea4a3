"""Mirror what Xero sent (payments, invoices and bills) into Bridge's payments, invoices and
expenses, one page at a time; the caller commits.

Only documents Bridge copied are touched: a Xero InvoiceID counts when it is the xero_id
of the latest successful XeroCopy of one of our invoices or expenses. Only payments whose
source is "xero" are ever changed; manual ones are left as they are. A payment deleted in
Xero is kept, with deleted_at set (the audit trail), never erased.
"""
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, select

from bridge.extensions import db
from bridge.billing.payments import refresh_many
from bridge.models import ZERO, Expense, Invoice, Payment, XeroCopy, utcnow

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


def _id(value) -> str:
    """A Xero id as stored: lower case text."""
    return str(value or "").lower()


def latest_copies(tenant_id: str):
    """The ids of each document's latest successful copy to this organisation (a subquery)."""
    return (select(func.max(XeroCopy.id))
            .where(XeroCopy.tenant_id == tenant_id, XeroCopy.state == "done",
                   XeroCopy.xero_id.is_not(None))
            .group_by(XeroCopy.invoice_id, XeroCopy.expense_id))


def copied_documents(tenant_id: str, xero_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
    """{Xero InvoiceID: ("invoice" | "expense", our id)} for those ids that are ours."""
    xero_ids = {_id(i) for i in xero_ids if i}
    if not xero_ids:
        return {}
    rows = db.session.execute(
        select(XeroCopy.xero_id, XeroCopy.invoice_id, XeroCopy.expense_id)
        .where(XeroCopy.id.in_(latest_copies(tenant_id)), XeroCopy.xero_id.in_(xero_ids)))
    return {_id(x): (INVOICE, i) if i is not None else (EXPENSE, e) for x, i, e in rows}


def all_copied(tenant_id: str, with_live_payments_only: bool = False) -> list[str]:
    """The Xero InvoiceIDs of every document we copied (optionally: that has live Xero payments)."""
    statement = select(XeroCopy.xero_id, XeroCopy.invoice_id, XeroCopy.expense_id).where(
        XeroCopy.id.in_(latest_copies(tenant_id)))
    rows = db.session.execute(statement).all()
    if not with_live_payments_only:
        return [_id(x) for x, _, _ in rows]
    paid = set(db.session.execute(
        select(Payment.invoice_id, Payment.expense_id)
        .where(Payment.source == "xero", Payment.deleted_at.is_(None)).distinct()).all())
    return [_id(x) for x, i, e in rows if (i, e) in paid]


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
        """Recompute the touched documents' state; count those that changed."""
        db.session.flush()
        counts.invoices |= refresh_many(Invoice, self.ids[INVOICE]) | self.changed[INVOICE]
        counts.expenses |= refresh_many(Expense, self.ids[EXPENSE]) | self.changed[EXPENSE]


def _existing(payment_ids: Iterable[str]) -> dict[str, Payment]:
    """Our payments with these Xero PaymentIDs."""
    payment_ids = {_id(p) for p in payment_ids if p}
    if not payment_ids:
        return {}
    found = db.session.scalars(select(Payment).where(Payment.xero_payment_id.in_(payment_ids)))
    return {p.xero_payment_id: p for p in found}


def _new_payment(kind: str, document_id: int, item: dict) -> Payment:
    payment = Payment(amount=Decimal(item["Amount"]), date=item["Date"],
                      reference=(item.get("Reference") or None), source="xero",
                      xero_payment_id=_id(item["PaymentID"]))
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
            existing[_id(item["PaymentID"])] = _new_payment(*target, item)
            counts.added += 1
            touched.add(*target)
        elif local.deleted_at is None and not _same(local, item):
            local.amount, local.date = Decimal(item["Amount"]), item["Date"]
            local.reference = item.get("Reference") or None
            counts.changed += 1
            touched.add_payment(local)
    touched.refresh(counts)


def live_xero_sums(kind: str, ids: Iterable[int]) -> dict[int, Decimal]:
    """The sum of live Xero payments per document (what Xero's AmountPaid should match)."""
    column = Payment.invoice_id if kind == INVOICE else Payment.expense_id
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        select(column, func.sum(Payment.amount))
        .where(column.in_(ids), Payment.source == "xero", Payment.deleted_at.is_(None))
        .group_by(column)).all())


def _load(kind: str, ids: Iterable[int]) -> dict[int, Invoice | Expense]:
    """Our invoices or expenses by id, in one query."""
    model = Invoice if kind == INVOICE else Expense
    ids = set(ids)
    return {d.id: d for d in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}


def _set_credited(document, kind: str, credited, touched: Touched) -> None:
    """Store Xero's AmountCredited on the document when it changed."""
    credited = Decimal(credited or ZERO)
    if document is not None and (document.amount_credited or ZERO) != credited:
        document.amount_credited = credited
        touched.add(kind, document.id)
        touched.changed[kind].add(document.id)


def _set_bill_total(document, kind: str, total, touched: Touched) -> None:
    """Store a bill's Total (net + tax, what its payments settle) on the expense when it changed."""
    if kind != EXPENSE or document is None or total is None:
        return
    total = Decimal(str(total))
    if document.bill_total != total:
        document.bill_total = total
        touched.add(kind, document.id)
        touched.changed[kind].add(document.id)


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
    sums = {kind: live_xero_sums(kind, [d for _, k, d in ours if k == kind])
            for kind in (INVOICE, EXPENSE)}
    return [_id(item["InvoiceID"]) for item, kind, document_id in ours
            if item.get("AmountPaid") is None or item.get("AmountCredited") is None
            or Decimal(sums[kind].get(document_id) or ZERO) != Decimal(item["AmountPaid"])]


def apply_credits(tenant_id: str, items: list[dict], counts: Counts) -> None:
    """Store Xero's AmountCredited (credit notes, over- and prepayments) on our documents."""
    ours = [(item, kind, d) for item, kind, d in _ours(tenant_id, items)
            if item.get("AmountCredited") is not None]
    loaded = {kind: _load(kind, [d for _, k, d in ours if k == kind]) for kind in (INVOICE, EXPENSE)}
    touched = Touched()
    for item, kind, document_id in ours:
        _set_credited(loaded[kind].get(document_id), kind, item["AmountCredited"], touched)
        _set_bill_total(loaded[kind].get(document_id), kind, item.get("Total"), touched)
    touched.refresh(counts)


def reconcile(tenant_id: str, invoices: list[dict], counts: Counts, *, add_unknown: bool) -> None:
    """Compare full invoices with our mirror: their live Payments[] and AmountCredited.

    Our live Xero payments missing from Payments[] were deleted in Xero. Payments we do not
    hold are added only with add_unknown ("also fetch earlier payments"): otherwise they
    are from before the sync was turned on.
    """
    documents = copied_documents(tenant_id, (i.get("InvoiceID") for i in invoices))
    listed = [p for i in invoices for p in (i.get("Payments") or [])]
    existing = _existing(p.get("PaymentID") for p in listed)
    loaded = {kind: _load(kind, [d for k, d in documents.values() if k == kind])
              for kind in (INVOICE, EXPENSE)}
    touched = Touched()
    for invoice in invoices:
        target = documents.get(_id(invoice.get("InvoiceID")))
        if target is None:
            continue
        kind, document_id = target
        _set_credited(loaded[kind].get(document_id), kind, invoice.get("AmountCredited"), touched)
        _set_bill_total(loaded[kind].get(document_id), kind, invoice.get("Total"), touched)
        live = {_id(p["PaymentID"]): p for p in invoice.get("Payments") or []}
        column = Payment.invoice_id if kind == INVOICE else Payment.expense_id
        for payment in db.session.scalars(select(Payment).where(
                column == document_id, Payment.source == "xero", Payment.deleted_at.is_(None))):
            if payment.xero_payment_id not in live:
                payment.deleted_at = invoice.get("UpdatedDateUTC") or utcnow()
                counts.deleted += 1
                touched.add(kind, document_id)
        if add_unknown:
            for payment_id, item in live.items():
                if payment_id not in existing:
                    existing[payment_id] = _new_payment(kind, document_id, item)
                    counts.added += 1
                    touched.add(kind, document_id)
    touched.refresh(counts)
