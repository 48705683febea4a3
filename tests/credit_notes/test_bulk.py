"""Bulk Copy to Xero of credit notes against the sandbox over real HTTP, through the same
machinery as invoices (bridge.xero.bulk): ticked on the list of credit notes, one PUT
/CreditNotes for the batch, then each approved note applied to its invoice's live copy; a note
whose invoice is not in Xero cannot go; a worker that dies after sending is resumed without
a duplicate (the lost batch is found by Reference); a 429 sends the batch again."""
from datetime import timedelta

import pytest
from requests.adapters import HTTPAdapter
from sqlalchemy import select, update

from bridge.extensions import db
from bridge.models import CreditNote, Invoice, Lease, XeroActivity, XeroCopy, XeroCopyJob, utcnow
from bridge.xero.bulk import plan as bulk_plan
from bridge.xero.bulk.jobs import run_job
from bridge.xero.api.client import XeroClient
from bridge.xero.sending.attempt import as_text, stored_payload
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.bulk import bulk_sleeps  # noqa: F401  (fixture)
from tests.copy.conftest import make_invoice, recorded
from tests.credit_notes.conftest import configure, copy_invoice_approved, credit_lines, text

pytestmark = pytest.mark.usefixtures("bulk_sleeps")
LINK = "http://bridge.test/credit-notes/{id}"


class WorkerDied(BaseException):
    """The process stopped dead (not an error any code would catch)."""


def newest_job() -> XeroCopyJob:
    db.session.expire_all()
    return db.session.scalar(select(XeroCopyJob).order_by(XeroCopyJob.id.desc()).limit(1))


def job_rows(job_id: int) -> list[XeroCopy]:
    db.session.expire_all()
    return list(db.session.scalars(select(XeroCopy).where(XeroCopy.job_id == job_id).order_by(XeroCopy.id)))


def sandbox_credit_notes() -> list[dict]:
    """The credit notes Bridge made in the sandbox (their Reference carries Bridge's number)."""
    with XeroClient(NZ_TENANT) as client:
        return [n for n in client.get_credit_notes(where='Type=="ACCRECCREDIT"')
                if "CN-" in (n.get("Reference") or "")]


def approved_notes(admin, workspace, invoice, count: int) -> list[CreditNote]:
    """`count` invoices copied Approved, each with a credit note of its second line (NZ$52.33)."""
    invoices = [invoice] + [make_invoice(workspace) for _ in range(count - 1)]
    for each in invoices:
        copy_invoice_approved(admin, each)
    return [credit_lines(each, 1) for each in invoices]


def queued(notes, user_id=None, status=None) -> int:
    job = bulk_plan.select_documents("credit_note", [n.id for n in notes], user_id=user_id, link_template=LINK)
    bulk_plan.queue_job(job.id, status)
    db.session.expire_all()
    return job.id


