"""A bulk copy, the background work: a queued job (bridge.xero.bulk.plan) is worked through in
batches of up to 50 documents per Xero call, exactly once per document.

    progress = run_job(job_id)   # the scheduler's runner, `flask xero run-jobs` and tests

Exactly once, after the single-copy design (bridge.xero.sending.once): every document of a
batch gets a XeroCopy row (attempt key derived from the job's key and the document's kind and
id; an invoice's Url carries it, a credit note's Reference carries its number) committed as
`pending` before the batch is sent; the batch's Idempotency-Key is derived from its items'
keys. A row pending with attempted_at set may have reached Xero: a later run (after a crash or
a restart) first looks for those documents in Xero, records the ones found and re-sends only
the others. A rate-limited batch (429) certainly did not reach Xero: its rows go back to
attempted_at = None and are sent again. Updates of an existing copy are sent again as they
are (the same update twice changes nothing twice).

One process works a job at a time: the run holds the lease "xero-copy-job:<id>" (table
leases), renewed before each batch and each step after them. The state is all in the
database, so a run can stop anywhere and the next one carries on.
"""
from dataclasses import dataclass
from uuid import UUID, uuid5

from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import XeroCopy, XeroCopyJob, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroAuthorisationLost, XeroError
from bridge.xero.bulk import plan as bulk_plan
from bridge.xero.bulk.batches import Batches, batch_key
from bridge.xero.bulk.kinds import BulkKind, kind_of
from bridge.xero.sending.attempt import lease_time
from bridge.xero.sending.once import not_ready_message
from bridge.xero.settings.readiness import readiness
from bridge.xero.sync.lease import HeldLease

LEASE_PREFIX = "xero-copy-job:"
ACTIVE_STATES = bulk_plan.ACTIVE_STATES


class LeaseLost(Exception):
    """Another process took the job's lease (this one was too slow): stop, it carries on."""


@dataclass(frozen=True)
class Progress:
    """How far a job is: counts of documents by outcome."""

    job_id: int
    state: str
    total: int
    done: int
    failed: int
    error: str | None = None
    kind: str = "invoice"

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.finished * 100 // self.total)

    @property
    def over(self) -> bool:
        return self.state in ("done", "stopped")

    @property
    def noun(self) -> str:
        return kind_of(self.kind).noun


def item_key(job_key: str, document_id: int, kind: str = "invoice") -> str:
    """The attempt key of one document in one job (a UUID, stable across runs)."""
    return str(uuid5(UUID(job_key), f"{kind}-{document_id}"))


def progress(job_id: int) -> Progress:
    """The counts of the job's selection (all its entities' jobs; LookupError if there is no such job)."""
    job = db.session.get(XeroCopyJob, job_id)
    if job is None:
        raise LookupError(f"No copy job {job_id}.")
    jobs = bulk_plan.selection(job)
    counts = dict(db.session.execute(select(XeroCopy.state, func.count()).where(
        XeroCopy.job_id.in_([part.id for part in jobs])).group_by(XeroCopy.state)).all())
    states = {part.state for part in jobs}
    state = next((s for s in ("running", "queued", "draft", "stopped") if s in states), "done")
    error = next((part.error for part in jobs if part.error), None)
    return Progress(job.id, state, sum(len(part.document_ids) for part in jobs), counts.get("done", 0),
                    counts.get("failed", 0), error, job.kind or "invoice")


def results(job_id: int) -> list[tuple[XeroCopy, str]]:
    """Each document's outcome in the job's selection with the document's number, in the order sent."""
    job = db.session.get(XeroCopyJob, job_id)
    kind = kind_of(job.kind)
    return list(db.session.execute(select(XeroCopy, kind.model.number).join(
        kind.model, kind.model.id == getattr(XeroCopy, kind.column))
        .where(XeroCopy.job_id.in_([part.id for part in bulk_plan.selection(job)])).order_by(XeroCopy.id)).all())


def recent_jobs(limit: int = 5, tenant_id: str | None = None) -> list[Progress]:
    """The newest confirmed jobs (of one organisation, when given) with their progress (the Xero
    cards list them)."""
    # A selection split by entity shows once, as its first job.
    first = select(func.min(XeroCopyJob.id)).where(XeroCopyJob.selection_key.is_not(None)).group_by(
        XeroCopyJob.selection_key)
    query = select(XeroCopyJob.id).where(
        XeroCopyJob.state != "draft", XeroCopyJob.selection_key.is_(None) | XeroCopyJob.id.in_(first))
    if tenant_id is not None:
        query = query.where(XeroCopyJob.tenant_id == tenant_id)
    ids = db.session.scalars(query.order_by(XeroCopyJob.id.desc()).limit(limit))
    return [progress(job_id) for job_id in ids]


def unfinished_jobs() -> list[int]:
    """Jobs queued or interrupted, oldest first (what the runner picks up after a restart)."""
    ids = list(db.session.scalars(select(XeroCopyJob.id).where(
        XeroCopyJob.state.in_(ACTIVE_STATES)).order_by(XeroCopyJob.id)))
    db.session.commit()
    return ids


