"""The bulk copy's batch calls keep to Xero's official OpenAPI files: the PUT /Invoices of new
copies and the POST /Invoices of updates (summarizeErrors=false), requests and answers,
including an answer with a refused element."""
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from bridge.extensions import db
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.invoices.bulk.jobs import run_job
from tests import xero_spec
from tests.copy.bulk import bulk_sleeps, many_invoices, queued_job  # noqa: F401  (fixture)
from tests.copy.conftest import forget_currencies, make_invoice, northwind, post_copy
from tests.sandbox.contract import Contract
from tests.xero import contract


@pytest.fixture
def exchanges(monkeypatch):
    """(request, response) of every call Bridge makes, as sent and as answered."""
    real_send, seen = requests.adapters.HTTPAdapter.send, []

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        seen.append((request, response))
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return seen


def test_batch_requests_and_answers_keep_the_contract(connected, admin, workspace, app, exchanges, users,
                                                      bulk_sleeps):
    xero_spec.require()
    forget_currencies()  # Bridge does not know Xero's currencies: Xero refuses the GBP invoice
    copied = make_invoice(workspace)
    assert post_copy(admin, copied, contact=northwind()).status_code == 200
    ids = [copied.id, *many_invoices(workspace, 2), make_invoice(workspace, currency="JPY").id]
    exchanges.clear()
    job_id = queued_job(ids, users["admin"].id)
    assert bulk_plan.plan_job(job_id).updates == 1
    progress = run_job(job_id)
    assert (progress.done, progress.failed) == (3, 1)

    batches = [(req, res) for req, res in exchanges
               if req.method in ("PUT", "POST") and urlsplit(req.url).path.endswith("/api.xro/2.0/Invoices")]
    assert sorted(req.method for req, _ in batches) == ["POST", "PUT"]
    spec = Contract()
    for request, response in batches:
        assert "summarizeErrors=false" in request.url and request.headers["Idempotency-Key"]
        assert contract.problems(request, app.config) == []
        url = urlsplit(request.url)
        spec.check(request.method, url.path, dict(parse_qsl(url.query)), dict(request.headers), request.body,
                   response.status_code, response.headers["Content-Type"], response.content,
                   validate_request=False)
    assert sorted(spec.checked) == ["POST /api.xro/2.0/Invoices 200", "PUT /api.xro/2.0/Invoices 200"]
    put_answer = next(res for req, res in batches if req.method == "PUT").json()["Invoices"]
    assert [e["StatusAttributeString"] for e in put_answer] == ["OK", "OK", "ERROR"]
    db.session.rollback()
