"""Bulk Copy to Xero, the background work: a queued job (bridge.xero.invoices.bulk.plan) is worked
through in batches of up to 50 invoices per Xero call, exactly once per invoice.

    progress = run_job(job_id)   # the scheduler's runner, `flask xero run-jobs` and tests

Exactly once, after the single-copy design (bridge.xero.invoices.copy): every invoice of a batch gets
a XeroCopy row (attempt key derived from the job's key and the invoice id; Xero's Url carries
it) committed as `pending` before the batch is sent; the batch's Idempotency-Key is derived
from its items' keys. A row pending with attempted_at set may have reached Xero: a later run
(after a crash or a restart) first looks for those invoices in Xero by their Url, records the
ones found and re-sends only the others. A rate-limited batch (429) certainly did not reach
Xero: its rows go back to attempted_at = None and are sent again. Updates of an existing copy
are sent again as they are (the same update twice changes nothing twice).

One process works a job at a time: the run holds the lease "xero-copy-job:<id>" (table
leases), renewed before each batch. The state is all in the database, so a run can stop
anywhere and the next one carries on.
"""
from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID, uuid5

from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import Company, Invoice, XeroCopy, XeroCopyJob, utcnow
from bridge.xero.sending import activity
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.invoices import options as copy_options
from bridge.xero.settings.readiness import readiness
from bridge.billing.files import Owner
from bridge.xero.sending import attachments, documents
from bridge.xero.invoices import mapping
from bridge.xero.invoices.bulk.batches import Batches, batch_key
from bridge.xero.api.client import XeroClient
from bridge.xero.sending.contacts import Contact, link
from bridge.xero.sending.attempt import as_text, lease_time
from bridge.xero.api.errors import XeroAuthorisationLost, XeroError, XeroValidationError
from bridge.xero.sending.explain import refusal
from bridge.xero.sync.lease import HeldLease
from bridge.xero.sending import payloads
from bridge.xero.sending.once import not_ready_message

LEASE_PREFIX = "xero-copy-job:"
ACTIVE_STATES = bulk_plan.ACTIVE_STATES


class LeaseLost(Exception):
    """Another process took the job's lease (this one was too slow): stop, it carries on."""


@dataclass(frozen=True)
class Progress:
    """How far a job is: counts of invoices by outcome."""

    job_id: int
    state: str
    total: int
    done: int
    failed: int
    error: str | None = None

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.finished * 100 // self.total)

    @property
    def over(self) -> bool:
        return self.state in ("done", "stopped")


def item_key(job_key: str, invoice_id: int) -> str:
    """The attempt key of one invoice in one job (a UUID, stable across runs)."""
    return str(uuid5(UUID(job_key), f"invoice-{invoice_id}"))


def progress(job_id: int) -> Progress:
    """The job's counts (LookupError if there is no such job)."""
    job = db.session.get(XeroCopyJob, job_id)
    if job is None:
        raise LookupError(f"No copy job {job_id}.")
    counts = dict(db.session.execute(select(XeroCopy.state, func.count()).where(
        XeroCopy.job_id == job_id).group_by(XeroCopy.state)).all())
    return Progress(job.id, job.state, len(job.invoice_ids), counts.get("done", 0),
                    counts.get("failed", 0), job.error)


def results(job_id: int) -> list[tuple[XeroCopy, str]]:
    """Each invoice's outcome in the job with the invoice's number, in the order sent."""
    return list(db.session.execute(select(XeroCopy, Invoice.number).join(
        Invoice, Invoice.id == XeroCopy.invoice_id).where(XeroCopy.job_id == job_id).order_by(XeroCopy.id)).all())


def recent_jobs(limit: int = 5) -> list[Progress]:
    """The newest confirmed jobs with their progress (the Xero card lists them)."""
    ids = db.session.scalars(select(XeroCopyJob.id).where(XeroCopyJob.state != "draft")
                             .order_by(XeroCopyJob.id.desc()).limit(limit))
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
    ready = readiness()
    if not ready.ready:
        return not_ready_message(ready)
    if ready.tenant_id != job.tenant_id:
        return ("Another Xero organisation is connected now than when this copy started: "
                "the invoices left were not copied.")
    return None


def _end(job_id: int, state: str, error: str | None) -> None:
    db.session.rollback()
    job = db.session.get(XeroCopyJob, job_id)
    job.state, job.error = state, error
    if state in ("done", "stopped"):
        job.finished_at = utcnow()
    db.session.commit()


