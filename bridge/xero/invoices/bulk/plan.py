"""Bulk Copy to Xero, before anything is sent: the selection (stored in a draft job, never in a
URL), what will happen to each invoice, and the job queued for the background runner.

    job = select_invoices(ids, user_id=1, link_template="https://bridge.example/invoices/{id}")
    plan = plan_job(job.id)         # new copies, updates, what cannot go and why
    queue_job(job.id, status=None)  # the runner (bridge.xero.invoices.bulk.jobs) takes it from here

Everything here reads Bridge's own tables (the reference cache, the mappings, the copies):
no Xero call until the job runs. An invoice whose tracking maps to an option archived in Xero
cannot go (Xero would refuse the line); the copies get the settings' branding theme.
"""
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from bridge.extensions import db
from bridge.xero.settings import reference, tracking
from bridge.models import (
    SENDING_ACTIONS, Invoice, InvoiceLine, TaxRateMapping, XeroCopy, XeroCopyJob, XeroTaxRate,
)
from bridge.xero.invoices import options as copy_options
from bridge.xero.settings.readiness import readiness

# Jobs being worked through (queued, or started and not over).
from bridge.xero.invoices import mapping
from bridge.xero.sending import payloads
from bridge.xero.sending.once import not_ready_message
ACTIVE_STATES = ("queued", "running")
# Xero takes up to 50 invoices in one call (XERO_API_NOTES.md §3.4).
BATCH_SIZE = 50
# The most invoices one job takes; far above a month's invoicing, it bounds the work per job.
MAX_INVOICES = 5000


