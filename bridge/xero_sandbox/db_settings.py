"""Models of the organisation settings a document points at: tracking categories with their
options, and branding themes. Kept beside db.py (the ledger, contacts and tokens), on the
same SQLAlchemy instance, so the same create_all makes their tables.

Their ids are deterministic (uuid5 of the tenant id and the name, see `stable_id`), so a demo
configuration that names them stays valid across restarts and resets, like the tenant ids.
"""
import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.xero_sandbox.db import UTCDateTime, db


def stable_id(org_id: str, kind: str, *names: str) -> str:
    """The same GUID for the same organisation, kind and names, on every seed."""
    return str(uuid.uuid5(uuid.UUID(org_id), "/".join((kind, *names))))


class TrackingCategory(db.Model):
    __tablename__ = "tracking_categories"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="ACTIVE")  # ACTIVE | ARCHIVED | DELETED
    options: Mapped[list["TrackingOption"]] = relationship(
        cascade="all, delete-orphan", order_by="TrackingOption.position"
    )


class TrackingOption(db.Model):
    __tablename__ = "tracking_options"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    category_id: Mapped[str] = mapped_column(ForeignKey("tracking_categories.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="ACTIVE")


class BrandingTheme(db.Model):
    __tablename__ = "branding_themes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer)  # 0 is the default theme
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
