"""Xero's tracking categories (with their options) and branding themes, cached per organisation
like the accounts, and how Bridge's values map to tracking options (the settings' Tracking card)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.extensions import db
from bridge.models.integration import ReadFromXero
from bridge.models.types import UTCDateTime, utcnow

# What a Xero tracking category takes its option from: an invoice custom field of type select,
# the line's service type, the client (an invoice's; a bill's budget's client) or, for bills, the budget.
TRACKING_SOURCES = ("custom_field", "service_type", "client", "budget")


class XeroTrackingCategory(ReadFromXero, db.Model):
    """One tracking category of an organisation (ACTIVE or ARCHIVED), as read from Xero at read_at."""

    __tablename__ = "xero_tracking_categories"
    __table_args__ = (UniqueConstraint("tenant_id", "category_id"),)

    category_id: Mapped[str] = mapped_column(String(36))


class XeroTrackingOption(ReadFromXero, db.Model):
    """One option of a tracking category (ACTIVE or ARCHIVED), as read from Xero at read_at."""

    __tablename__ = "xero_tracking_options"
    __table_args__ = (UniqueConstraint("tenant_id", "option_id"),)

    category_id: Mapped[str] = mapped_column(String(36), index=True)
    option_id: Mapped[str] = mapped_column(String(36))


class XeroBrandingTheme(db.Model):
    """One branding theme of an organisation (SortOrder 0 is Xero's default), as read at read_at."""

    __tablename__ = "xero_branding_themes"
    __table_args__ = (UniqueConstraint("tenant_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    theme_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(150))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrackingMapping(db.Model):
    """One Xero tracking category (by its id) fed from one Bridge source; at most two."""

    __tablename__ = "xero_tracking_mappings"
    __table_args__ = (
        CheckConstraint("source IN ('custom_field', 'service_type', 'client', 'budget')", name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("billing_entities.id", ondelete="CASCADE"), index=True)
    # Xero's ids are unique across organisations, so one category is mapped for one entity.
    category_id: Mapped[str] = mapped_column(String(36), unique=True)
    # The category's name when the mapping was saved (said when it is gone from Xero since).
    category_name: Mapped[str] = mapped_column(String(150))
    source: Mapped[str] = mapped_column(String(20))
    custom_field_id: Mapped[int | None] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"))

    options: Mapped[list["TrackingOptionMapping"]] = relationship(
        cascade="all, delete-orphan", order_by="TrackingOptionMapping.id")


class TrackingOptionMapping(db.Model):
    """A Bridge value (a select option's text, or a service type, client or budget id) and the
    Xero option (by its id) it sends; a value without a row sends no option for the category."""

    __tablename__ = "xero_tracking_option_mappings"
    __table_args__ = (UniqueConstraint("mapping_id", "bridge_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mapping_id: Mapped[int] = mapped_column(ForeignKey("xero_tracking_mappings.id", ondelete="CASCADE"))
    bridge_value: Mapped[str] = mapped_column(String(255))
    option_id: Mapped[str] = mapped_column(String(36))
