"""The sandbox's own database: its own SQLAlchemy instance and models (never Bridge's).

Documents (sales invoices, bills and credit notes) share one table, as they share lines,
totals and validation; `type` tells them apart. Money is Decimal, times are aware UTC.
"""
import datetime as dt
import uuid
from decimal import Decimal

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator


class Base(DeclarativeBase):
    pass


# Objects stay loaded after a commit: each request has its own session, and batches commit
# element by element, so expiring would re-read the whole chart of accounts per element.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

Money = Numeric(18, 2, asdecimal=True)
Quantity = Numeric(18, 4, asdecimal=True)
Rate = Numeric(12, 6, asdecimal=True)
ZERO = Decimal("0.00")


def new_id() -> str:
    """A fresh GUID in Xero's lower-case form."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Organisation(db.Model):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the tenantId
    seed_key: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255))
    legal_name: Mapped[str] = mapped_column(String(255))
    short_code: Mapped[str] = mapped_column(String(20))
    country_code: Mapped[str] = mapped_column(String(2))
    version: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(60))
    base_currency: Mapped[str] = mapped_column(String(3))
    currencies: Mapped[str] = mapped_column(String(200))  # comma separated, base first
    tax_number: Mapped[str] = mapped_column(String(40), default="")
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_invoice_number: Mapped[int] = mapped_column(Integer, default=1)
    next_credit_note_number: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def currency_list(self) -> list[str]:
        return [c for c in self.currencies.split(",") if c]


class Account(db.Model):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(150))
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="ACTIVE")
    tax_type: Mapped[str] = mapped_column(String(30), default="NONE")
    description: Mapped[str] = mapped_column(Text, default="")
    enable_payments: Mapped[bool] = mapped_column(Boolean, default=False)
    bank_account_number: Mapped[str | None] = mapped_column(String(40))
    bank_account_type: Mapped[str | None] = mapped_column(String(20))
    currency_code: Mapped[str | None] = mapped_column(String(3))
    system_account: Mapped[str | None] = mapped_column(String(30))
    reporting_code: Mapped[str] = mapped_column(String(40), default="")
    updated_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    @property
    def account_class(self) -> str:
        return ACCOUNT_CLASS[self.type]


# Class is derived from Type (notes §7).
ACCOUNT_CLASS = {
    "REVENUE": "REVENUE", "SALES": "REVENUE", "OTHERINCOME": "REVENUE",
    "EXPENSE": "EXPENSE", "OVERHEADS": "EXPENSE", "DIRECTCOSTS": "EXPENSE", "DEPRECIATN": "EXPENSE",
    "BANK": "ASSET", "CURRENT": "ASSET", "FIXED": "ASSET", "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET", "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY", "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY", "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
}


class TaxRate(db.Model):
    __tablename__ = "tax_rates"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    tax_type: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    report_tax_type: Mapped[str] = mapped_column(String(30))
    rate: Mapped[Decimal] = mapped_column(Quantity)
    status: Mapped[str] = mapped_column(String(10), default="ACTIVE")
    can_revenue: Mapped[bool] = mapped_column(Boolean)
    can_expenses: Mapped[bool] = mapped_column(Boolean)
    can_assets: Mapped[bool] = mapped_column(Boolean)
    can_liabilities: Mapped[bool] = mapped_column(Boolean)
    can_equity: Mapped[bool] = mapped_column(Boolean)

    def applies_to_class(self, account_class: str) -> bool:
        """Whether this rate may be used with an account of that Class."""
        return {
            "REVENUE": self.can_revenue, "EXPENSE": self.can_expenses, "ASSET": self.can_assets,
            "LIABILITY": self.can_liabilities, "EQUITY": self.can_equity,
        }[account_class]


class Contact(db.Model):
    __tablename__ = "contacts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="ACTIVE")
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    contact_number: Mapped[str] = mapped_column(String(50), default="")
    account_number: Mapped[str] = mapped_column(String(50), default="")
    tax_number: Mapped[str] = mapped_column(String(50), default="")
    default_currency: Mapped[str | None] = mapped_column(String(3))
    # Addresses, Phones, ContactPersons, ... kept as sent so they round-trip.
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    is_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Invoice(db.Model):
    """A sales invoice (ACCREC), a bill (ACCPAY) or a credit note (ACCRECCREDIT/ACCPAYCREDIT)."""

    __tablename__ = "invoices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    type: Mapped[str] = mapped_column(String(15), index=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"))
    number: Mapped[str] = mapped_column(String(255), default="", index=True)
    reference: Mapped[str] = mapped_column(String(255), default="")
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    line_amount_types: Mapped[str] = mapped_column(String(10), default="Exclusive")
    status: Mapped[str] = mapped_column(String(12), default="DRAFT", index=True)
    currency_code: Mapped[str] = mapped_column(String(3))
    currency_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("1"))
    url: Mapped[str] = mapped_column(Text, default="")
    branding_theme_id: Mapped[str | None] = mapped_column(String(36))
    sent_to_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    sub_total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    total_tax: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    total_discount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    amount_credited: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    amount_due: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    fully_paid_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_client: Mapped[str | None] = mapped_column(String(100))
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    contact: Mapped[Contact] = relationship()
    lines: Mapped[list["LineItem"]] = relationship(
        cascade="all, delete-orphan", order_by="LineItem.position"
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="invoice", order_by="Payment.created_utc"
    )
    # Credit applied to this invoice, and (for a credit note) the credit it has given.
    credits_in: Mapped[list["Allocation"]] = relationship(
        foreign_keys="Allocation.invoice_id", order_by="Allocation.created_utc", viewonly=True
    )
    credits_out: Mapped[list["Allocation"]] = relationship(
        foreign_keys="Allocation.credit_note_id", order_by="Allocation.created_utc", viewonly=True
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        cascade="all, delete-orphan", order_by="Attachment.created_utc"
    )

    @property
    def is_credit_note(self) -> bool:
        return self.type.endswith("CREDIT")

    @property
    def is_sales(self) -> bool:
        return self.type in ("ACCREC", "ACCRECCREDIT")


class LineItem(db.Model):
    __tablename__ = "line_items"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_amount: Mapped[Decimal] = mapped_column(Quantity)
    item_code: Mapped[str | None] = mapped_column(String(30))
    account_code: Mapped[str | None] = mapped_column(String(10))
    account_id: Mapped[str | None] = mapped_column(String(36))
    tax_type: Mapped[str | None] = mapped_column(String(30))
    tax_amount: Mapped[Decimal] = mapped_column(Money)
    line_amount: Mapped[Decimal] = mapped_column(Money)
    discount_rate: Mapped[Decimal | None] = mapped_column(Quantity)
    discount_amount: Mapped[Decimal | None] = mapped_column(Money)
    tracking: Mapped[list] = mapped_column(JSON, default=list)


class Attachment(db.Model):
    """A file attached to an invoice, bill or credit note; its bytes live in this database
    (never under a served folder) and load only when asked for."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("document_id", "file_name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(255))
    content_length: Mapped[int] = mapped_column(Integer)
    include_online: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Allocation(db.Model):
    """A credit note applied to an invoice."""

    __tablename__ = "allocations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    credit_note_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    date: Mapped[dt.date] = mapped_column(Date)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    credit_note: Mapped[Invoice] = relationship(foreign_keys=[credit_note_id])
    invoice: Mapped[Invoice] = relationship(foreign_keys=[invoice_id])


