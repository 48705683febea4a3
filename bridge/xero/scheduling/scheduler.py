"""APScheduler inside the app: the payment sync every XERO_POLL_SECONDS, in one process.

create_app calls init_app, which starts one BackgroundScheduler per process when
XERO_SCHEDULER_ENABLED (default on; off under TESTING unless set), and not in the
reloader's watcher process, nor in CLI commands other than `flask run`. Every process may
run a scheduler (each gunicorn worker, each machine), but each tick first takes the poller
lease in the database (bridge.xero.sync.lease): exactly one process polls at a time, and when
it stops (or dies, and its lease runs out) another takes over at its next tick.

Jobs: the poll (first XERO_FIRST_POLL_SECONDS after start, then every XERO_POLL_SECONDS),
which syncs every connected organisation that is due, up to XERO_SYNC_WORKERS side by side,
each under its own organisation lease (bridge.xero.sync.payments.sync_all), and, in the process holding the lease, a check every few seconds for organisations a
webhook asked to sync sooner; and, in every process,
the bulk copy runner (every COPY_JOBS_SECONDS, and at once when a job is queued here), which
works each unfinished copy job under that job's own lease (bridge.xero.invoices.bulk.jobs), so one
process works a job and a job left by a stopped process is picked up again. Both have
max_instances=1 and coalesce=True, so a slow sync never overlaps itself, and both call the
same service as the "Sync now" button and `flask xero sync-payments`.
"""
import atexit
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError, SQLAlchemyError
from werkzeug.serving import is_running_from_reloader

from bridge.extensions import db
from bridge.models import XeroSyncState
from bridge.xero.sync import lease
from bridge.xero.api.client import XeroClient
from bridge.xero.sync.payments import sync_all

logger = logging.getLogger(__name__)

POLL_JOB = "xero-payment-poll"
REQUESTS_JOB = "xero-sync-requests"
# How often the lease holder looks for syncs asked for by webhooks.
REQUESTS_SECONDS = 5
# Organisations synced side by side in one tick (XERO_SYNC_WORKERS): Xero's limits are per
# organisation, so one organisation's wait must not hold back the others.
SYNC_WORKERS = 4
COPY_JOBS_JOB = "xero-copy-jobs"
# How often every process looks for bulk copy jobs to work (queued, or left by a stopped one).
COPY_JOBS_SECONDS = 5

_guard = threading.Lock()
_poller: "Poller | None" = None


@contextmanager
def database_away_is_a_warning(job: str) -> Iterator[None]:
    """A tick that meets the database gone (a restart, a failover) logs one line and waits
    for the next tick, which gets a fresh connection (pool_pre_ping); no traceback."""
    try:
        yield
    except (OperationalError, InterfaceError, PendingRollbackError) as error:
        logger.warning("xero %s: the database is not answering: %s", job, str(error).splitlines()[0])
        db.session.remove()

