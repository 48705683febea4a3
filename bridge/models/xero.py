"""A connected Xero organisation and the (encrypted) tokens Bridge uses to reach it."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.extensions import db
from bridge.models.types import UTCDateTime, utcnow

XERO_CONNECTION_STATUSES = ("active", "needs_reconnect")


class XeroConnection(db.Model):
    """One Xero organisation (tenant) connected to Bridge, with its own token set.

    Tokens are stored only as Fernet ciphertext (bridge.xero.api.tokens); the plaintext never
    reaches the database or the logs. Only bridge.xero.api.connection refreshes them, under a row
    lock, bumping refresh_version each time.
    """

    __tablename__ = "xero_connections"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'needs_reconnect')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Xero's organisation id: the value of the xero-tenant-id header.
    tenant_id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_name: Mapped[str] = mapped_column(String(255))
    # The billing entity whose invoices, credit notes and bills go to this organisation: one
    # organisation per entity, and an organisation serves one entity only.
    entity_id: Mapped[int] = mapped_column(ForeignKey("billing_entities.id"), unique=True)
    # Xero's id of the app-to-organisation connection, used to disconnect it.
    connection_id: Mapped[str] = mapped_column(String(36))
    auth_event_id: Mapped[str | None] = mapped_column(String(36))
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Space-separated scopes Xero granted.
    scopes: Mapped[str] = mapped_column(Text, default="")
    xero_user_id: Mapped[str | None] = mapped_column(String(36))
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What went wrong last, for people (Xero's message, never a token).
    last_error: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    refresh_version: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def needs_reconnect(self) -> bool:
        return self.status == "needs_reconnect"

    def __repr__(self) -> str:
        # No token columns here, not even encrypted.
        return f"<XeroConnection {self.tenant_name!r} tenant={self.tenant_id} {self.status}>"