def run_job(job_id: int, holder: str | None = None) -> Progress:
    """Work the job through to its end (or until Xero stops it); safe to call again any time."""
    job = db.session.get(XeroCopyJob, job_id)
    if job is None:
        raise LookupError(f"No copy job {job_id}.")
    if job.state not in ACTIVE_STATES:
        return progress(job_id)
    db.session.commit()  # the lease is taken on its own connection
    with HeldLease(db.engine, f"{LEASE_PREFIX}{job_id}", lease_time(), holder) as held:
        if not held.held:
            return progress(job_id)
        job = db.session.get(XeroCopyJob, job_id)
        problem = _cannot_run(job)
        if problem:
            _end(job_id, "stopped", problem)
            return progress(job_id)
        job.state, job.started_at, job.error = "running", job.started_at or utcnow(), None
        db.session.commit()
        try:
            with XeroClient(job.tenant_id) as client:
                _Run(job, client, held).work()
        except XeroAuthorisationLost as error:
            _end(job_id, "stopped", str(error))
        except XeroError as error:
            # Rate limit past our waits, or Xero unavailable: the next run carries on.
            _end(job_id, "running", f"Paused: {error} Bridge carries on by itself shortly.")
        except LeaseLost:
            db.session.rollback()
        else:
            _end(job_id, "done", None)
    return progress(job_id)


def _cannot_run(job: XeroCopyJob) -> str | None:
    """Why the job cannot carry on at all (Xero disconnected, or another organisation now)."""
    ready = readiness(job.entity_id)
    if not ready.ready:
        return not_ready_message(ready)
    if ready.tenant_id != job.tenant_id:
        return ("Another Xero organisation is connected now than when this copy started: "
                f"the {kind_of(job.kind).plural} left were not copied.")
    return None


def _end(job_id: int, state: str, error: str | None) -> None:
    db.session.rollback()
    job = db.session.get(XeroCopyJob, job_id)
    job.state, job.error = state, error
    if state in ("done", "stopped"):
        job.finished_at = utcnow()
    db.session.commit()


class _Run:
    """One run of one job: recover what a previous run left, the kind's step before (contacts),
    send the batches, the kind's step after (notes, files, allocations)."""

    def __init__(self, job: XeroCopyJob, client: XeroClient, held: HeldLease):
        self.kind: BulkKind = kind_of(job.kind)
        self.job_id, self.job_key, self.tenant_id = job.id, job.key, job.tenant_id
        self.user_id, self.link_template = job.created_by_id, job.link_template
        self.document_ids = list(job.document_ids)
        self.client, self.held = client, held
        self.ready = readiness(job.entity_id)
        settings = self.ready.settings
        manual = settings.initial_status == bulk_plan.MANUAL
        self.status = (job.status if manual else settings.initial_status) or "DRAFT"
        # What the kind keeps during the run (its base choices, contacts it could not make).
        self.state: dict = {}
        self.contact_problems: dict[int, str] = {}
        self.batches = Batches(self)

    def work(self) -> None:
        self.batches.recover()
        if self.kind.before:
            self.kind.before(self)
        while True:
            chunk = self.next_chunk()
            if not chunk:
                break
            self.renew()
            creates, updates = self.prepare(chunk)
            if creates:
                self.batches.send_creates(creates)
            if updates:
                self.batches.send_updates(updates)
        if self.kind.after:
            self.kind.after(self)

    def renew(self) -> None:
        """Keep the job's lease before the next call to Xero (LeaseLost: another process has it)."""
        if not self.held.renew():
            raise LeaseLost()

    def left(self) -> list[int]:
        """The job's documents that have no row yet, in the order selected."""
        seen = set(db.session.scalars(select(getattr(XeroCopy, self.kind.column)).where(
            XeroCopy.job_id == self.job_id)))
        db.session.commit()
        return [i for i in self.document_ids if i not in seen]

    def next_chunk(self) -> list[int]:
        """The next (up to) 50 documents of the job that have no row yet."""
        return self.left()[:bulk_plan.BATCH_SIZE]

    def done_rows(self) -> list[XeroCopy]:
        """The job's rows Xero took, in the order sent."""
        return list(db.session.scalars(select(XeroCopy).where(
            XeroCopy.job_id == self.job_id, XeroCopy.state == "done").order_by(XeroCopy.id)))

    def prepare(self, chunk: list[int]) -> tuple[list[int], list[int]]:
        """Commit a pending row per document (failed ones for those that cannot go); their ids."""
        items, blocked = self.kind.sort(chunk, self.tenant_id, self.ready, self.job_id)
        rows, now = [], utcnow()
        for problem in blocked:
            rows.append(self.row(problem.document, "create", state="failed", error=problem.reason))
        creates, updates = [], []
        for item in items:
            row = self.row(item.document, item.action, state="pending", xero_id=item.target, attempted_at=now)
            reason = self.kind.prepare(self, item, row)
            if reason is not None:
                rows.append(self.row(item.document, item.action, state="failed", error=reason))
                continue
            (creates if item.action == "create" else updates).append(row)
            rows.append(row)
        for group in (creates, updates):
            key = batch_key([row.attempt_key for row in group])
            for row in group:
                row.batch_key = key
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in creates], [row.id for row in updates]

    def row(self, document, action: str, *, state: str, error: str | None = None, **values) -> XeroCopy:
        row = XeroCopy(tenant_id=self.tenant_id, job_id=self.job_id, action=action, state=state,
                       attempt_key=item_key(self.job_key, document.id, self.kind.name),
                       created_by_id=self.user_id, **{self.kind.column: document.id}, **values)
        if error is not None:
            row.error, row.error_kind, row.completed_at = error, "bad_input", utcnow()
        return row
