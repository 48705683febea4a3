"""The bulk copy of credit notes against Xero-shaped answers (`responses`): the batch's PUT
/CreditNotes answered element by element (one OK, one refused with Xero's ValidationErrors),
a batch whose answer was lost found again by Reference (GET /CreditNotes) and not sent again,
and the allocation (PUT /CreditNotes/{id}/Allocations) after an approved copy. Everything else
(the invoices' copies, the reference data) goes to the in-repo sandbox."""
import json
import re
from uuid import uuid4

import requests
import responses
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import CreditNote, XeroActivity, XeroCopy
from bridge.xero.bulk.jobs import run_job
from tests.copy.bulk import bulk_sleeps  # noqa: F401  (fixture)
from tests.credit_notes.test_bulk import approved_notes, job_rows, queued
from tests.xero.payloads import envelope

DATE = "/Date(1773014400000+0000)/"


def credit_note(payload: dict, *, status: str = "AUTHORISED", **extra) -> dict:
    """Xero's CreditNote for a payload Bridge sent (spec schema CreditNote)."""
    body = {
        "Type": "ACCRECCREDIT", "CreditNoteID": str(uuid4()), "CreditNoteNumber": payload.get("CreditNoteNumber"),
        "Reference": payload["Reference"], "Contact": {"ContactID": payload["Contact"]["ContactID"],
                                                       "Name": "Northwind Studio"},
        "Date": DATE, "DateString": "2026-03-09T00:00:00", "Status": status, "LineAmountTypes": "Exclusive",
        "LineItems": [{**item, "LineItemID": str(uuid4()), "LineAmount": 45.50, "TaxAmount": 6.83}
                      for item in payload["LineItems"]],
        "SubTotal": 45.50, "TotalTax": 6.83, "Total": 52.33, "RemainingCredit": 52.33,
        "CurrencyCode": "NZD", "CurrencyRate": 1.0, "UpdatedDateUTC": DATE, "Allocations": [],
        "HasErrors": False, "StatusAttributeString": "OK",
    }
    body.update(extra)
    return body


def refused(payload: dict, message: str) -> dict:
    return {**credit_note(payload), "CreditNoteID": "00000000-0000-0000-0000-000000000000",
            "HasErrors": True, "StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": message}]}


def allocation(request) -> tuple[int, dict, str]:
    sent = json.loads(request.body)["Allocations"][0]
    credit_id = request.url.split("/CreditNotes/")[1].split("/")[0]
    answer = {"AllocationID": str(uuid4()), "Amount": sent["Amount"], "Date": DATE,
              "Invoice": sent["Invoice"], "CreditNote": {"CreditNoteID": credit_id}, "StatusAttributeString": "OK"}
    return 200, {}, json.dumps(envelope("Allocations", [answer]))


def mock(app):
    api = app.config["XERO_API_URL"]
    mocked = responses.RequestsMock(assert_all_requests_are_fired=False)
    mocked.add_passthru(re.compile(r"^(?!" + re.escape(api) + r"/CreditNotes).*"))
    allocations = re.compile(re.escape(api) + r"/CreditNotes/[0-9a-f-]{36}/Allocations$")
    mocked.add_callback(responses.PUT, allocations, callback=allocation)
    return mocked, api


def test_one_element_refused_the_other_copied_and_applied(connected, admin, workspace, invoice, app, users):
    notes = approved_notes(admin, workspace, invoice, 2)
    job_id = queued(notes, users["admin"].id)
    mocked, api = mock(app)

    def batch(request):
        sent = json.loads(request.body)["CreditNotes"]
        assert request.url.endswith("summarizeErrors=false") and len(sent) == 2
        return 200, {}, json.dumps(envelope("CreditNotes", [
            credit_note(sent[0]), refused(sent[1], "The contact is archived.")]))

    with mocked:
        mocked.add_callback(responses.PUT, f"{api}/CreditNotes", callback=batch)
        progress = run_job(job_id)
        puts = [c.request for c in mocked.calls if c.request.method == "PUT"]

    assert (progress.done, progress.failed) == (1, 1)
    assert [p.url.split("/2.0")[1].split("?")[0].rsplit("/", 1)[-1] for p in puts] == ["CreditNotes", "Allocations"]
    rows = {row.credit_note_id: row for row in job_rows(job_id)}
    assert rows[notes[1].id].messages == ["The contact is archived."]
    assert rows[notes[1].id].state == "failed" and rows[notes[0].id].state == "done"
    db.session.expire_all()
    applied = db.session.get(CreditNote, notes[0].id)
    assert (applied.allocation_state, applied.xero_number) == ("done", notes[0].number)
    assert db.session.get(CreditNote, notes[1].id).allocation_state == "none"
    logged = [(a.operation, a.outcome, a.credit_note_id) for a in db.session.scalars(
        select(XeroActivity).where(XeroActivity.credit_note_id.is_not(None)).order_by(XeroActivity.id))]
    assert ("copy", "ok", notes[0].id) in logged and ("copy", "error", notes[1].id) in logged
    assert ("allocate", "ok", notes[0].id) in logged


def test_a_lost_answer_is_found_by_reference_and_not_sent_again(connected, admin, workspace, invoice, app, users,
                                                                bulk_sleeps):
    notes = approved_notes(admin, workspace, invoice, 2)
    job_id = queued(notes, users["admin"].id)
    mocked, api = mock(app)
    kept = {}

    def lost(request):
        kept["sent"] = json.loads(request.body)["CreditNotes"]
        kept["key"] = request.headers["Idempotency-Key"]
        raise requests.ConnectionError("connection reset after sending")

    with mocked:
        mocked.add_callback(responses.PUT, f"{api}/CreditNotes", callback=lost)
        paused = run_job(job_id)
    assert paused.state == "running" and paused.finished == 0
    assert [row.state for row in job_rows(job_id)] == ["unknown"] * 2

    # Xero had taken both: they are among the credit notes changed since, by Reference.
    found = [credit_note(sent) for sent in kept["sent"]]
    mocked, api = mock(app)
    with mocked:
        mocked.add(responses.GET, re.compile(re.escape(api) + r"/CreditNotes\?.*"),
                   json=envelope("CreditNotes", [credit_note(kept["sent"][0], Reference="someone else's"), *found],
                                 page=1))
        progress = run_job(job_id)
        methods = [(c.request.method, c.request.url.split("?")[0].rsplit("/", 1)[-1]) for c in mocked.calls]

    assert (progress.state, progress.done, progress.failed) == ("done", 2, 0)
    assert ("PUT", "CreditNotes") not in methods  # not sent again
    assert methods.count(("PUT", "Allocations")) == 2
    rows = job_rows(job_id)
    assert [row.xero_id for row in rows] == [n["CreditNoteID"] for n in found]
    db.session.expire_all()
    assert [db.session.get(CreditNote, n.id).allocation_state for n in notes] == ["done", "done"]
    assert db.session.scalar(select(XeroActivity).where(
        XeroActivity.summary.contains("found after an interrupted bulk copy"))) is not None
    assert len(db.session.scalars(select(XeroCopy).where(XeroCopy.job_id == job_id)).all()) == 2
