"""Credit notes: money taken back from one invoice (all of it, some lines, or an amount).

A credit note belongs to one invoice, its client and currency; its lines are Bridge's own
(copied from the invoice's lines, or one line for an amount) and its totals are computed like
an invoice's (bridge.billing.totals). Once copied to Xero, Xero is the ledger: the figures
below the line are what Xero last said (allocated to the invoice, refunded, remaining).
"""
import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.extensions import db
from bridge.models.auth import User
from bridge.models.invoicing import Invoice, PricedLine
from bridge.models.types import ZERO, Money, UTCDateTime, utcnow

# What a credit note takes back: the whole invoice, chosen lines, or an amount.
CREDIT_KINDS = ("whole", "lines", "amount")
# Where a credit note's allocation to the invoice's copy in Xero stands: none asked for,
# done, refused by Xero (failed), or asked with the answer lost (unknown: asked again, same key).
ALLOCATION_STATES = ("none", "done", "failed", "unknown")


class CreditNote(db.Model):
    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    tax_total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # Xero's figures of its newest live copy (None until copied), kept by the copy and the sync.
    xero_number: Mapped[str | None] = mapped_column(String(255))
    xero_status: Mapped[str | None] = mapped_column(String(20))
    xero_total: Mapped[Decimal | None] = mapped_column(Money)
    # Credit applied to invoices in Xero (allocations not deleted), refunded in cash, and left.
    xero_allocated: Mapped[Decimal | None] = mapped_column(Money)
    xero_refunded: Mapped[Decimal | None] = mapped_column(Money)
    xero_remaining: Mapped[Decimal | None] = mapped_column(Money)
    # The allocation to the invoice's copy made in the same action as the copy.
    allocation_state: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    allocation_id: Mapped[str | None] = mapped_column(String(36))
    # The Idempotency-Key of the allocation asked last (a lost answer is asked again with it).
    allocation_key: Mapped[str | None] = mapped_column(String(140))
    allocation_error: Mapped[str | None] = mapped_column(Text)
    copied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship(backref="credit_notes")
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["CreditNoteLine"]] = relationship(
        back_populates="credit_note", cascade="all, delete-orphan", order_by="CreditNoteLine.position")

    @property
    def entity_id(self) -> int:
        """A credit note is issued by its invoice's billing entity (so they can never differ)."""
        return self.invoice.entity_id

    @property
    def copied(self) -> bool:
        """Whether Xero holds a copy (then Xero's figures count, not ours)."""
        return self.xero_status is not None

    def __repr__(self) -> str:
        return f"<CreditNote {self.number}>"


class CreditNoteLine(PricedLine, db.Model):
    __tablename__ = "credit_note_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="cn_quantity_not_negative"),
        CheckConstraint("unit_price >= 0", name="cn_unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True)
    # The invoice line it credits (None for an amount).
    invoice_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_lines.id", ondelete="SET NULL"))

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")