def test_ticked_credit_notes_are_copied_in_one_call_then_applied(connected, admin, workspace, invoice, sandbox, hx):
    notes = approved_notes(admin, workspace, invoice, 2)
    not_copied = make_invoice(workspace)
    blocked = credit_lines(not_copied, 1)
    page = admin.get("/credit-notes").get_data(as_text=True)
    assert page.count('name="credit_note_ids"') == 3 and 'form="bulk-copy-notes"' in page
    assert 'aria-current="page">Credit notes' in page

    modal = admin.post("/credit-notes/xero/bulk", headers=hx,
                       data={"credit_note_ids": [str(n.id) for n in (*notes, blocked)]})
    assert modal.status_code == 200, text(modal)
    assert "3 credit notes selected" in text(modal)
    assert "2 new copies in Xero" in text(modal) and "1 cannot be copied" in text(modal)
    assert f"Copy invoice {not_copied.number} to Xero first" in text(modal)
    assert "Copy 2 credit notes to Xero" in text(modal)
    job = newest_job()
    assert (job.kind, job.state, job.document_ids) == ("credit_note", "draft", [n.id for n in (*notes, blocked)])

    started = admin.post(f"/invoices/xero/jobs/{job.id}/start", headers=hx)
    assert started.status_code == 200 and "0 of 2" in text(started)
    assert admin.get("/credit-notes").get_data(as_text=True).count("copying…") == 2
    progress = run_job(job.id)

    assert (progress.state, progress.total, progress.done, progress.failed) == ("done", 2, 2, 0)
    assert len(recorded(sandbox, "PUT", "/CreditNotes")) == 1  # both notes in one call
    rows = job_rows(job.id)
    assert all(len(recorded(sandbox, "PUT", f"/CreditNotes/{row.xero_id}/Allocations")) == 1 for row in rows)
    in_xero = sandbox_credit_notes()
    assert sorted(n["CreditNoteNumber"] for n in in_xero) == ["CN-2026-0001", "CN-2026-0002"]
    assert all(n["Status"] == "PAID" for n in in_xero)  # all their credit applied
    db.session.expire_all()
    for note in notes:
        note = db.session.get(CreditNote, note.id)
        assert note.allocation_state == "done" and str(note.xero_allocated) == "52.33"
        assert str(db.session.get(Invoice, note.invoice_id).amount_credited) == "52.33"
        assert [a.operation for a in db.session.scalars(select(XeroActivity).where(
            XeroActivity.credit_note_id == note.id).order_by(XeroActivity.id))] == ["copy", "allocate"]

    final = admin.get(f"/invoices/xero/jobs/{job.id}", headers=hx)
    assert "2 copied" in text(final) and text(final).count("Applied") == 2
    assert "/credit-notes/" in final.get_data(as_text=True)
    listing = admin.get("/credit-notes").get_data(as_text=True)
    assert "copying…" not in listing and listing.count(">Applied<") == 2


def test_a_copied_note_is_updated_and_keeps_its_number(connected, admin, workspace, invoice, sandbox, users):
    configure(initial_status="DRAFT")
    [note] = approved_notes(admin, workspace, invoice, 1)
    configure(initial_status="DRAFT")
    run_job(queued([note], users["admin"].id))
    first = job_rows(newest_job().id)[0]
    note = db.session.get(CreditNote, note.id)
    note.reason = "Hosting refunded"
    note.lines[0].description = "Hosting, March (refunded)"
    db.session.commit()

    job_id = queued([note], users["admin"].id)
    assert bulk_plan.plan_job(job_id).updates == 1
    progress = run_job(job_id)

    assert (progress.done, progress.failed) == (1, 0)
    row = job_rows(job_id)[0]
    assert (row.action, row.xero_id) == ("update", first.xero_id)
    assert len(recorded(sandbox, "POST", "/CreditNotes")) == 1
    [copied] = sandbox_credit_notes()
    assert copied["LineItems"][0]["Description"] == "Hosting, March (refunded)"
    assert copied["Status"] == "DRAFT"


