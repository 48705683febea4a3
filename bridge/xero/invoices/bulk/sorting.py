"""Which invoices of a bulk copy can go, and why the others cannot (the invoice kind's `sort`,
bridge.xero.invoices.bulk.kind).

Everything here reads Bridge's own tables (the reference cache, the mappings, the copies):
no Xero call until the job runs. An invoice whose tracking maps to an option archived in Xero
cannot go (Xero would refuse the line); the copies get the settings' branding theme.
"""
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from bridge.extensions import db
from bridge.xero.settings import reference, tracking
from bridge.models import SENDING_ACTIONS, Invoice, InvoiceLine, TaxRateMapping, XeroCopy, XeroTaxRate
from bridge.xero.bulk import plan as bulk_plan
from bridge.xero.bulk.kinds import kind_of
from bridge.xero.invoices import options as copy_options
from bridge.xero.invoices import mapping


@dataclass(frozen=True)
class Blocked:
    """An invoice that cannot go, why, and what to open to fix it ("setup" or "invoice")."""

    invoice: Invoice
    reason: str
    fix: str

    @property
    def document(self) -> Invoice:
        return self.invoice


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

    @property
    def document(self) -> Invoice:
        return self.invoice


def sort_invoices(ids: list[int], tenant_id: str, ready, job_id: int | None = None) -> tuple[list[Ready], list[Blocked]]:
    """The invoices (in the order given) that can go, and those that cannot with the reason.

    An invoice another unfinished job has still to copy cannot go: it would be copied twice.
    """
    invoices = _invoices(ids)
    busy = copying_invoice_ids(ids, except_job=job_id)
    targets = _last_copies(ids, tenant_id)
    tax_types = dict(db.session.execute(select(TaxRateMapping.tax_rate_id, TaxRateMapping.xero_tax_type).where(
        TaxRateMapping.entity_id == ready.entity_id)).all())
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
    return bulk_plan.copying_ids(kind_of("invoice"), invoice_ids, except_job)


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
