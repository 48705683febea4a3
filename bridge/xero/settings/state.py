"""An organisation's payment sync state (cursors, requests, last run): one row per tenant,
read and advanced by bridge.xero.sync, asked for early or backfilled by the settings."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroSyncState


def sync_state(tenant_id: str) -> XeroSyncState:
    """The organisation's sync-state row, created on first use (the caller commits)."""
    state = db.session.scalar(select(XeroSyncState).where(XeroSyncState.tenant_id == tenant_id))
    if state is None:
        state = XeroSyncState(tenant_id=tenant_id, runs=0, backfill_requested=False,
                              recheck_requested=False)
        db.session.add(state)
    return state
