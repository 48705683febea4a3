"""A bulk copy before anything is sent: the selection (stored in a draft job, never in a URL),
what will happen to each document, and the job queued for the background runner.

    job = select_documents("credit_note", ids, user_id=1, link_template="https://bridge.example/credit-notes/{id}")
    plan = plan_job(job.id)         # new copies, updates, what cannot go and why
    queue_job(job.id, status=None)  # the runner (bridge.xero.bulk.jobs) takes it from here

Which documents can go, and why the others cannot, is the kind's (its `sort`); everything
here reads Bridge's own tables: no Xero call until the job runs.
"""
from dataclasses import dataclass, field
from uuid import uuid4

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroCopy, XeroCopyJob
from bridge.xero.bulk.kinds import BulkKind, kind_of
from bridge.xero.sending import payloads
from bridge.xero.sending.once import not_ready_message
from bridge.xero.settings.readiness import readiness

# Jobs being worked through (queued, or started and not over).
ACTIVE_STATES = ("queued", "running")
# Xero takes up to 50 invoices or credit notes in one call (XERO_API_NOTES.md §3.4).
BATCH_SIZE = 50
# The most documents one job takes; far above a month's invoicing, it bounds the work per job.
MAX_DOCUMENTS = 5000
# The settings' initial status that has the person choose one per copy (or per bulk copy).
MANUAL = "MANUAL"


class BulkRefused(Exception):
    """The selection or the choice cannot be used; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class JobPlan:
    """What the job will do, as the confirmation modal shows it."""

    job: XeroCopyJob
    kind: BulkKind
    ready: list = field(default_factory=list)
    blocked: list = field(default_factory=list)
    # Clients without a linked Xero contact: one is matched by name in Xero, or created.
    new_contacts: list[str] = field(default_factory=list)
    manual_status: bool = False

    @property
    def creates(self) -> int:
        return sum(1 for item in self.ready if item.action == "create")

    @property
    def updates(self) -> int:
        return sum(1 for item in self.ready if item.action == "update")

    @property
    def differing(self) -> list:
        """Documents Xero will book with another total than Bridge's (confirmed before queueing)."""
        return [item for item in self.ready if getattr(item, "xero_total", None) is not None]


def select_documents(kind_name: str, ids: list[int], *, user_id: int | None, link_template: str) -> XeroCopyJob:
    """Store a selection as a draft job (BulkRefused when empty, too big, or Xero is not ready)."""
    kind = kind_of(kind_name)
    ready = readiness()
    if not ready.ready:
        raise BulkRefused(not_ready_message(ready))
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise BulkRefused(f"Select at least one {kind.noun}.")
    if len(ids) > MAX_DOCUMENTS:
        raise BulkRefused(f"Select at most {MAX_DOCUMENTS:,} {kind.plural} at a time.")
    known = set(db.session.scalars(select(kind.model.id).where(kind.model.id.in_(ids))))
    job = XeroCopyJob(key=str(uuid4()), tenant_id=ready.tenant_id, state="draft", kind=kind.name,
                      invoice_ids=[i for i in ids if i in known], link_template=link_template,
                      created_by_id=user_id)
    if not job.invoice_ids:
        raise BulkRefused(f"None of the selected {kind.plural} exists any more.")
    db.session.add(job)
    db.session.commit()
    return job


def plan_job(job_id: int) -> JobPlan:
    """Sort the job's documents into new copies, updates and those that cannot go (LookupError if none)."""
    job = db.session.get(XeroCopyJob, job_id)
    if job is None:
        raise LookupError(f"No copy job {job_id}.")
    kind = kind_of(job.kind)
    ready = readiness()
    plan = JobPlan(job=job, kind=kind, manual_status=ready.settings is not None
                   and ready.settings.initial_status == MANUAL)
    items, blocked = kind.sort(job.document_ids, job.tenant_id, ready, job.id)
    plan.ready.extend(items)
    plan.blocked.extend(blocked)
    if kind.new_contacts:
        plan.new_contacts.extend(kind.new_contacts(items))
    return plan


def queue_job(job_id: int, status: str | None, accept_differences: bool = False) -> JobPlan:
    """Confirm a draft: keep the documents that can go, fix the status, and queue it for the runner."""
    plan = plan_job(job_id)
    job, plural = plan.job, plan.kind.plural
    if job.state != "draft":
        return plan  # confirmed already (a double click): the job runs once
    if plan.differing and not accept_differences:
        raise BulkRefused(f"Xero will book another total than Bridge's for {len(plan.differing)} of these "
                          f"{plural} (listed above): tick the box to copy them with Xero's totals, or fix "
                          "their tax rate mapping first.")
    if plan.manual_status:
        if status not in payloads.COPY_STATUSES:
            raise BulkRefused(f"Choose the status the {plural} get in Xero.")
        job.status = status
    if not plan.ready:
        raise BulkRefused(f"None of the selected {plural} can be copied: fix the ones listed first.")
    job.invoice_ids = [item.document.id for item in plan.ready]
    job.state = "queued"
    db.session.commit()
    return plan


def copying_ids(kind: BulkKind, ids: list[int], except_job: int | None = None) -> set[int]:
    """Of these documents, those an unfinished job has not given an outcome yet ("copying…")."""
    wanted, copying = set(ids), set()
    column = getattr(XeroCopy, kind.column)
    for job_id, job_ids in db.session.execute(select(XeroCopyJob.id, XeroCopyJob.invoice_ids).where(
            XeroCopyJob.state.in_(ACTIVE_STATES), XeroCopyJob.kind == kind.name,
            XeroCopyJob.id != (except_job or 0))).all():
        mine = wanted.intersection(job_ids)
        if mine:
            over = set(db.session.scalars(select(column).where(
                XeroCopy.job_id == job_id, XeroCopy.state.in_(("done", "failed")))))
            copying |= mine - over
    return copying
