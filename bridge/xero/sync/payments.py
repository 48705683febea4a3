"""Payment sync, Xero -> Bridge, one way: one incremental run per connected organisation.

    result = sync_organisation(tenant_id, trigger="button")   # the button, CLI, scheduler
    result.message   # "3 payments added, 1 deleted, 2 invoices updated"

A run, when XeroSettings.sync_payments is on for the organisation:
1. GET /Payments changed since the payments cursor (If-Modified-Since, less an overlap),
   every page; each page is upserted by PaymentID (bridge.xero.sync.mirror) and committed with
   the cursor moved to the newest UpdatedDateUTC in it;
2. GET /Invoices changed since the invoices cursor, as summaries: every document Bridge
   created there (each copy, live or not) gets Xero's number, status and amounts in the
   ledger, which sums each invoice and expense up; those whose AmountPaid disagrees with the
   payments we hold are fetched in full (IDs=, 40 a call) to catch deletions the list missed;
3. when asked ("also fetch earlier payments", or sync turned back on) every copied document
   is fetched in full, 40 a call, and reconciled.
A failure (429, 5xx, timeout, revoked access, a crash) leaves every committed page whole
and the cursors at the last one: the next run resumes there, and re-applying a page
changes nothing. Runs of one organisation never overlap (a lease per organisation).
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterator

from sqlalchemy import and_, select

from bridge.extensions import db
from bridge.models import XeroConnection, XeroSettings, XeroSyncState, utcnow
from bridge.xero.sync import mirror
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroError, XeroRateLimited
from bridge.xero.sync.lease import HeldLease, holder_id, org_lease
from bridge.xero.sync.mirror import Counts
from bridge.xero.settings.state import sync_state

logger = logging.getLogger(__name__)

# Xero allows 1,000 a page (notes §3.7): few calls even when much changed.
PAGE_SIZE = 1000
# If-Modified-Since has one-second resolution and a record is stamped before its
# transaction commits: look back a little, and de-duplicate by id (notes §3.6).
OVERLAP = timedelta(minutes=2)
PAYMENT_TYPES = 'PaymentType=="ACCRECPAYMENT" OR PaymentType=="ACCPAYPAYMENT"'
OLDEST_FIRST = "UpdatedDateUTC ASC"
# A run renews its organisation's lease after every page; this covers the slowest page.
RUN_LEASE = timedelta(minutes=15)


class LeaseLost(Exception):
    """Another run took over this organisation (ours stalled past its lease)."""


@dataclass
class SyncResult:
    """What one run did (counts), or why it did not run (skipped) or stopped (error)."""

    tenant_id: str
    tenant_name: str = ""
    counts: Counts | None = None
    skipped: str | None = None
    error: str | None = None

    @property
    def message(self) -> str:
        if self.skipped:
            return self.skipped
        if self.error:
            done = self.counts.summary() if self.counts else "Nothing changed"
            return f"Stopped: {self.error} Applied before that: {done}."
        return self.counts.summary()


def settings_for(tenant_id: str) -> XeroSettings | None:
    """The settings of the billing entity this organisation is connected for, if they were made
    for it (settings another entity left for it when it disconnected do not count)."""
    connected = db.session.scalar(select(XeroSettings).join(
        XeroConnection, XeroConnection.entity_id == XeroSettings.entity_id).where(
        XeroConnection.tenant_id == tenant_id, XeroSettings.tenant_id == tenant_id))
    return connected or db.session.scalar(select(XeroSettings).where(XeroSettings.tenant_id == tenant_id)
                                          .order_by(XeroSettings.entity_id).limit(1))


def syncing_organisations() -> list[XeroConnection]:
    """Connected organisations whose entity's settings (made for them) have payment sync on."""
    return list(db.session.scalars(
        select(XeroConnection).join(XeroSettings, and_(XeroSettings.entity_id == XeroConnection.entity_id,
                                                       XeroSettings.tenant_id == XeroConnection.tenant_id))
        .where(XeroSettings.sync_payments.is_(True)).order_by(XeroConnection.id)))


def request_sync(tenant_id: str, *, backfill: bool = False) -> None:
    """Ask for a run sooner than the next poll (webhooks), or for a backfill; commits."""
    state = sync_state(tenant_id)
    state.sync_requested_at = utcnow()
    if backfill:
        state.backfill_requested = True
    db.session.commit()