class BulkRefused(Exception):
    """The selection or the choice cannot be used; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Blocked:
    """An invoice that cannot go, why, and what to open to fix it ("setup" or "invoice")."""

    invoice: Invoice
    reason: str
    fix: str


@dataclass(frozen=True)
class Ready:
    """An invoice that can go: a new copy, or an update of `target` (the last copy's InvoiceID)."""

    invoice: Invoice
    tax_type: str
    tax_percent: Decimal
    target: str | None = None
    # What Xero will book with the mapped tax rate (mapping.preview), when not Bridge's total.
    xero_total: Decimal | None = None

    @property
    def action(self) -> str:
        return "update" if self.target else "create"


@dataclass(frozen=True)
class JobPlan:
    """What the job will do, as the confirmation modal shows it."""

    job: XeroCopyJob
    ready: list[Ready] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
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
    def differing(self) -> list[Ready]:
        """Invoices Xero will book with another total than Bridge's (confirmed before queueing)."""
        return [item for item in self.ready if item.xero_total is not None]


def select_invoices(invoice_ids: list[int], *, user_id: int | None, link_template: str) -> XeroCopyJob:
    """Store a selection as a draft job (BulkRefused when empty, too big, or Xero is not ready)."""
    ready = readiness()
    if not ready.ready:
        raise BulkRefused(not_ready_message(ready))
    ids = list(dict.fromkeys(int(i) for i in invoice_ids))
    if not ids:
        raise BulkRefused("Select at least one invoice.")
    if len(ids) > MAX_INVOICES:
        raise BulkRefused(f"Select at most {MAX_INVOICES:,} invoices at a time.")
    known = set(db.session.scalars(select(Invoice.id).where(Invoice.id.in_(ids))))
    job = XeroCopyJob(key=str(uuid4()), tenant_id=ready.tenant_id, state="draft",
                      invoice_ids=[i for i in ids if i in known], link_template=link_template,
                      created_by_id=user_id)
    if not job.invoice_ids:
        raise BulkRefused("None of the selected invoices exists any more.")
    db.session.add(job)
    db.session.commit()
    return job


def plan_job(job_id: int) -> JobPlan:
    """Sort the job's invoices into new copies, updates and those that cannot go (LookupError if none)."""
    job = db.session.get(XeroCopyJob, job_id)
    if job is None:
        raise LookupError(f"No copy job {job_id}.")
    ready = readiness()
    plan = JobPlan(job=job, manual_status=ready.settings is not None
                   and ready.settings.initial_status == copy_options.MANUAL)
    items, blocked = sort_invoices(job.invoice_ids, job.tenant_id, ready, job.id)
    plan.ready.extend(items)
    plan.blocked.extend(blocked)
    unlinked = {item.invoice.client_id: item.invoice.client.name for item in items
                if not item.invoice.client.xero_contact_id}
    plan.new_contacts.extend(sorted(unlinked.values()))
    return plan


def queue_job(job_id: int, status: str | None, accept_differences: bool = False) -> JobPlan:
    """Confirm a draft: keep the invoices that can go, fix the status, and queue it for the runner."""
    plan = plan_job(job_id)
    job = plan.job
    if job.state != "draft":
        return plan  # confirmed already (a double click): the job runs once
    if plan.differing and not accept_differences:
        raise BulkRefused(f"Xero will book another total than Bridge's for {len(plan.differing)} of these "
                          "invoices (listed above): tick the box to copy them with Xero's totals, or fix "
                          "their tax rate mapping first.")
    if plan.manual_status:
        if status not in payloads.COPY_STATUSES:
            raise BulkRefused("Choose the status the invoices get in Xero.")
        job.status = status
    if not plan.ready:
        raise BulkRefused("None of the selected invoices can be copied: fix the ones listed first.")
    job.invoice_ids = [item.invoice.id for item in plan.ready]
    job.state = "queued"
    db.session.commit()
    return plan


def sort_invoices(ids: list[int], tenant_id: str, ready, job_id: int | None = None) -> tuple[list[Ready], list[Blocked]]:
    """The invoices (in the order given) that can go, and those that cannot with the reason.

    An invoice another unfinished job has still to copy cannot go: it would be copied twice.
    """
    invoices = _invoices(ids)
    busy = copying_invoice_ids(ids, except_job=job_id)
    targets = _last_copies(ids, tenant_id)
    tax_types = dict(db.session.execute(select(TaxRateMapping.tax_rate_id, TaxRateMapping.xero_tax_type)).all())
    rates = {row.tax_type: row for row in db.session.scalars(
        select(XeroTaxRate).where(XeroTaxRate.tenant_id == tenant_id))}
    # Only the accounts matter here; the run makes each invoice's full choices.
    accounts = copy_options.choices(ready.settings, contact_id="", tax_type="", tax_rate=Decimal("0"),
                                    status="DRAFT")
    account_problems: dict[str, str | None] = {}
    currency_problems: dict[str, str | None] = {}
    # The settings' theme goes on every copy: gone from Xero, none can go.
    theme_problem = tracking.theme_problem(tenant_id, accounts.branding_theme_id)
    items, blocked = [], []
    for invoice in invoices:
        if invoice.voided:
            blocked.append(Blocked(invoice, "Voided: a voided invoice is not copied to Xero.", "invoice"))
            continue
        if invoice.id in busy:
            blocked.append(Blocked(invoice, "Another bulk copy is sending this invoice now: wait for "
                                   "it to finish.", "invoice"))
            continue
        if invoice.currency not in currency_problems:
            currency_problems[invoice.currency] = reference.currency_problem(tenant_id, invoice.currency)
        problem, tax_type, rate = currency_problems[invoice.currency], None, None
        if problem is None:
            problem, tax_type, rate = _tax(invoice, tax_types, rates)
        if problem is None:
            problem = _account_problem(invoice, accounts, account_problems, tenant_id)
        if problem is None:
            problem = theme_problem or mapping.tracking_refusal(invoice, accounts)
        if problem is not None:
            blocked.append(Blocked(invoice, problem, "setup"))
        else:
            found = mapping.preview(invoice, replace(accounts, tax_type=tax_type, tax_percent=rate))
            items.append(Ready(invoice, tax_type, rate, targets.get(invoice.id),
                               found.totals.total if found.differs else None))
    return items, blocked


def copying_invoice_ids(invoice_ids: list[int], except_job: int | None = None) -> set[int]:
    """Of these invoices, those an unfinished job has not given an outcome yet ("copying…")."""
    wanted, copying = set(invoice_ids), set()
    for job_id, ids in db.session.execute(select(XeroCopyJob.id, XeroCopyJob.invoice_ids).where(
            XeroCopyJob.state.in_(ACTIVE_STATES), XeroCopyJob.id != (except_job or 0))).all():
        mine = wanted.intersection(ids)
        if mine:
            over = set(db.session.scalars(select(XeroCopy.invoice_id).where(
                XeroCopy.job_id == job_id, XeroCopy.state.in_(("done", "failed")))))
            copying |= mine - over
    return copying


def _invoices(ids: list[int]) -> list[Invoice]:
    """The invoices in the order selected, with client and lines, in a few queries."""
    found = {invoice.id: invoice for invoice in db.session.scalars(
        select(Invoice).where(Invoice.id.in_(ids))
        .options(joinedload(Invoice.client), selectinload(Invoice.custom_values),
                 selectinload(Invoice.lines).joinedload(InvoiceLine.tax_rate),
                 selectinload(Invoice.lines).joinedload(InvoiceLine.service_type)))}
    return [found[i] for i in ids if i in found]


def _last_copies(ids: list[int], tenant_id: str) -> dict[int, str]:
    """{invoice id: InvoiceID of its newest successful copy in this organisation}."""
    rows = db.session.execute(select(XeroCopy.invoice_id, XeroCopy.xero_id).where(
        XeroCopy.invoice_id.in_(ids), XeroCopy.state == "done", XeroCopy.tenant_id == tenant_id,
        XeroCopy.action.in_(SENDING_ACTIONS))
        .order_by(XeroCopy.completed_at, XeroCopy.id)).all()
    return {invoice_id: xero_id for invoice_id, xero_id in rows}


def _tax(invoice: Invoice, tax_types: dict, rates: dict) -> tuple[str | None, str | None, Decimal | None]:
    """(problem, Xero tax type, its percentage) from the mapping of the invoice's main tax rate."""
    counts = Counter(line.tax_rate_id for line in invoice.lines if line.tax_rate_id)
    tax_type = tax_types.get(counts.most_common(1)[0][0]) if counts else None
    if tax_type is None:
        used = sorted({line.tax_rate.name for line in invoice.lines if line.tax_rate})
        what = f"tax rate {used[0]}" if used else "lines without a tax rate"
        return f"No Xero tax rate is mapped to the {what}.", None, None
    rate = rates.get(tax_type)
    if rate is None or rate.status != reference.ACTIVE or not rate.can_apply_to_revenue:
        return f"The mapped Xero tax rate {tax_type} cannot be used on sales any more.", None, None
    return None, tax_type, rate.effective_rate if rate.effective_rate is not None else Decimal("0")


def _account_problem(invoice: Invoice, accounts: mapping.CopyChoices, seen: dict, tenant_id: str) -> str | None:
    """Why one of the invoice's revenue accounts cannot be used, from the cached chart."""
    for line in invoice.lines:
        code = mapping.account_for(line.service_type_id, accounts)
        if not code:
            return "No revenue account for a service type on this invoice."
        if code not in seen:
            problem = reference.account_problem(tenant_id, code, "REVENUE")
            seen[code] = problem[1] if problem else None
        if seen[code]:
            return seen[code]
    return None