def test_a_worker_that_dies_after_sending_is_resumed_without_duplicates(
        connected, admin, workspace, invoice, sandbox, users, monkeypatch):
    notes = approved_notes(admin, workspace, invoice, 2)
    job_id = queued(notes, users["admin"].id)
    real_send = HTTPAdapter.send

    def send_then_die(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if request.method == "PUT" and "/CreditNotes?" in request.url:
            raise WorkerDied()  # Xero has the batch; Bridge never records the answer
        return response

    with monkeypatch.context() as patch:
        patch.setattr(HTTPAdapter, "send", send_then_die)
        patch.setattr("bridge.xero.sync.lease.release", lambda *args, **kwargs: False)
        with pytest.raises(WorkerDied):
            run_job(job_id, holder="worker-1")
    db.session.rollback()
    assert len(sandbox_credit_notes()) == 2
    assert [row.state for row in job_rows(job_id)] == ["pending"] * 2
    db.session.execute(update(Lease).where(Lease.name == f"xero-copy-job:{job_id}")
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    progress = run_job(job_id, holder="worker-2")

    assert (progress.state, progress.done, progress.failed) == ("done", 2, 0)
    assert len(sandbox_credit_notes()) == 2  # found by Reference, not sent again
    assert len(recorded(sandbox, "PUT", "/CreditNotes")) == 1
    assert db.session.scalar(select(XeroActivity).where(XeroActivity.summary.contains(
        "found after an interrupted bulk copy"), XeroActivity.credit_note_id == notes[0].id)) is not None
    db.session.expire_all()
    assert [db.session.get(CreditNote, n.id).allocation_state for n in notes] == ["done", "done"]


def test_a_429_sends_the_batch_again_and_loses_nothing(connected, admin, workspace, invoice, sandbox, users,
                                                      bulk_sleeps):
    notes = approved_notes(admin, workspace, invoice, 2)
    job_id = queued(notes, users["admin"].id)
    sandbox.control("faults", kind="429", count=5, method="PUT", path_prefix="/api.xro/2.0/CreditNotes",
                    retry_after=2)

    paused = run_job(job_id)
    assert paused.state == "running" and "Paused" in paused.error and paused.finished == 0
    assert [row.attempted_at for row in job_rows(job_id)] == [None] * 2  # certainly not sent
    progress = run_job(job_id)

    assert (progress.state, progress.done, progress.failed) == ("done", 2, 0)
    assert len(sandbox_credit_notes()) == 2
    assert bulk_sleeps.count(2) >= 4


def test_a_refused_note_keeps_xeros_words_and_the_others_go(connected, admin, workspace, invoice, sandbox, users):
    notes = approved_notes(admin, workspace, invoice, 2)
    # The second invoice was copied with an account Xero no longer has: its note takes it.
    invoice_copy = db.session.scalar(select(XeroCopy).where(
        XeroCopy.invoice_id == notes[1].invoice_id, XeroCopy.state == "done"))
    sent = stored_payload(invoice_copy.payload)
    for item in sent["LineItems"]:
        item["AccountCode"] = "299"
    invoice_copy.payload = as_text(sent)
    db.session.commit()

    progress = run_job(queued(notes, users["admin"].id))

    assert (progress.done, progress.failed) == (1, 1)
    assert len(recorded(sandbox, "PUT", "/CreditNotes")) == 1
    rows = {row.credit_note_id: row for row in job_rows(progress.job_id)}
    assert rows[notes[0].id].state == "done"
    assert rows[notes[1].id].state == "failed"
    assert rows[notes[1].id].messages == ["Account code '299' is not a valid code for this document."]
    db.session.expire_all()
    assert db.session.get(CreditNote, notes[0].id).allocation_state == "done"
    assert db.session.get(CreditNote, notes[1].id).allocation_state == "none"  # nothing to apply
    assert db.session.scalar(select(XeroActivity).where(
        XeroActivity.credit_note_id == notes[1].id, XeroActivity.outcome == "error")) is not None


def test_xeros_pdfs_are_kept_after_the_batches_when_xero_makes_them(connected, admin, workspace, invoice, sandbox,
                                                                   users):
    notes = approved_notes(admin, workspace, invoice, 2)
    configure(initial_status="AUTHORISED", pdfs_by="xero")
    progress = run_job(queued(notes, users["admin"].id))

    assert (progress.done, progress.failed) == (2, 0)
    rows = job_rows(progress.job_id)
    assert all(row.pdf and row.pdf.startswith(b"%PDF") for row in rows)
    assert all(len(recorded(sandbox, "GET", f"/CreditNotes/{row.xero_id}")) == 1 for row in rows)
    download = admin.get(f"/credit-notes/{notes[0].id}/pdf")
    assert download.status_code == 200 and download.data == rows[0].pdf  # Xero's, not Bridge's
