"""The workspace's reference data: companies, service types, tax rates, custom fields."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.extensions import db
from bridge.models.types import Percent, UTCDateTime, utcnow


class Company(db.Model):
    """A client we invoice or a supplier whose expenses we book (the UI says "Clients")."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    tax_number: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(Text)
    default_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # The billing entity new invoices for this client belong to; None: the first entity.
    default_entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_entities.id", ondelete="SET NULL"))
    xero_contact_id: Mapped[str | None] = mapped_column(String(36))
    # The linked Xero contact's name, so the copy modal shows it without asking Xero.
    xero_contact_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Company {self.name}>"


class ServiceType(db.Model):
    """A kind of work (Design, Hosting…) put on invoice lines and expenses."""

    __tablename__ = "service_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class TaxRate(db.Model):
    """One of our own tax rates, applied per invoice line."""

    __tablename__ = "tax_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    percentage: Mapped[Decimal] = mapped_column(Percent)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


CUSTOM_FIELD_TYPES = ("text", "number", "date", "select")


class CustomField(db.Model):
    """A field people add to invoices; values are edited in the invoice table view."""

    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    field_type: Mapped[str] = mapped_column(String(10))
    # One option per line, for select fields only.
    options_text: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def options(self) -> list[str]:
        return [o.strip() for o in (self.options_text or "").splitlines() if o.strip()]


class CustomFieldValue(db.Model):
    """The value of one custom field on one invoice, kept as text and checked by type."""

    __tablename__ = "custom_field_values"
    __table_args__ = (UniqueConstraint("invoice_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(Text)

    field: Mapped[CustomField] = relationship()


class WorkspaceSettings(db.Model):
    """Workspace-wide settings; a single row with id 1."""

    __tablename__ = "workspace_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The CLDR locale money and dates are shown in (bridge.formatting), e.g. en, en_GB, de_CH.
    locale: Mapped[str] = mapped_column(String(20), default="en", server_default="en")
    # An admin hid the home page's "Getting started" (for everyone); None: it shows until done.
    getting_started_hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NumberSequence(db.Model):
    """The last number used per sequence key (e.g. one per year for invoice numbers)."""

    __tablename__ = "number_sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
