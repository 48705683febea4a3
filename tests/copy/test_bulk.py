"""Bulk Copy to Xero against the sandbox over real HTTP: batches of 50 with Xero's answer per
invoice, a worker that dies between sending and recording, a 429 storm, updates and notes."""
from datetime import timedelta
from decimal import Decimal

import pytest
from requests.adapters import HTTPAdapter
from sqlalchemy import select, update

from bridge.extensions import db
from bridge.billing.service import LineData
from bridge.models import (
    Company, Invoice, Lease, ServiceType, ServiceTypeAccount, TaxRate, XeroAccount, XeroActivity, XeroConnection,
    XeroCopy, XeroCopyJob, utcnow,
)
from bridge.xero.invoices.bulk import jobs as bulk_copy
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.invoices.bulk.jobs import run_job
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.bulk import bulk_sleeps, many_invoices, queued_job  # noqa: F401  (fixture)
from tests.copy.conftest import configure, forget_currencies, give_note, make_invoice, northwind, post_copy, recorded, sandbox_invoices

pytestmark = pytest.mark.usefixtures("bulk_sleeps")


class WorkerDied(BaseException):
    """The process stopped dead (not an error any code would catch)."""


def job_rows(job_id: int) -> list[XeroCopy]:
    db.session.expire_all()
    return list(db.session.scalars(select(XeroCopy).where(XeroCopy.job_id == job_id).order_by(XeroCopy.id)))


def test_120_invoices_with_3_invalid_copy_117_and_keep_xeros_messages(connected, workspace, sandbox, users):
    ids = many_invoices(workspace, 117)
    # A revenue account the cache still offers but Xero does not have (renamed since).
    legacy = db.session.scalar(select(XeroAccount).where(XeroAccount.tenant_id == NZ_TENANT,
                                                         XeroAccount.code == "270"))
    legacy.code = "299"
    old = ServiceType(name="Legacy")
    db.session.add(old)
    db.session.flush()
    db.session.add(ServiceTypeAccount(service_type_id=old.id, revenue_account_code="299"))
    db.session.commit()
    bad_account = make_invoice(workspace, lines=(LineData("Old work", Decimal("1"), Decimal("10.00"),
                                                          service_type_id=old.id, tax_rate_id=workspace["gst"].id),))
    forget_currencies()  # Bridge does not know Xero's currencies: Xero refuses the JPY invoice
    bad_currency = make_invoice(workspace, currency="JPY")
    with XeroClient(NZ_TENANT) as client:
        taken = client.get_invoices(where='Type=="ACCREC"')[0]["InvoiceNumber"]
    duplicate = make_invoice(workspace)
    duplicate.number = taken
    db.session.commit()
    invalid = [bad_account.id, bad_currency.id, duplicate.id]
    job_id = queued_job(ids[:40] + invalid + ids[40:], users["admin"].id)

    progress = run_job(job_id)

    assert (progress.state, progress.total, progress.done, progress.failed) == ("done", 120, 117, 3)
    rows = {row.invoice_id: row for row in job_rows(job_id)}
    assert rows[bad_account.id].messages == ["Account code '299' is not a valid code for this document."]
    assert rows[bad_currency.id].messages == ["Organisation is not subscribed to currency JPY"]
    assert rows[duplicate.id].messages == ["Invoice # must be unique."]
    assert rows[duplicate.id].error_kind == "duplicate_number"
    assert all(rows[i].state == "done" and rows[i].xero_number == db.session.get(Invoice, i).number for i in ids)
    created = sandbox_invoices()
    assert len(created) == 117
    assert {i["InvoiceID"] for i in created} == {rows[i].xero_id for i in ids}
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 3  # 50 + 50 + 20
    # The client had no Xero contact: one was created once, and linked.
    assert len(recorded(sandbox, "PUT", "/Contacts")) == 1
    assert db.session.get(Company, workspace["client"].id).xero_contact_id == created[0]["Contact"]["ContactID"]


