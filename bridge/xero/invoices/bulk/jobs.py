"""Bulk Copy to Xero of invoices, the background work: bridge.xero.bulk.jobs runs every kind's
jobs; importing this module makes sure the invoice kind is registered."""
from bridge.xero.bulk.jobs import (  # noqa: F401  (the invoice bulk copy's API)
    LEASE_PREFIX, LeaseLost, Progress, XeroClient, item_key, progress, recent_jobs, results, run_job,
    unfinished_jobs,
)
from bridge.xero.invoices.bulk import kind  # noqa: F401  (registers the invoice kind)
