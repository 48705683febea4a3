"""The attachment calls keep to Xero's official OpenAPI files (tests/xero_spec.py): the PUT of a
file (parameters, octet-stream body, IncludeOnline, Idempotency-Key) and the sandbox's answer
(the Attachments schema), and the look-up of a lost upload (GET …/Attachments)."""
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests

from tests import xero_spec
from tests.copy.conftest import northwind, post_copy
from tests.copy.test_attachments import PDF, PNG, upload
from tests.sandbox.contract import Contract
from tests.xero import contract


@pytest.fixture
def exchanges(monkeypatch):
    """(request, response) of every call Bridge makes, as sent and as answered; the first
    attachment PUT's answer is lost after the sandbox handled it (a retry looks it up)."""
    real_send, seen, lost = requests.adapters.HTTPAdapter.send, [], []

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        seen.append((request, response))
        if request.method == "PUT" and "/Attachments/" in request.url and not lost:
            lost.append(request)
            raise requests.ReadTimeout("answer lost (simulated)")
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return seen


def test_attachment_requests_and_answers_keep_the_contract(connected, admin, invoice, app, exchanges):
    xero_spec.require()
    upload(admin, invoice, "time sheet (March).pdf", PDF, online=True)
    upload(admin, invoice, "photo.png", PNG, online=False)
    assert post_copy(admin, invoice, contact=northwind()).status_code == 200
    assert admin.post(f"/invoices/{invoice.id}/xero/files", headers={"HX-Request": "true"}).status_code == 200

    calls = [(req, res) for req, res in exchanges if "/Attachments" in req.url]
    puts = [(req, res) for req, res in calls if req.method == "PUT"]
    gets = [(req, res) for req, res in calls if req.method == "GET"]
    assert len(puts) == 2 and len(gets) == 1
    spec = Contract()
    for request, response in calls:
        assert contract.problems(request, app.config) == [], request.url
        url = urlsplit(request.url)
        spec.check(request.method, unquote(url.path), dict(parse_qsl(url.query)), dict(request.headers),
                   request.body, response.status_code, response.headers["Content-Type"], response.content)
    # Every answer was validated against the spec (none fell outside what it describes).
    assert spec.unspecified == []
    assert sorted(entry.split(" ")[0] + " " + entry.split(" ")[-1] for entry in spec.checked) == [
        "GET 200", "PUT 200", "PUT 200"]
    assert all(entry.endswith("/Attachments 200") or "/Attachments/" in entry for entry in spec.checked)
    first, second = (req for req, _ in puts)
    assert "IncludeOnline=true" in first.url and "IncludeOnline" not in second.url
    assert first.headers["Content-Type"] == "application/octet-stream" and first.body == PDF
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    assert first.url.endswith("/Attachments/time%20sheet%20%28March%29.pdf?IncludeOnline=true")
