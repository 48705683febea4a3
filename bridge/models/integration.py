"""The Xero integration's settings (the setup wizard), its mappings, the cached Xero
reference data (accounts, tax rates, currencies; tracking and themes: tracking.py) and consents waiting for an organisation choice."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.extensions import db
from bridge.models.types import UTCDateTime, utcnow

INVOICE_NUMBERS_BY = ("xero", "bridge")
PDFS_BY = ("xero", "bridge")
# Xero's invoice statuses on copy (AUTHORISED is "Approved" in Xero's UI); MANUAL: asked at each copy.
INITIAL_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "MANUAL")
REFERENCE_SOURCES = ("subject", "purchase_order_number")

# What a workspace starts with, and goes back to when another organisation is connected.
XERO_SETTINGS_DEFAULTS = {
    "invoice_numbers_by": "bridge",
    "pdfs_by": "bridge",
    "sync_payments": False,
    "payments_synced_since": None,
    "initial_status": "DRAFT",
    "reference_from": "subject",
    "notes_custom_field_id": None,
    "default_revenue_account_code": None,
    "export_expenses": False,
    "default_expense_account_code": None,
    "expense_tax_type": None,
    "branding_theme_id": None,
    "configured_at": None,
    "updated_at": None,
    "updated_by_id": None,
}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class XeroSettings(db.Model):
    """How one billing entity's invoices, expenses and payments travel between Bridge and its
    Xero organisation; one row per entity.

    tenant_id is the organisation these settings were made for: reconnecting to it keeps
    them, connecting another organisation starts from XERO_SETTINGS_DEFAULTS.
    """

    __tablename__ = "xero_settings"
    __table_args__ = (
        CheckConstraint(_one_of("invoice_numbers_by", INVOICE_NUMBERS_BY), name="invoice_numbers_by_known"),
        CheckConstraint(_one_of("pdfs_by", PDFS_BY), name="pdfs_by_known"),
        CheckConstraint(_one_of("initial_status", INITIAL_STATUSES), name="initial_status_known"),
        CheckConstraint(_one_of("reference_from", REFERENCE_SOURCES), name="reference_from_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("billing_entities.id", ondelete="CASCADE"), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    invoice_numbers_by: Mapped[str] = mapped_column(String(10), default="bridge")
    pdfs_by: Mapped[str] = mapped_column(String(10), default="bridge")
    sync_payments: Mapped[bool] = mapped_column(Boolean, default=False)
    # When payment sync was (last) turned on; the sync mirrors payments from then on.
    payments_synced_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    initial_status: Mapped[str] = mapped_column(String(12), default="DRAFT")
    reference_from: Mapped[str] = mapped_column(String(30), default="subject")
    notes_custom_field_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="SET NULL"))
    default_revenue_account_code: Mapped[str | None] = mapped_column(String(10))
    export_expenses: Mapped[bool] = mapped_column(Boolean, default=False)
    default_expense_account_code: Mapped[str | None] = mapped_column(String(10))
    # The Xero tax type (one that applies to expenses) every bill line gets; None: left out,
    # so Xero applies the expense account's own default tax rate.
    expense_tax_type: Mapped[str | None] = mapped_column(String(50))
    # The Xero BrandingThemeID copies get unless the copy modal picks another; None: Xero's default.
    branding_theme_id: Mapped[str | None] = mapped_column(String(36))
    # Set when the setup wizard is first saved; None means "not set up yet".
    configured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ServiceTypeAccount(db.Model):
    """The Xero account codes one service type books to in one entity's organisation; None
    falls back to that entity's default."""

    __tablename__ = "xero_service_type_accounts"
    __table_args__ = (UniqueConstraint("entity_id", "service_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("billing_entities.id", ondelete="CASCADE"), index=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_types.id", ondelete="CASCADE"))
    revenue_account_code: Mapped[str | None] = mapped_column(String(10))
    expense_account_code: Mapped[str | None] = mapped_column(String(10))


class TaxRateMapping(db.Model):
    """The Xero tax type of one entity's organisation preselected for lines with one of our tax rates."""

    __tablename__ = "xero_tax_rate_mappings"
    __table_args__ = (UniqueConstraint("entity_id", "tax_rate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("billing_entities.id", ondelete="CASCADE"), index=True)
    tax_rate_id: Mapped[int] = mapped_column(ForeignKey("tax_rates.id", ondelete="CASCADE"))
    xero_tax_type: Mapped[str] = mapped_column(String(50))


class ReadFromXero:
    """Columns of a row cached from one organisation's reference data (id and tenant first)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, sort_order=-1)
    name: Mapped[str] = mapped_column(String(150))
    status: Mapped[str] = mapped_column(String(20))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class XeroAccount(ReadFromXero, db.Model):
    """One account of an organisation's chart, as read from Xero at read_at."""

    __tablename__ = "xero_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "account_id"),)

    account_id: Mapped[str] = mapped_column(String(36))
    # Xero's codes are text ("090"); some accounts have none.
    code: Mapped[str | None] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(20))
    account_class: Mapped[str | None] = mapped_column(String(20))


class XeroTaxRate(ReadFromXero, db.Model):
    """One tax rate of an organisation, as read from Xero at read_at."""

    __tablename__ = "xero_tax_rates"
    __table_args__ = (UniqueConstraint("tenant_id", "tax_type"),)

    tax_type: Mapped[str] = mapped_column(String(50))
    effective_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 4, asdecimal=True))
    can_apply_to_revenue: Mapped[bool] = mapped_column(Boolean, default=False)
    can_apply_to_expenses: Mapped[bool] = mapped_column(Boolean, default=False)


class XeroCurrency(db.Model):
    """One currency the organisation has enabled in Xero, as read from Xero at read_at.

    Xero refuses a document in any other currency, so sending checks this first. No rows for
    an organisation means "not read yet" (a cache filled before currencies were read): then
    nothing is refused on their account.
    """

    __tablename__ = "xero_currencies"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    # Xero's spec: Currency {Code (ISO 4217), Description}.
    code: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(150))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class XeroPendingConsent(db.Model):
    """A consent that granted several organisations, waiting for the admin to pick one.

    The token set is Fernet ciphertext (the XERO_TOKEN_KEY, as on XeroConnection); the row
    expires after a few minutes and is deleted once used.
    """

    __tablename__ = "xero_pending_consents"

    # Random and unguessable: it is part of the organisation-choice URL.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens_encrypted: Mapped[str] = mapped_column(Text)
    # [{"connection_id", "tenant_id", "tenant_name", "tenant_type", "auth_event_id"}, ...]
    tenants: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    def __repr__(self) -> str:
        return f"<XeroPendingConsent {len(self.tenants or [])} organisations>"
