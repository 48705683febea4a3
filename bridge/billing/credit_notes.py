"""Credit notes against an invoice: the whole invoice, chosen lines, or an amount, with a reason.

    note = create_credit_note(CreditNoteData(invoice_id=7, kind="lines", reason="Two days not
                              worked", line_ids=(12, 13), currency="EUR", issue_date=today))

A credit note lowers what the client owes on its invoice. Until it is copied to Xero its total
counts as the invoice's credit in Bridge; once Xero holds it, Xero is the ledger and only the
credit Xero applied to the invoice's copy counts (bridge.xero.sending.ledger adds the two up).
Input it cannot take raises CreditNoteError naming the field; nothing is written then.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from bridge.billing.numbering import next_credit_note_number
from bridge.billing.payments import refresh_payment_status
from bridge.billing.totals import apply_totals, to_cents
from bridge.extensions import db
from bridge.formatting import money
from bridge.models import ZERO, CREDIT_KINDS, CreditNote, CreditNoteLine, Invoice, InvoiceLine

MAX_REASON = 2000


class CreditNoteError(ValueError):
    """Input the service refuses; `field` names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class CreditNoteData:
    invoice_id: int
    kind: str
    reason: str
    currency: str
    issue_date: dt.date
    line_ids: tuple[int, ...] = ()
    # kind "amount": before tax; taxed at the rate of the invoice's first line.
    amount: Decimal | None = None


def credit_notes_of(invoice_id: int) -> list[CreditNote]:
    """An invoice's credit notes, oldest first."""
    return list(db.session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice_id)
                                   .order_by(CreditNote.id)))


def unsent_credit(invoice_id: int) -> Decimal:
    """What the invoice's credit notes not (yet) in Xero take off it."""
    value = db.session.scalar(select(func.sum(CreditNote.total)).where(
        CreditNote.invoice_id == invoice_id, CreditNote.xero_status.is_(None)))
    return Decimal(value or ZERO).quantize(Decimal("0.01"))


def creditable(invoice: Invoice) -> Decimal:
    """The most a new credit note may take off the invoice: what the client still owes."""
    return max(invoice.amount_due, ZERO)


def create_credit_note(data: CreditNoteData, created_by_id: int | None = None) -> CreditNote:
    """Check the input against the invoice, then write the numbered credit note and lower what
    the invoice's client owes, in one transaction."""
    try:
        invoice = db.session.get(Invoice, data.invoice_id)
        if invoice is None:
            raise LookupError(f"No invoice {data.invoice_id}.")
        note = _build(invoice, data)
        left = creditable(invoice)
        if note.total <= ZERO:
            raise CreditNoteError(_total_field(data), "A credit note must take something off: its total is 0.00.")
        if note.total > left:
            raise CreditNoteError(_total_field(data), (
                f"This credit note totals {money(note.total, invoice.currency)}, more than the "
                f"{money(left, invoice.currency)} the client still owes on invoice {invoice.number}."))
        note.number = next_credit_note_number(invoice.entity, data.issue_date)
        note.created_by_id = created_by_id
        db.session.add(note)
        invoice.amount_credited = (invoice.amount_credited or ZERO) + note.total
        refresh_payment_status(invoice)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return note


def _total_field(data: CreditNoteData) -> str:
    return {"amount": "amount", "lines": "line_ids"}.get(data.kind, "kind")


def _build(invoice: Invoice, data: CreditNoteData) -> CreditNote:
    """The credit note (not added to the session) with its lines and totals."""
    if data.kind not in CREDIT_KINDS:
        raise CreditNoteError("kind", "Choose what to credit: the whole invoice, lines, or an amount.")
    reason = (data.reason or "").strip()
    if not reason:
        raise CreditNoteError("reason", "Say why the client is credited (it is printed on the credit note).")
    if len(reason) > MAX_REASON:
        raise CreditNoteError("reason", f"Keep the reason under {MAX_REASON:,} characters.")
    if data.currency != invoice.currency:
        raise CreditNoteError("currency", f"A credit note is in its invoice's currency: {invoice.currency}.")
    if data.issue_date < invoice.issue_date:
        raise CreditNoteError("issue_date", "A credit note cannot be dated before its invoice "
                              f"({invoice.issue_date:%d %b %Y}).")
    if data.kind == "whole":
        sources = list(invoice.lines)
    elif data.kind == "lines":
        chosen = set(data.line_ids)
        sources = [line for line in invoice.lines if line.id in chosen]
        if not sources or len(sources) != len(chosen):
            raise CreditNoteError("line_ids", "Tick at least one of the invoice's lines to credit.")
    else:
        sources = []
    lines = [_copy_line(position, line) for position, line in enumerate(sources)]
    if data.kind == "amount":
        lines = [_amount_line(invoice, data.amount)]
    note = CreditNote(invoice_id=invoice.id, kind=data.kind, reason=reason, currency=invoice.currency,
                      issue_date=data.issue_date, lines=lines)
    apply_totals(note)
    return note


def _copy_line(position: int, line: InvoiceLine) -> CreditNoteLine:
    return CreditNoteLine(
        position=position, invoice_line_id=line.id, description=line.description,
        quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent,
        service_type=line.service_type, tax_rate=line.tax_rate)


def _amount_line(invoice: Invoice, amount: Decimal | None) -> CreditNoteLine:
    """One line for an amount, with the service type and tax rate of the invoice's first line."""
    if amount is None or amount <= ZERO:
        raise CreditNoteError("amount", "Enter the amount to credit, more than 0.00.")
    if to_cents(amount) != amount:
        raise CreditNoteError("amount", "Enter the amount in cents at most (two decimals).")
    first = invoice.lines[0] if invoice.lines else None
    return CreditNoteLine(
        position=0, description=f"Credit on invoice {invoice.number}", quantity=Decimal("1"),
        unit_price=amount, service_type=first.service_type if first else None,
        tax_rate=first.tax_rate if first else None)
