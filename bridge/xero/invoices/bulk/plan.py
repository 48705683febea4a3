"""Bulk Copy to Xero of invoices, before anything is sent: the invoice kind's face of
bridge.xero.bulk.plan (the selection, the plan, the job queued for the runner).

    job = select_invoices(ids, user_id=1, link_template="https://bridge.example/invoices/{id}")
    plan = plan_job(job.id)         # new copies, updates, what cannot go and why
    queue_job(job.id, status=None)  # the runner (bridge.xero.bulk.jobs) takes it from here
"""
from bridge.models import XeroCopyJob
from bridge.xero.bulk.plan import (  # noqa: F401  (the invoice bulk copy's API)
    ACTIVE_STATES, BATCH_SIZE, BulkRefused, JobPlan, plan_job, queue_job, select_documents,
)
from bridge.xero.bulk.plan import MAX_DOCUMENTS as MAX_INVOICES  # noqa: F401
from bridge.xero.invoices.bulk.kind import INVOICES
from bridge.xero.invoices.bulk.sorting import Blocked, Ready, copying_invoice_ids, sort_invoices  # noqa: F401


def select_invoices(invoice_ids: list[int], *, user_id: int | None, link_template: str) -> XeroCopyJob:
    """Store a selection of invoices as a draft job (BulkRefused when empty, too big, or Xero is not ready)."""
    return select_documents(INVOICES.name, invoice_ids, user_id=user_id, link_template=link_template)
