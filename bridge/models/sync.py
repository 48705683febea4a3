"""Where the Xero payment sync of each organisation stands, and the leases that keep one
process (and one run per organisation) at work at a time."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.extensions import db
from bridge.models.types import UTCDateTime


class XeroSyncState(db.Model):
    """One organisation's payment sync: cursors, last run, its result, next run, requests.

    The cursors are Xero's own UpdatedDateUTC values (never our clock), written in the same
    transaction as the changes they cover, so they never run ahead of what was applied.
    """

    __tablename__ = "xero_sync_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), unique=True)
    # The newest UpdatedDateUTC applied from GET /Payments, and from GET /Invoices.
    payments_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invoices_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Credit notes changed in Xero (allocations, refunds), read once Bridge has copied one.
    credit_notes_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The XeroSettings.payments_synced_since the cursors were started from; a new value
    # (sync turned off and on again) starts them afresh from that moment.
    started_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Also fetch earlier payments" was asked for and has not run yet.
    backfill_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sync was turned back on: every copied document with live Xero payments is checked
    # once against Xero (payments deleted while it was off), nothing older is added.
    recheck_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # A webhook (or anyone) asked for a sync sooner than the next poll.
    sync_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the last run changed, for people ("3 payments added, 1 deleted, …") and as counts.
    last_result: Mapped[str | None] = mapped_column(Text)
    last_counts: Mapped[dict | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Who ran it last: "scheduler", "button", "cli", with the process's lease holder id.
    last_run_by: Mapped[str | None] = mapped_column(String(200))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)


class Lease(db.Model):
    """A named lease: whoever holds it until expires_at may do the named work.

    Taken and renewed with one conditional UPDATE (bridge.xero.sync.lease); the unique name makes
    the first INSERT race-safe.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
