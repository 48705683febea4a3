"""Helpers for the bulk copy tests: many invoices at once, a job queued as the modal does it,
and the bulk copy's Xero client made not to sleep (its waits are counted instead)."""
import datetime as dt
import functools
from decimal import Decimal

import pytest

from bridge.extensions import db
from bridge.billing.service import InvoiceData, LineData, create_invoice
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.api.client import XeroClient

LINK = "http://bridge.test/invoices/{id}"


@pytest.fixture
def bulk_sleeps(monkeypatch):
    """The waits (Retry-After, backoff) the bulk copy would have slept, in seconds."""
    sleeps = []
    monkeypatch.setattr("bridge.xero.bulk.jobs.XeroClient", functools.partial(XeroClient, sleep=sleeps.append))
    return sleeps


def many_invoices(workspace, count: int, **header) -> list[int]:
    """`count` one-line invoices (GST 15%, Design -> account 220) of the workspace's client."""
    ids = []
    for n in range(count):
        line = LineData(f"Retainer {n + 1}", Decimal("1"), Decimal("100.00") + n,
                        service_type_id=workspace["design"].id, tax_rate_id=workspace["gst"].id)
        data = InvoiceData(client_id=header.get("client_id", workspace["client"].id),
                           subject=f"Month end {n + 1}", issue_date=dt.date(2026, 3, 31),
                           due_date=dt.date(2026, 4, 30), lines=(line,), currency=header.get("currency"))
        ids.append(create_invoice(data).id)
    return ids


def queued_job(invoice_ids: list[int], user_id: int | None = None, status: str | None = None) -> int:
    """A job for these invoices, confirmed as the modal confirms it."""
    job = bulk_plan.select_invoices(invoice_ids, user_id=user_id, link_template=LINK)
    bulk_plan.queue_job(job.id, status)
    db.session.expire_all()
    return job.id