class _Run:
    """One run of one job: recover what a previous run left, link contacts, send, add notes."""

    def __init__(self, job: XeroCopyJob, client: XeroClient, held: HeldLease):
        self.job_id, self.job_key, self.tenant_id = job.id, job.key, job.tenant_id
        self.user_id, self.link_template = job.created_by_id, job.link_template
        self.invoice_ids = list(job.invoice_ids)
        self.client, self.held = client, held
        self.ready = readiness()
        settings = self.ready.settings
        status = job.status if settings.initial_status == copy_options.MANUAL else settings.initial_status
        self.base = copy_options.choices(settings, contact_id="", tax_type="",
                                         tax_rate=Decimal("0"), status=status or "DRAFT")
        self.contact_problems: dict[int, str] = {}
        self.batches = Batches(self)

    def work(self) -> None:
        self.batches.recover()
        self.link_contacts()
        while True:
            chunk = self.next_chunk()
            if not chunk:
                break
            if not self.held.renew():
                raise LeaseLost()
            creates, updates = self.prepare(chunk)
            if creates:
                self.batches.send_creates(creates)
            if updates:
                self.batches.send_updates(updates)
        self.add_notes()
        self.add_files()

    def next_chunk(self) -> list[int]:
        """The next (up to) 50 invoices of the job that have no row yet."""
        seen = set(db.session.scalars(select(XeroCopy.invoice_id).where(XeroCopy.job_id == self.job_id)))
        db.session.commit()
        return [i for i in self.invoice_ids if i not in seen][:bulk_plan.BATCH_SIZE]

    def choices(self, item, contact_id: str, url: str | None) -> mapping.CopyChoices:
        return replace(self.base, contact_id=contact_id, tax_type=item.tax_type,
                       tax_percent=item.tax_percent, url=url,
                       send_number=copy_options.sends_number(item.invoice, self.ready.settings))

    def prepare(self, chunk: list[int]) -> tuple[list[int], list[int]]:
        """Commit a pending row per invoice (failed ones for those that cannot go); their ids."""
        items, blocked = bulk_plan.sort_invoices(chunk, self.tenant_id, self.ready, self.job_id)
        rows, now = [], utcnow()
        for problem in blocked:
            rows.append(self._row(problem.invoice, "create", state="failed", error=problem.reason))
        creates, updates = [], []
        for item in items:
            invoice = item.invoice
            contact_id = invoice.client.xero_contact_id
            if not contact_id:
                reason = self.contact_problems.get(invoice.client_id, "The client has no Xero contact.")
                rows.append(self._row(invoice, item.action, state="failed", error=reason))
                continue
            row = self._row(invoice, item.action, state="pending", xero_id=item.target,
                            xero_contact_id=contact_id, attempted_at=now)
            if item.action == "create":
                url = payloads.attempt_url(self.link_template.format(id=invoice.id), row.attempt_key)
                payload = mapping.invoice_payload(invoice, self.choices(item, contact_id, url))
                row.payload = as_text(payload)
                creates.append(row)
            else:
                updates.append(row)
            row.note_text = copy_options.note_for(invoice.id, self.ready.settings)
            rows.append(row)
        for group in (creates, updates):
            key = batch_key([row.attempt_key for row in group])
            for row in group:
                row.batch_key = key
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in creates], [row.id for row in updates]

    def _row(self, invoice: Invoice, action: str, *, state: str, error: str | None = None, **values) -> XeroCopy:
        row = XeroCopy(invoice_id=invoice.id, tenant_id=self.tenant_id, job_id=self.job_id,
                       attempt_key=item_key(self.job_key, invoice.id), action=action, state=state,
                       created_by_id=self.user_id, **values)
        if error is not None:
            row.error, row.error_kind, row.completed_at = error, "bad_input", utcnow()
        return row

    def link_contacts(self) -> None:
        """Give each client still without a Xero contact one: Xero's by that name, else a new one."""
        seen = set(db.session.scalars(select(XeroCopy.invoice_id).where(XeroCopy.job_id == self.job_id)))
        left = [i for i in self.invoice_ids if i not in seen]
        companies = list(db.session.scalars(select(Company).where(
            Company.xero_contact_id.is_(None), Company.id.in_(
                select(Invoice.client_id).where(Invoice.id.in_(left)))))) if left else []
        for company in companies:
            company_id, payload = company.id, payloads.contact_payload(company)
            db.session.commit()  # no transaction stays open while Xero is called
            try:
                found = self.client.find_contact_by_name(payload["Name"])
                created = found is None
                if created:
                    found = self.client.create_contact(
                        payload, idempotency_key=f"contact-{self.job_key}-{company_id}")
            except XeroValidationError as error:
                self.contact_problems[company_id] = refusal(error, action="contact").message
                activity.record("contact", "error", f"Xero refused the contact {payload['Name']}: {error}",
                                tenant_id=self.tenant_id, user_id=self.user_id, request=payload,
                                response=error.messages)
                db.session.commit()
                continue
            link(company_id, Contact(str(found["ContactID"]), found.get("Name") or payload["Name"]))
            verb = "Created" if created else "Found"
            activity.record("contact", "ok", f"{verb} the Xero contact {found.get('Name')} for a bulk copy.",
                            tenant_id=self.tenant_id, user_id=self.user_id,
                            request=payload if created else None, response=found)
            db.session.commit()

    def add_notes(self) -> None:
        """The History & Notes entries, after every invoice was sent (one call each)."""
        ids = list(db.session.scalars(select(XeroCopy.id).where(
            XeroCopy.job_id == self.job_id, XeroCopy.state == "done",
            XeroCopy.note_text.is_not(None), XeroCopy.note_added_at.is_(None)).order_by(XeroCopy.id)))
        for row_id in ids:
            if not self.held.renew():
                raise LeaseLost()
            documents.add_note(row_id, self.user_id)

    def add_files(self) -> None:
        """The invoices' supporting files, after the notes (one call per file)."""
        rows = db.session.execute(select(XeroCopy.id, XeroCopy.invoice_id, XeroCopy.xero_id).where(
            XeroCopy.job_id == self.job_id, XeroCopy.state == "done").order_by(XeroCopy.id)).all()
        db.session.commit()
        for _, invoice_id, xero_id in rows:
            if not attachments.not_uploaded(Owner(invoice_id=invoice_id), self.tenant_id, xero_id):
                continue
            if not self.held.renew():
                raise LeaseLost()
            attachments.upload_files(Owner(invoice_id=invoice_id), self.tenant_id, xero_id, self.user_id)
