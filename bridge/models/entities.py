"""Billing entities: the companies of the workspace that issue invoices (a UK and a US
entity, a studio and its subsidiary). Each has its own details as its PDFs show them, its
own base currency and numbering, and at most one Xero organisation (bridge.models.xero)."""
from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from bridge.extensions import db
from bridge.models.types import UTCDateTime, utcnow


class BillingEntity(db.Model):
    """One company that issues invoices and credit notes; budgets belong to one too."""

    __tablename__ = "billing_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The legal name, as it appears at the top of every invoice and in Bridge's lists.
    name: Mapped[str] = mapped_column(String(255), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    tax_number: Mapped[str | None] = mapped_column(String(50))
    bank_details: Mapped[str | None] = mapped_column(Text)
    payment_terms: Mapped[str | None] = mapped_column(Text)
    # The logo's bytes (PNG or JPEG, checked on upload), loaded only when asked for.
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_type: Mapped[str | None] = mapped_column(String(20))
    # The default currency of this entity's new clients and budgets (ISO 4217).
    base_currency: Mapped[str] = mapped_column(String(3))
    # Placeholders {year}, {seq}, {seq:04} (bridge.billing.numbering).
    invoice_number_pattern: Mapped[str] = mapped_column(String(60), default="{year}-{seq:04}")
    credit_note_number_pattern: Mapped[str] = mapped_column(String(60), default="CN-{year}-{seq:04}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<BillingEntity {self.id} {self.name!r}>"
