"""Voiding and deleting keep to Xero's official OpenAPI files: the POST /Invoices/{InvoiceID}
with Status VOIDED or DELETED (the shape of updateInvoice: {"Invoices": [{...}]}, as the spec
has it, not the bare object some of Xero's pages show), its Idempotency-Key, the GET of a copy
whose answer was lost, and the sandbox's answers, a refusal included."""
import re
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

import pytest

from bridge.xero_sandbox.seed import NZ_TENANT
from tests import xero_spec
from tests.copy.conftest import make_invoice
from tests.copy.test_bulk_contract import exchanges  # noqa: F401  (fixture)
from tests.copy.test_update import copied
from tests.copy.test_void import post_void, void_answers_lost
from tests.sandbox.contract import GUID, Contract
from tests.xero import contract


@pytest.fixture(autouse=True)
def spec_files():
    xero_spec.require()


def check(app, pairs) -> list[str]:
    """Each (request, response) against the spec; what was checked, as "METHOD path status"."""
    spec = Contract()
    for request, response in pairs:
        assert contract.problems(request, app.config) == []
        url = urlsplit(request.url)
        spec.check(request.method, url.path, dict(parse_qsl(url.query)), dict(request.headers), request.body,
                   response.status_code, response.headers["Content-Type"], response.content,
                   validate_request=False)
    return sorted(spec.checked)


def posts(exchanges, xero_id: str) -> list:
    return [(req, res) for req, res in exchanges if req.method == "POST" and req.url.endswith(f"/Invoices/{xero_id}")]


def test_void_and_delete_requests_and_answers_keep_the_contract(connected, admin, workspace, app, exchanges,
                                                                sandbox, monkeypatch):
    approved = copied(admin, make_invoice(workspace), initial_status="AUTHORISED")
    approved_id = approved["InvoiceID"]
    invoice_id = int(approved["Url"].split("/invoices/")[1].split("?")[0])
    exchanges.clear()
    key = str(uuid4())
    with void_answers_lost(monkeypatch):
        post_void(admin, invoice_id, key)
    assert post_void(admin, invoice_id, key).status_code == 200  # looked up (GET), not sent again
    [(void, answer)] = posts(exchanges, approved_id)
    assert void.headers["Idempotency-Key"] and b'"Status":"VOIDED"' in void.body.replace(b" ", b"")
    assert answer.json()["Invoices"][0]["Status"] == "VOIDED"
    lookups = [(req, res) for req, res in exchanges if req.method == "GET" and f"/Invoices/{approved_id}" in req.url]
    assert len(lookups) == 1

    draft = copied(admin, make_invoice(workspace), initial_status="DRAFT")
    draft_id = int(draft["Url"].split("/invoices/")[1].split("?")[0])
    assert post_void(admin, draft_id).status_code == 200
    [(delete, deleted)] = posts(exchanges, draft["InvoiceID"])
    assert b'"Status":"DELETED"' in delete.body.replace(b" ", b"") and deleted.json()["Invoices"][0]["Status"] == "DELETED"

    paid = copied(admin, make_invoice(workspace), initial_status="AUTHORISED")
    paid_id = int(paid["Url"].split("/invoices/")[1].split("?")[0])
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=paid["InvoiceID"], amount="10.00")
    assert post_void(admin, paid_id).status_code == 422
    [(refused, refusal)] = posts(exchanges, paid["InvoiceID"])
    assert refusal.status_code == 400

    pairs = posts(exchanges, approved_id) + lookups + posts(exchanges, draft["InvoiceID"]) + [(refused, refusal)]
    checked = [re.sub(GUID.pattern.strip("^$"), "{InvoiceID}", entry) for entry in check(app, pairs)]
    assert sorted(checked) == sorted([
        "POST /api.xro/2.0/Invoices/{InvoiceID} 200", "GET /api.xro/2.0/Invoices/{InvoiceID} 200",
        "POST /api.xro/2.0/Invoices/{InvoiceID} 200", "POST /api.xro/2.0/Invoices/{InvoiceID} 400"])