class Payment(db.Model):
    __tablename__ = "payments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("1"))
    reference: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10), default="AUTHORISED", index=True)
    payment_type: Mapped[str] = mapped_column(String(25))
    is_reconciled: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(10), default="api")  # api | ui | control
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    account: Mapped[Account] = relationship()


class HistoryRecord(db.Model):
    __tablename__ = "history_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    changes: Mapped[str] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(100), default="System Generated")
    date_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuthCode(db.Model):
    __tablename__ = "auth_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    user_id: Mapped[str] = mapped_column(String(36))
    auth_event_id: Mapped[str] = mapped_column(String(36))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class TokenSet(db.Model):
    """What one consent (or its refreshes) issued: revoking it ends all its tokens."""

    __tablename__ = "token_sets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    scope: Mapped[str] = mapped_column(Text)
    auth_event_id: Mapped[str] = mapped_column(String(36))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AccessToken(db.Model):
    __tablename__ = "access_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_set_id: Mapped[str] = mapped_column(ForeignKey("token_sets.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    token_set: Mapped[TokenSet] = relationship()


class RefreshToken(db.Model):
    __tablename__ = "refresh_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_set_id: Mapped[str] = mapped_column(ForeignKey("token_sets.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The token response issued when this token was rotated, replayed during the grace
    # period. Kept in clear: these are sandbox tokens, worthless outside the sandbox.
    rotation_response: Mapped[dict | None] = mapped_column(JSON)
    token_set: Mapped[TokenSet] = relationship()


class Connection(db.Model):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("client_id", "user_id", "tenant_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    auth_event_id: Mapped[str] = mapped_column(String(36))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    organisation: Mapped[Organisation] = relationship()


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("client_id", "tenant_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