def test_a_worker_that_dies_after_sending_a_batch_is_resumed_without_duplicates(
        connected, workspace, sandbox, users, monkeypatch):
    ids = many_invoices(workspace, 60)
    job_id = queued_job(ids, users["admin"].id)
    real_send, puts = HTTPAdapter.send, []

    def send_then_die(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if request.method == "PUT" and "/Invoices?" in request.url:
            puts.append(request)
            raise WorkerDied()  # Xero has the batch; Bridge never records the answer
        return response

    with monkeypatch.context() as patch:
        patch.setattr(HTTPAdapter, "send", send_then_die)
        patch.setattr("bridge.xero.sync.lease.release", lambda *args, **kwargs: False)  # died: no clean hand-over
        with pytest.raises(WorkerDied):
            run_job(job_id, holder="worker-1")
    db.session.rollback()
    assert len(sandbox_invoices()) == 50
    assert [row.state for row in job_rows(job_id)] == ["pending"] * 50

    # Another worker cannot take the job while the dead one's lease lasts...
    assert run_job(job_id, holder="worker-2").finished == 0
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1
    # ...and finishes it once the lease has run out: the 50 are found in Xero, 10 are sent.
    db.session.execute(update(Lease).where(Lease.name == f"xero-copy-job:{job_id}")
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    progress = run_job(job_id, holder="worker-2")

    assert (progress.state, progress.done, progress.failed) == ("done", 60, 0)
    assert len(sandbox_invoices()) == 60
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 2
    found = db.session.scalar(select(XeroActivity).where(XeroActivity.summary.contains("interrupted")))
    assert found is not None
    assert len({row.xero_id for row in job_rows(job_id)}) == 60


def test_a_429_storm_slows_the_job_and_loses_nothing(connected, workspace, sandbox, users, bulk_sleeps):
    ids = many_invoices(workspace, 70)
    job_id = queued_job(ids, users["admin"].id)
    sandbox.control("faults", kind="429", count=5, method="PUT", path_prefix="/api.xro/2.0/Invoices",
                    retry_after=2)

    paused = run_job(job_id)
    assert paused.state == "running" and "Paused" in paused.error and paused.finished == 0
    assert [row.attempted_at for row in job_rows(job_id)] == [None] * 50  # certainly not sent

    progress = run_job(job_id)
    assert (progress.state, progress.done, progress.failed, progress.error) == ("done", 70, 0, None)
    assert bulk_sleeps.count(2) >= 4  # every Retry-After was waited out
    assert len(sandbox_invoices()) == 70
    statuses = [r["status"] for r in recorded(sandbox, "PUT", "/Invoices")]
    assert statuses.count(429) == 5 and statuses.count(200) == 2


def test_copied_invoices_are_updated_and_notes_added_after_the_batches(
        connected, admin, workspace, sandbox, users):
    configure(notes_custom_field_id=workspace["note"].id)
    first, second = make_invoice(workspace), make_invoice(workspace)
    assert post_copy(admin, first, contact=northwind()).status_code == 200
    fresh = many_invoices(workspace, 2)
    give_note(db.session.get(Invoice, fresh[0]), workspace["note"], "Split across two budgets")
    job = bulk_plan.select_invoices([first.id, second.id, *fresh], user_id=users["admin"].id,
                                    link_template="http://bridge.test/invoices/{id}")
    plan = bulk_plan.plan_job(job.id)
    assert (plan.creates, plan.updates) == (3, 1)
    assert plan.new_contacts == []  # the single copy linked the client to Northwind
    bulk_plan.queue_job(job.id, None)

    progress = run_job(job.id)

    assert (progress.done, progress.failed) == (4, 0)
    rows = {row.invoice_id: row for row in job_rows(job.id)}
    assert rows[first.id].action == "update" and rows[first.id].xero_id == db.session.scalar(
        select(XeroCopy.xero_id).where(XeroCopy.invoice_id == first.id, XeroCopy.job_id.is_(None)))
    assert len(recorded(sandbox, "POST", "/Invoices")) == 1
    assert len(sandbox_invoices()) == 4
    assert rows[fresh[0]].note_added_at is not None
    history = recorded(sandbox, "PUT", f"/Invoices/{rows[fresh[0]].xero_id}/History")
    assert len(history) == 1


def test_manual_status_needs_one_choice_for_the_batch(connected, workspace, users):
    configure(initial_status="MANUAL")
    ids = many_invoices(workspace, 2)
    job = bulk_plan.select_invoices(ids, user_id=None, link_template="http://bridge.test/invoices/{id}")
    with pytest.raises(bulk_plan.BulkRefused, match="Choose the status"):
        bulk_plan.queue_job(job.id, None)
    bulk_plan.queue_job(job.id, "AUTHORISED")
    run_job(job.id)
    assert {row.xero_status for row in job_rows(job.id)} == {"AUTHORISED"}


def test_an_invoice_without_a_mapped_tax_rate_cannot_go(connected, workspace, users):
    zero = TaxRate(name="Zero", percentage=Decimal("0"))
    db.session.add(zero)
    db.session.commit()
    unmapped = make_invoice(workspace, lines=(LineData("Export", Decimal("1"), Decimal("5"), tax_rate_id=zero.id),))
    ok = many_invoices(workspace, 1)
    job = bulk_plan.select_invoices([unmapped.id, *ok], user_id=None, link_template="http://x/invoices/{id}")
    plan = bulk_plan.plan_job(job.id)
    assert [(b.invoice.id, b.reason) for b in plan.blocked] == [
        (unmapped.id, "No Xero tax rate is mapped to the tax rate Zero.")]
    bulk_plan.queue_job(job.id, None)
    assert db.session.get(XeroCopyJob, job.id).invoice_ids == ok


def test_a_job_stops_with_a_reason_when_xero_is_disconnected(connected, workspace, users):
    job_id = queued_job(many_invoices(workspace, 2), users["admin"].id)
    db.session.execute(XeroConnection.__table__.delete())
    db.session.commit()
    progress = run_job(job_id)
    assert progress.state == "stopped" and "Xero is not connected" in progress.error
    assert bulk_copy.unfinished_jobs() == []


def test_flask_xero_run_jobs_works_the_waiting_jobs(connected, workspace, users, runner):
    assert "No copy job is waiting." in runner.invoke(args=["xero", "run-jobs"]).output
    job_id = queued_job(many_invoices(workspace, 3), users["admin"].id)
    result = runner.invoke(args=["xero", "run-jobs"])
    assert result.exit_code == 0
    assert f"Copy job {job_id}: done, 3 copied, 0 not copied, 0 to go." in result.output
    assert len(sandbox_invoices()) == 3


def test_an_invoice_another_unfinished_job_is_sending_is_not_copied_twice(connected, workspace, users):
    ids = many_invoices(workspace, 3)
    first = queued_job(ids[:2], users["admin"].id)
    second = bulk_plan.select_invoices(ids[1:], user_id=None, link_template="http://bridge.test/invoices/{id}")
    plan = bulk_plan.plan_job(second.id)
    assert [(b.invoice.id, b.reason) for b in plan.blocked] == [
        (ids[1], "Another bulk copy is sending this invoice now: wait for it to finish.")]
    bulk_plan.queue_job(second.id, None)
    run_job(first)
    run_job(second.id)
    assert len(sandbox_invoices()) == 3
    assert db.session.get(XeroCopyJob, second.id).invoice_ids == [ids[2]]