def sync_organisation(tenant_id: str, *, trigger: str = "cli", client: XeroClient | None = None,
                      holder: str | None = None,
                      next_run_at: datetime | None = None) -> SyncResult:
    """One run for one organisation; see the module's docstring. Never raises XeroError."""
    connection = db.session.scalar(select(XeroConnection).where(XeroConnection.tenant_id == tenant_id))
    result = SyncResult(tenant_id, connection.tenant_name if connection else "")
    settings = settings_for(tenant_id)
    if connection is None:
        result.skipped = "This Xero organisation is not connected."
    elif settings is None or not settings.sync_payments:
        result.skipped = "Payment sync is off: turn it on in the Xero settings."
    elif connection.needs_reconnect:
        result.skipped = "Xero no longer accepts Bridge's access: reconnect it first."
    if result.skipped:
        return result
    holder = holder or holder_id()
    with HeldLease(db.engine, org_lease(tenant_id), RUN_LEASE, holder) as lease:
        if not lease.held:
            result.skipped = "A sync of this organisation is already running."
            return result
        own_client = client is None
        client = client or XeroClient(tenant_id)
        result.counts = Counts()
        try:
            _run(tenant_id, settings, client, lease, result.counts)
            _finish(tenant_id, result, f"{trigger} {holder}", next_run_at)
        except (XeroError, LeaseLost) as error:
            result.error = str(error)
            _fail(tenant_id, result, f"{trigger} {holder}", next_run_at, error)
        except Exception as error:
            # A bug or a crash: nothing half-applied (the page's transaction is rolled
            # back); say so on the card, and let the caller's logs have the traceback.
            result.error = f"Bridge failed during the sync ({type(error).__name__})."
            _fail(tenant_id, result, f"{trigger} {holder}", next_run_at, error)
            raise
        finally:
            if own_client:
                client.close()
    return result


def sync_all(trigger: str, *, holder: str | None = None, due_only: bool = False,
             next_run_at: datetime | None = None,
             client_factory: Callable[[str], XeroClient] | None = None) -> list[SyncResult]:
    """A run for every organisation with payment sync on (due_only: only those due or asked)."""
    results = []
    now = utcnow()
    for connection in syncing_organisations():
        tenant_id = connection.tenant_id
        if due_only and not _due(sync_state(tenant_id), now):
            continue
        db.session.commit()
        client = client_factory(tenant_id) if client_factory else None
        results.append(sync_organisation(tenant_id, trigger=trigger, client=client,
                                         holder=holder, next_run_at=next_run_at))
    db.session.commit()
    return results


def _due(state: XeroSyncState, now: datetime) -> bool:
    """Whether the scheduler should run this organisation now: asked for, or its time came.

    A little slack, because ticks drift by a moment and must not skip a whole period.
    """
    if state.sync_requested_at is not None:
        return True
    return state.next_run_at is None or state.next_run_at <= now + timedelta(seconds=5)


def _run(tenant_id: str, settings: XeroSettings, client: XeroClient, lease: HeldLease,
         counts: Counts) -> None:
    """The three passes; each page committed with its cursor."""
    state = sync_state(tenant_id)
    state.sync_requested_at = None
    # When sync was turned on; the fallbacks only serve rows saved before that was recorded.
    since = (settings.payments_synced_since or state.started_from or settings.configured_at
             or utcnow())
    if state.started_from != since:
        # First run, or sync turned off and on again: mirror from that moment on.
        state.recheck_requested = state.started_from is not None
        state.payments_cursor = state.invoices_cursor = state.started_from = since
        state.credit_notes_cursor = since
    db.session.commit()  # nothing is held open while Xero is called

    def fetch_payments(mark: datetime, page: int) -> list[dict]:
        return client.get_payments(modified_since=mark, page=page, where=PAYMENT_TYPES,
                                   page_size=PAGE_SIZE, order=OLDEST_FIRST)

    read_at = None
    for items in changed_pages(fetch_payments, sync_state(tenant_id).payments_cursor - OVERLAP):
        read_at = read_at or client.answered_at
        keep(lease)
        mirror.apply_payments(tenant_id, items, counts, floor=since)
        commit_page(tenant_id, "payments_cursor", items)
    caught_up(tenant_id, "payments_cursor", read_at)

    def fetch_invoices(mark: datetime, page: int) -> list[dict]:
        return client.get_invoices(modified_since=mark, page=page, page_size=PAGE_SIZE,
                                   order=OLDEST_FIRST, summary_only=True)

    read_at = None
    for items in changed_pages(fetch_invoices, sync_state(tenant_id).invoices_cursor - OVERLAP):
        read_at = read_at or client.answered_at
        closer = mirror.closer_look(tenant_id, items)
        db.session.commit()  # end the read before calling Xero again
        full = client.get_invoices(ids=closer) if closer else []
        keep(lease)
        mirror.apply_documents(tenant_id, items, counts)
        mirror.reconcile(tenant_id, full, counts, add_unknown=False)
        commit_page(tenant_id, "invoices_cursor", items)
    caught_up(tenant_id, "invoices_cursor", read_at)

    if mirror.has_credit_notes(tenant_id):
        _credit_notes(tenant_id, client, counts, lease, since)

    state = sync_state(tenant_id)
    if state.backfill_requested or state.recheck_requested:
        _reconcile_all(tenant_id, client, counts, lease, add_unknown=state.backfill_requested)


