"""Payment status of invoices and expenses, derived from their live (not deleted) payments,
manual and from Xero alike, plus the credit Xero applied; and recording a manual payment.

A manual payment stays in Bridge: nothing here (or anywhere) sends it to Xero.
"""
import datetime as dt
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import ZERO, Expense, Invoice, Payment


def payment_status(total: Decimal, paid: Decimal, credited: Decimal = ZERO) -> str:
    """unpaid, partially_paid, paid or credited for a document of `total`.

    credited means settled by credit alone (a credit note cancelled it); credit that only
    part-settles, or tops up payments, counts towards partially paid or paid.
    """
    settled = paid + credited
    if settled <= ZERO:
        return "unpaid"
    if settled < total:
        return "partially_paid"
    return "paid" if paid > ZERO else "credited"


def document_total(document) -> Decimal:
    """What an invoice or an expense asks to be paid: Xero's total once it is in Xero (Xero is
    the ledger), else Bridge's own (an invoice's total, an expense's net amount)."""
    return document.payable_total


def refresh_payment_status(document, total: Decimal | None = None) -> None:
    """Recompute amount_paid and payment_status of an Invoice or Expense from its payments."""
    paid = sum((p.amount for p in document.payments if p.deleted_at is None), ZERO)
    document.amount_paid = paid
    total = document_total(document) if total is None else total
    document.payment_status = payment_status(total, paid, document.amount_credited or ZERO)


def refresh_many(model, ids: Iterable[int]) -> set[int]:
    """Recompute many invoices' (or expenses') state with one query; the ids that changed.

    The sync calls this once per page, so thousands of payments cost a few queries.
    """
    ids = set(ids)
    if not ids:
        return set()
    column = Payment.invoice_id if model is Invoice else Payment.expense_id
    sums = dict(db.session.execute(
        select(column, func.sum(Payment.amount))
        .where(column.in_(ids), Payment.deleted_at.is_(None)).group_by(column)
    ).all())
    changed = set()
    for document in db.session.scalars(select(model).where(model.id.in_(ids))):
        paid = Decimal(sums.get(document.id) or ZERO).quantize(Decimal("0.01"))
        status = payment_status(document_total(document), paid, document.amount_credited or ZERO)
        if (document.amount_paid, document.payment_status) != (paid, status):
            document.amount_paid, document.payment_status = paid, status
            changed.add(document.id)
    return changed


def record_manual_payment(document, amount: Decimal, day: dt.date,
                          reference: str | None) -> Payment:
    """Record money received (invoice) or paid (expense) by hand, and commit.

    Labelled "manual"; the payment sync only ever touches payments whose source is xero.
    """
    payment = Payment(amount=amount, date=day, reference=reference or None, source="manual")
    if isinstance(document, Expense):
        payment.expense = document
    else:
        payment.invoice = document
    db.session.add(payment)
    db.session.flush()
    refresh_payment_status(document)
    db.session.commit()
    return payment
