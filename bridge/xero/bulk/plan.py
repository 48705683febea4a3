"""A bulk copy before anything is sent: the selection (stored in a draft job, never in a URL),
what will happen to each document, and the job queued for the background runner.

    job = select_documents("credit_note", ids, user_id=1, link_template="https://bridge.example/credit-notes/{id}")
    plan = plan_job(job.id)         # new copies, updates, what cannot go and why
    queue_job(job.id, status=None)  # the runner (bridge.xero.bulk.jobs) takes it from here

Which documents can go, and why the others cannot, is the kind's (its `sort`); everything
here reads Bridge's own tables: no Xero call until the job runs.

A selection of several billing entities' documents is split: one job per entity, each sent to
that entity's organisation, sharing a selection_key. The first job stands for the selection:
its plan, queueing and progress take in the others (the modal says how it was split).
"""
from dataclasses import dataclass, field
from uuid import uuid4

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import BillingEntity, XeroCopy, XeroCopyJob
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
    # With several entities: (entity name, organisation name, documents) per job, in job order.
    split: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def selected(self) -> int:
        """How many documents were selected, in every entity's job."""
        return sum(count for _entity, _organisation, count in self.split) or len(self.job.document_ids)

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
    """Store a selection as draft jobs, one per billing entity, and return the first (BulkRefused
    when empty, too big, or an entity's Xero is not ready)."""
    kind = kind_of(kind_name)
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise BulkRefused(f"Select at least one {kind.noun}.")
    if len(ids) > MAX_DOCUMENTS:
        raise BulkRefused(f"Select at most {MAX_DOCUMENTS:,} {kind.plural} at a time.")
    entity_of = kind.entities(ids)
    by_entity: dict[int, list[int]] = {}
    for document_id in ids:
        if document_id in entity_of:
            by_entity.setdefault(entity_of[document_id], []).append(document_id)
    if not by_entity:
        raise BulkRefused(f"None of the selected {kind.plural} exists any more.")
    selection_key = str(uuid4()) if len(by_entity) > 1 else None
    jobs = []
    for entity_id, entity_ids in sorted(by_entity.items()):
        ready = readiness(entity_id)
        if not ready.ready:
            problem = not_ready_message(ready)
            if len(by_entity) > 1:
                name = db.session.get(BillingEntity, entity_id).name
                problem = (f"{len(entity_ids)} of the selected {kind.plural} belong to {name}: {problem} "
                           f"Or untick them and copy the others.")
            raise BulkRefused(problem)
        jobs.append(XeroCopyJob(key=str(uuid4()), entity_id=entity_id, tenant_id=ready.tenant_id, state="draft",
                                kind=kind.name, invoice_ids=entity_ids, link_template=link_template,
                                selection_key=selection_key, created_by_id=user_id))
    db.session.add_all(jobs)
    db.session.commit()
    return jobs[0]


def selection(job: XeroCopyJob) -> list[XeroCopyJob]:
    """The jobs of the job's selection, in order (just the job unless it was split by entity)."""
    if not job.selection_key:
        return [job]
    return list(db.session.scalars(select(XeroCopyJob).where(XeroCopyJob.selection_key == job.selection_key)
                                   .order_by(XeroCopyJob.id)))


def plan_job(job_id: int) -> JobPlan:
    """Sort the selection's documents into new copies, updates and those that cannot go, each
    with its own entity's settings (LookupError if there is no such job)."""
    job = db.session.get(XeroCopyJob, job_id)
    if job is None:
        raise LookupError(f"No copy job {job_id}.")
    kind = kind_of(job.kind)
    jobs = selection(job)
    readies = [readiness(part.entity_id) for part in jobs]
    plan = JobPlan(job=job, kind=kind, manual_status=any(
        ready.settings is not None and ready.settings.initial_status == MANUAL for ready in readies))
    for part, ready in zip(jobs, readies):
        items, blocked = kind.sort(part.document_ids, part.tenant_id, ready, part.id)
        plan.ready.extend(items)
        plan.blocked.extend(blocked)
        if kind.new_contacts:
            plan.new_contacts.extend(kind.new_contacts(items, part.tenant_id))
        if len(jobs) > 1:
            entity = db.session.get(BillingEntity, ready.entity_id)
            plan.split.append((entity.name, ready.tenant_name or "", len(part.document_ids)))
    return plan


def queue_job(job_id: int, status: str | None, accept_differences: bool = False) -> JobPlan:
    """Confirm a draft: keep the documents that can go, fix the status, and queue the selection's
    jobs for the runner."""
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
    going = {item.document.id for item in plan.ready}
    for part in selection(job):
        part.invoice_ids = [i for i in part.document_ids if i in going]
        part.status = job.status
        # A part left with nothing to copy is over before it starts.
        part.state = "queued" if part.invoice_ids else "done"
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