def _credit_notes(tenant_id: str, client: XeroClient, counts: Counts, lease: HeldLease,
                  since: datetime) -> None:
    """The credit notes changed in Xero, once Bridge has copied one: their allocations (made or
    deleted) and refunds onto Bridge's credit notes (the invoices' side is the invoice pass's)."""
    def fetch_credit_notes(mark: datetime, page: int) -> list[dict]:
        return client.get_credit_notes(modified_since=mark, page=page, page_size=PAGE_SIZE,
                                       order=OLDEST_FIRST)

    start = (sync_state(tenant_id).credit_notes_cursor or since) - OVERLAP
    db.session.commit()
    read_at = None
    for items in changed_pages(fetch_credit_notes, start):
        read_at = read_at or client.answered_at
        keep(lease)
        mirror.apply_credit_notes(tenant_id, items, counts)
        commit_page(tenant_id, "credit_notes_cursor", items)
    caught_up(tenant_id, "credit_notes_cursor", read_at)


def changed_pages(fetch: Callable[[datetime, int], list[dict]],
                  since: datetime) -> Iterator[list[dict]]:
    """Pages of records changed since `since`, oldest first, until one is short.

    Each next request asks again from just below the newest UpdatedDateUTC seen, rather
    than for page N + 1: a record changed meanwhile moves to the end of the list, and
    with plain page numbers the one after it would slip onto a page already read.
    Only when a whole page shares the same second does it turn the page instead.
    """
    mark, page = since, 1
    while True:
        items = fetch(mark, page)
        yield items
        if len(items) < PAGE_SIZE:
            return
        newest = max(item.get("UpdatedDateUTC") or mark for item in items)
        restart = newest.replace(microsecond=0) - timedelta(seconds=1)
        if restart > mark:
            mark, page = restart, 1
        else:
            page += 1


def keep(lease: HeldLease) -> None:
    """Renew the run's lease before writing a page (its own short transaction, first)."""
    if not lease.renew():
        raise LeaseLost("Another run took over this organisation.")


def commit_page(tenant_id: str, cursor: str, items: list[dict]) -> None:
    """Commit a page's changes together with its cursor (the newest UpdatedDateUTC in it)."""
    state = sync_state(tenant_id)
    newest = max((item["UpdatedDateUTC"] for item in items if item.get("UpdatedDateUTC")),
                 default=None)
    if newest is not None and newest > getattr(state, cursor):
        setattr(state, cursor, newest)
    db.session.commit()


def caught_up(tenant_id: str, cursor: str, read_at: datetime | None) -> None:
    """After a whole pass, move the cursor up to Xero's clock at the pass's first answer.

    Everything stamped more than OVERLAP before that answer had committed and was read, so
    the next pass looks back from there rather than from the newest record: after a burst of
    changes, idle cycles stop reading the burst again (one page, not two, per list).
    """
    state = sync_state(tenant_id)
    if read_at is not None and read_at > getattr(state, cursor):
        setattr(state, cursor, read_at)
        db.session.commit()


def _reconcile_all(tenant_id: str, client: XeroClient, counts: Counts, lease: HeldLease,
                   *, add_unknown: bool) -> None:
    """Fetch copied documents in full, 40 a call, and reconcile each chunk (backfill/recheck)."""
    xero_ids = mirror.all_copied(tenant_id, with_live_payments_only=not add_unknown)
    db.session.commit()
    for start in range(0, len(xero_ids), 40):
        invoices = client.get_invoices(ids=xero_ids[start:start + 40])
        keep(lease)
        mirror.reconcile(tenant_id, invoices, counts, add_unknown=add_unknown)
        commit_page(tenant_id, "invoices_cursor", [])
    state = sync_state(tenant_id)
    state.backfill_requested = state.recheck_requested = False
    db.session.commit()


def _finish(tenant_id: str, result: SyncResult, by: str, next_run_at: datetime | None) -> None:
    """Record a successful run."""
    state = sync_state(tenant_id)
    now = utcnow()
    state.last_run_at = state.last_success_at = now
    state.last_result, state.last_counts = result.counts.summary(), result.counts.as_dict()
    state.last_error, state.last_run_by = None, by[:200]
    state.runs = (state.runs or 0) + 1
    if next_run_at is not None:
        state.next_run_at = next_run_at
    db.session.commit()
    logger.info("xero payment sync tenant=%s by %s: %s", tenant_id, by, result.message)


def _fail(tenant_id: str, result: SyncResult, by: str, next_run_at: datetime | None,
          error: Exception) -> None:
    """Undo the unfinished page and record why the run stopped (committed pages stay)."""
    db.session.rollback()
    state = sync_state(tenant_id)
    now = utcnow()
    state.last_run_at, state.last_run_by = now, by[:200]
    state.last_error = result.error
    state.last_result = result.message
    state.last_counts = result.counts.as_dict() if result.counts else None
    state.runs = (state.runs or 0) + 1
    if next_run_at is not None:
        state.next_run_at = next_run_at
    if isinstance(error, XeroRateLimited) and error.is_daily and error.retry_after:
        # Xero's daily limit: park this organisation until it resets (notes §5).
        state.next_run_at = now + timedelta(seconds=error.retry_after)
    db.session.commit()
    logger.warning("xero payment sync tenant=%s by %s stopped: %s", tenant_id, by, result.error)