class Poller:
    """This process's scheduler: its jobs, its lease holder id and the app it works in."""

    def __init__(self, app: Flask):
        self.app = app
        self.holder = lease.holder_id()
        self.poll = timedelta(seconds=app.config["XERO_POLL_SECONDS"])
        self.first_poll = timedelta(seconds=app.config["XERO_FIRST_POLL_SECONDS"])
        self.lease_ttl = timedelta(seconds=app.config["XERO_LEASE_SECONDS"])
        # Organisations synced at once; each waits on its own 429s and budget (injectable sleep).
        self.workers = max(1, int(app.config.get("XERO_SYNC_WORKERS", SYNC_WORKERS)))
        self.sleep = time.sleep
        with app.app_context():
            self.engine = db.engine
        self.holds_lease = False
        # A webhook arrived here: look for requested syncs even before holding the lease.
        self.woken = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=timezone.utc)

    def start(self) -> None:
        """Add the jobs and start the scheduler's thread; shut down at exit."""
        first = datetime.now(timezone.utc) + min(self.poll, self.first_poll)
        self.scheduler.add_job(self.poll_tick, "interval", seconds=self.poll.total_seconds(),
                               id=POLL_JOB, max_instances=1, coalesce=True,
                               misfire_grace_time=None, next_run_time=first)
        self.scheduler.add_job(self.requests_tick, "interval", seconds=REQUESTS_SECONDS,
                               id=REQUESTS_JOB, max_instances=1, coalesce=True,
                               misfire_grace_time=None)
        self.scheduler.add_job(self.copy_jobs_tick, "interval", seconds=COPY_JOBS_SECONDS,
                               id=COPY_JOBS_JOB, max_instances=1, coalesce=True,
                               misfire_grace_time=None)
        self.scheduler.start()
        atexit.register(self.shutdown)
        logger.info("xero scheduler started in %s (poll every %ss)", self.holder,
                    self.poll.total_seconds())

    def poll_tick(self) -> None:
        """Take (or renew) the poller lease; the holder syncs every organisation that is due."""
        with self.app.app_context(), database_away_is_a_warning("poll"):
            if self.take_lease():
                self.run_due()

    def requests_tick(self) -> None:
        """Run the syncs webhooks asked for, without waiting for the poll.

        Only the lease holder looks every few seconds; a process a webhook woke looks once
        (and syncs only if it can take the lease).
        """
        woken = self.woken.is_set()
        self.woken.clear()
        if not (self.holds_lease or woken):
            return
        with self.app.app_context(), database_away_is_a_warning("sync requests"):
            requested = db.session.scalar(db.select(XeroSyncState.id).where(
                XeroSyncState.sync_requested_at.is_not(None)).limit(1))
            db.session.commit()
            if requested is not None and self.take_lease():
                self.run_due()

    def copy_jobs_tick(self) -> None:
        """Work every unfinished bulk copy job whose lease this process can take."""
        with self.app.app_context():
            try:
                run_copy_jobs(self.holder)
            except SQLAlchemyError as error:
                logger.warning("xero copy jobs: %s", error)
            finally:
                db.session.remove()

    def wake_copy_jobs(self) -> None:
        """A job was queued in this process: start on it now rather than at the next tick."""
        if self.scheduler.running:
            self.scheduler.modify_job(COPY_JOBS_JOB, next_run_time=datetime.now(timezone.utc))

    def run_due(self) -> None:
        """The service, for organisations due or asked for, side by side (each under its own
        lease, within its own per-organisation budget); the next run is the next poll."""
        try:
            sync_all("scheduler", holder=self.holder, due_only=True, next_run_at=self.next_poll(),
                     client_factory=lambda tenant_id: XeroClient(tenant_id, sleep=self.sleep),
                     workers=self.workers)
        finally:
            db.session.remove()

    def next_poll(self) -> datetime | None:
        """When the poll job fires next (shown on the Xero card)."""
        job = self.scheduler.get_job(POLL_JOB)
        when = job.next_run_time if job else None
        return when.astimezone(timezone.utc) if when else None

    def take_lease(self) -> bool:
        """Whether this process polls now; says so in the log when that changes."""
        try:
            held = lease.acquire(self.engine, lease.POLLER, self.holder, self.lease_ttl)
        except SQLAlchemyError as error:
            # The database is away (or not migrated yet): stand by, try at the next tick.
            logger.warning("xero scheduler %s cannot reach the lease: %s", self.holder, error)
            held = False
        if held != self.holds_lease:
            logger.info("xero scheduler %s %s the poller lease", self.holder,
                        "holds" if held else "lost")
        self.holds_lease = held
        return held

    def wake(self) -> None:
        """Look for requested syncs now (a webhook arrived in this process)."""
        self.woken.set()
        if self.scheduler.running:
            self.scheduler.modify_job(REQUESTS_JOB, next_run_time=datetime.now(timezone.utc))

    def shutdown(self) -> None:
        """Stop the jobs and hand the lease back so another process takes over at once."""
        global _poller
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.holds_lease:
            lease.release(self.engine, lease.POLLER, self.holder)
            self.holds_lease = False
        with _guard:
            if _poller is self:
                _poller = None


def enabled(app: Flask) -> bool:
    """XERO_SCHEDULER_ENABLED, where unset means on, except in tests."""
    value = app.config.get("XERO_SCHEDULER_ENABLED")
    return (not app.testing) if value is None else bool(value)


def _other_cli_command() -> bool:
    """Whether this process runs a CLI command (db upgrade, a sync…) rather than `flask run`."""
    context = click.get_current_context(silent=True)
    return context is not None and context.command.name != "run"


def init_app(app: Flask) -> "Poller | None":
    """Start this process's scheduler when it should run here; the running one, or None."""
    if not enabled(app):
        return None
    if app.debug and not is_running_from_reloader():
        return None  # the reloader's watcher: its child process serves (and schedules)
    if _other_cli_command():
        return None
    global _poller
    with _guard:
        if _poller is None:
            _poller = Poller(app)
            _poller.start()
        return _poller


def running() -> "Poller | None":
    """This process's scheduler, if it runs one."""
    return _poller


def run_copy_jobs(holder: str | None = None) -> list:
    """Run every unfinished bulk copy job (the runner's tick and `flask xero run-jobs`)."""
    # Imported late: they need the invoicing package loaded. Each kind's package registers it.
    from bridge.xero.bulk import jobs as bulk_copy
    from bridge.xero.credit_notes import bulk as _credit_notes  # noqa: F401
    from bridge.xero.invoices.bulk import kind as _invoices  # noqa: F401

    done = []
    for job_id in bulk_copy.unfinished_jobs():
        try:
            done.append(bulk_copy.run_job(job_id, holder))
        except Exception:  # one job's bug must not stop the others; it is retried next tick
            logger.exception("xero copy job %s failed", job_id)
            db.session.rollback()
    return done


def wake_copy_jobs() -> None:
    """Tell this process's scheduler that a copy job was queued (no-op without one)."""
    poller = _poller
    if poller is not None:
        poller.wake_copy_jobs()


def wake() -> None:
    """Tell this process's scheduler that a sync was asked for (no-op without one)."""
    poller = _poller
    if poller is not None:
        poller.wake()
