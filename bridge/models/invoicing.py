"""Invoices with their lines, budgets with their expenses, and payments against either."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from bridge.extensions import db
from bridge.models.auth import User
from bridge.models.entities import BillingEntity
from bridge.models.types import ZERO, Money, Percent, Quantity, UTCDateTime, utcnow
from bridge.models.workspace import Company, CustomFieldValue, ServiceType, TaxRate

# voided: voided by a person (with its copies in Xero, or in Bridge only): nothing is owed on it.
INVOICE_STATUSES = ("draft", "sent", "voided")
# credited: settled by credit notes (or over/prepayments) alone, no money received.
PAYMENT_STATUSES = ("unpaid", "partially_paid", "paid", "credited")


class Invoice(db.Model):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    subject: Mapped[str] = mapped_column(String(255))
    purchase_order_number: Mapped[str | None] = mapped_column(String(60))
    client_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # Who issues it (its details on the PDF, its numbering, its Xero organisation).
    entity_id: Mapped[int] = mapped_column(ForeignKey("billing_entities.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[dt.date] = mapped_column(Date, index=True)
    due_date: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    # Totals are computed from the lines on every save (bridge.billing.totals).
    subtotal: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    tax_total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # Derived from payments (bridge.billing.payments); stored so the table can filter on it.
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # Credit notes, over- and prepayments applied in Xero (its AmountCredited): they lower
    # the amount due without being payments. Written by the payment sync only.
    amount_credited: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    payment_status: Mapped[str] = mapped_column(String(20), default="unpaid", index=True)
    # Once copied, Xero is the ledger (bridge.xero.sync.ledger sums up the XeroDocument rows):
    # the total of its newest live copy, which payments settle; that copy's number and status,
    # or VOIDED/DELETED with when, once no copy is live. All None until it is copied.
    xero_total: Mapped[Decimal | None] = mapped_column(Money)
    xero_number: Mapped[str | None] = mapped_column(String(255))
    xero_status: Mapped[str | None] = mapped_column(String(20))
    xero_ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When a person last changed what a copy sends (lines, dates, client...), and when the
    # newest copy or update was made: the table marks an invoice changed since it was copied.
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    copied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    client: Mapped[Company] = relationship()
    entity: Mapped[BillingEntity] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    custom_values: Mapped[list[CustomFieldValue]] = relationship(cascade="all, delete-orphan")
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="invoice", order_by="Payment.date"
    )

    @property
    def payable_total(self) -> Decimal:
        """What its payments settle: Xero's total once copied (Xero is the ledger), else ours."""
        return self.xero_total if self.xero_total is not None else self.total

    @property
    def ended_in_xero(self) -> bool:
        """Copied, but every copy was voided or deleted in Xero: nothing is owed on it."""
        return self.xero_status in ("VOIDED", "DELETED")

    @property
    def changed_since_copied(self) -> bool:
        return bool(self.copied_at and self.edited_at and self.edited_at > self.copied_at and not self.voided)

    @property
    def amount_due(self) -> Decimal:
        if self.ended_in_xero or self.voided:
            return ZERO
        return self.payable_total - self.amount_paid - (self.amount_credited or ZERO)

    @property
    def voided(self) -> bool:
        return self.status == "voided"

    def __repr__(self) -> str:
        return f"<Invoice {self.number}>"


class PricedLine:
    """What an invoice line and a credit note line share: what was sold, and its money."""

    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    service_type_id: Mapped[int | None] = mapped_column(ForeignKey("service_types.id"))
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    # Net after discount and the tax on it, each rounded to cents per line.
    net_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    tax_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)

    @declared_attr
    def service_type(cls) -> Mapped[ServiceType | None]:
        return relationship()

    @declared_attr
    def tax_rate(cls) -> Mapped[TaxRate | None]:
        return relationship()


class InvoiceLine(PricedLine, db.Model):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Budget(db.Model):
    __tablename__ = "budgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    # Whose costs these are: its expenses go to this entity's Xero organisation as bills.
    entity_id: Mapped[int] = mapped_column(ForeignKey("billing_entities.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Company | None] = relationship()
    entity: Mapped[BillingEntity] = relationship()
    expenses: Mapped[list["Expense"]] = relationship(
        back_populates="budget", cascade="all, delete-orphan", order_by="Expense.date"
    )


class Expense(db.Model):
    """A cost booked on a budget; later sent to Xero as a bill."""

    __tablename__ = "expenses"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(60))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    service_type_id: Mapped[int | None] = mapped_column(ForeignKey("service_types.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("1"))
    # Net amount of the whole expense; markup is what we bill on top and never leaves Bridge.
    amount: Mapped[Decimal] = mapped_column(Money)
    markup_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3))
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # Credit applied to the bill in Xero (AmountCredited); see Invoice.amount_credited.
    amount_credited: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    payment_status: Mapped[str] = mapped_column(String(20), default="unpaid")
    # The total (net + tax) of its bill in Xero, from Xero's answers; None until it is sent.
    # Payments settle this, not the net amount: Xero asks for the gross.
    bill_total: Mapped[Decimal | None] = mapped_column(Money)
    # The bill's status in Xero (its newest live copy), kept by the payment sync.
    xero_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    budget: Mapped[Budget] = relationship(back_populates="expenses")
    supplier: Mapped[Company | None] = relationship()
    service_type: Mapped[ServiceType | None] = relationship()
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="expense", order_by="Payment.date"
    )

    @property
    def payable_total(self) -> Decimal:
        """What its payments settle: the bill's total once in Xero, else the net amount."""
        return self.bill_total if self.bill_total is not None else self.amount

    @property
    def amount_due(self) -> Decimal:
        return self.payable_total - self.amount_paid - (self.amount_credited or ZERO)


PAYMENT_SOURCES = ("manual", "xero")


class Payment(db.Model):
    """Money received for an invoice or paid for an expense; deleted ones are kept for audit."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(
            "(invoice_id IS NULL) <> (expense_id IS NULL)", name="one_document"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    date: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(10), default="manual")
    xero_payment_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # The Xero document (InvoiceID) the payment is applied to: one of the invoice's copies.
    xero_document_id: Mapped[str | None] = mapped_column(String(36), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice | None] = relationship(back_populates="payments")
    expense: Mapped[Expense | None] = relationship(back_populates="payments")
