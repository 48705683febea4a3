"""The bulk copy of credit notes keeps to Xero's official OpenAPI file: the PUT /CreditNotes of
the batch (summarizeErrors=false), the POST /CreditNotes of updates, the lookup of updated notes
and the allocations after, requests and answers, including an answer with a refused element."""
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroCopy
from bridge.xero.bulk import plan as bulk_plan
from bridge.xero.bulk.jobs import run_job
from bridge.xero.sending.attempt import as_text, stored_payload
from tests import xero_spec
from tests.copy.bulk import bulk_sleeps  # noqa: F401  (fixture)
from tests.credit_notes.test_bulk import approved_notes, queued
from tests.sandbox.contract import Contract
from tests.xero import contract
from tests.copy.test_bulk_contract import exchanges  # noqa: F401  (fixture)


def test_batch_update_and_allocation_calls_keep_the_contract(connected, admin, workspace, invoice, app, exchanges,
                                                             users, bulk_sleeps):
    xero_spec.require()
    notes = approved_notes(admin, workspace, invoice, 3)
    run_job(queued(notes[:1], users["admin"].id))  # copied once: the next job updates it
    refused = db.session.scalar(select(XeroCopy).where(
        XeroCopy.invoice_id == notes[2].invoice_id, XeroCopy.state == "done"))
    sent = stored_payload(refused.payload)
    sent["LineItems"][1]["AccountCode"] = "299"  # an account Xero does not have
    refused.payload = as_text(sent)
    db.session.commit()
    exchanges.clear()

    job_id = queued(notes, users["admin"].id)
    assert bulk_plan.plan_job(job_id).updates == 1
    progress = run_job(job_id)
    assert (progress.done, progress.failed) == (2, 1)

    calls = [(req, res) for req, res in exchanges if "/api.xro/2.0/CreditNotes" in req.url]
    spec = Contract()
    for request, response in calls:
        assert contract.problems(request, app.config) == []
        if request.method in ("PUT", "POST") and urlsplit(request.url).path.endswith("/CreditNotes"):
            assert "summarizeErrors=false" in request.url and request.headers["Idempotency-Key"]
        url = urlsplit(request.url)
        spec.check(request.method, url.path, dict(parse_qsl(url.query)), dict(request.headers), request.body,
                   response.status_code, response.headers["Content-Type"], response.content,
                   validate_request=False)
    assert sorted(c if "Allocations" not in c else "PUT /Allocations 200" for c in spec.checked) == [
        "GET /api.xro/2.0/CreditNotes 200", "POST /api.xro/2.0/CreditNotes 200", "PUT /Allocations 200",
        "PUT /api.xro/2.0/CreditNotes 200"]  # one allocation: the updated note was applied before
    methods = sorted({(req.method, "Allocations" if req.url.split("?")[0].endswith("/Allocations") else "CreditNotes")
                      for req, _ in calls})
    assert methods == [("GET", "CreditNotes"), ("POST", "CreditNotes"), ("PUT", "Allocations"), ("PUT", "CreditNotes")]
    put_answer = next(res for req, res in calls if req.method == "PUT" and req.url.split("?")[0].endswith(
        "/CreditNotes")).json()["CreditNotes"]
    assert [e["StatusAttributeString"] for e in put_answer] == ["OK", "ERROR"]
    db.session.rollback()
