"""Contract tests: what the client sends keeps to Xero's official OpenAPI files.

Every test in tests/xero that mocks Xero with the `xero_http` fixture has each request it
sent checked the same way when it ends (tests/xero/conftest.py). Here every operation of
the client runs once with the arguments that stretch its request most, each request is
checked explicitly, and the checker is shown to catch what it should. How the checking
works, and what the spec cannot check, is in tests/xero/contract.py.
"""
import json
from datetime import datetime, timezone
from uuid import uuid4

import pytest
import requests

from bridge.xero.api.client import XeroClient
from tests import xero_spec
from tests.xero import contract
from tests.xero.payloads import (
    API,
    CONNECTION_ID,
    CONTACT_ID,
    INVOICE_ID,
    REAL_XERO,
    TENANT_ID,
    TOKEN_URL,
    connections,
    envelope,
    invoice,
    new_invoice,
    organisation,
    token_response,
)

@pytest.fixture(autouse=True)
def spec_files():
    xero_spec.require()

SINCE = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)


def every_operation(client: XeroClient) -> None:
    """Each public operation once, with its optional arguments set."""
    client.get_organisation()
    client.get_accounts(where='Class=="REVENUE" AND Status=="ACTIVE"')
    client.get_tax_rates(where='Status=="ACTIVE" AND CanApplyToRevenue==true')
    client.get_currencies()
    client.get_tracking_categories(include_archived=True)
    client.get_branding_themes()
    client.search_contacts("northwind", page=2)
    client.find_contact_by_name('Northwind "Studio"')
    client.get_contact(CONTACT_ID)
    client.create_contact({"Name": "Northwind Studio", "EmailAddress": "ap@northwind.example",
                           "TaxNumber": "NL001", "ContactNumber": "B-17"},
                          idempotency_key="bridge-contact-17")
    client.get_invoices(ids=[str(uuid4()) for _ in range(45)], statuses=["AUTHORISED", "PAID"],
                        modified_since=SINCE, page_size=100, where='Type=="ACCREC"')
    client.get_invoices(page=2, page_size=50)
    client.get_invoice(INVOICE_ID)
    client.create_invoices([new_invoice(), new_invoice(Type="ACCPAY", InvoiceNumber="EXP-4",
                                                       Reference=None)],
                           idempotency_key="bridge-inv-8841-v1")
    client.create_invoices([new_invoice()], summarize_errors=True)
    client.update_invoice(INVOICE_ID,
                          new_invoice(InvoiceID=INVOICE_ID, Url="https://bridge.example/i/1"),
                          idempotency_key="bridge-upd-8841-v2")
    client.get_invoice_pdf(INVOICE_ID)
    client.add_history_note(INVOICE_ID, "Copied from Bridge " + "x" * 300,
                            idempotency_key="bridge-note-1")
    client.get_payments(modified_since=SINCE, page=1, where='PaymentType=="ACCRECPAYMENT"',
                        page_size=100)
    list(client.iter_payments(modified_since=SINCE, where='Status=="AUTHORISED"'))
    client.list_connections()
    client.delete_connection()
    client.revoke_token()


def mock_xero(mock) -> None:
    mock.get(f"{API}/Organisation", json=organisation())
    mock.get(f"{API}/Accounts", json=envelope("Accounts", []))
    mock.get(f"{API}/TaxRates", json=envelope("TaxRates", []))
    mock.get(f"{API}/Currencies", json=envelope("Currencies", [{"Code": "NZD", "Description": "New Zealand Dollar"}]))
    mock.get(f"{API}/TrackingCategories", json=envelope("TrackingCategories", []))
    mock.get(f"{API}/BrandingThemes", json=envelope("BrandingThemes", []))
    mock.get(f"{API}/Contacts", json=envelope("Contacts", [], page=1))
    mock.get(f"{API}/Contacts/{CONTACT_ID}", json=envelope("Contacts", [{"ContactID": CONTACT_ID}]))
    mock.put(f"{API}/Contacts", json=envelope("Contacts", [{"ContactID": CONTACT_ID}]))
    mock.get(f"{API}/Invoices", json=envelope("Invoices", [invoice()], page=1))
    mock.get(f"{API}/Invoices/{INVOICE_ID}", json=envelope("Invoices", [invoice()]),
             match=[_accepts("application/json")])
    mock.get(f"{API}/Invoices/{INVOICE_ID}", body=b"%PDF-1.4\n%%EOF\n",
             content_type="application/pdf", match=[_accepts("application/pdf")])
    mock.put(f"{API}/Invoices", json=envelope("Invoices", [invoice(), invoice()]))
    mock.post(f"{API}/Invoices/{INVOICE_ID}", json=envelope("Invoices", [invoice()]))
    mock.put(f"{API}/Invoices/{INVOICE_ID}/History",
             json=envelope("HistoryRecords", [{"Details": "x", "ValidationErrors": []}]))
    mock.get(f"{API}/Payments", json=envelope("Payments", [], page=1))
    mock.get(REAL_XERO["XERO_CONNECTIONS_URL"], json=connections())
    mock.delete(f"{REAL_XERO['XERO_CONNECTIONS_URL']}/{CONNECTION_ID}", status=204)
    mock.post(REAL_XERO["XERO_REVOCATION_URL"], body="")


def _accepts(value):
    def match(request):
        ok = request.headers.get("Accept") == value
        return ok, "" if ok else f"Accept is not {value}"
    return match


def test_every_operation_keeps_the_contract(xero, xero_http, xero_app):
    mock_xero(xero_http)
    every_operation(xero)
    sent = [c.request for c in xero_http.calls]
    problems = [p for r in sent for p in contract.problems(r, xero_app.config)]
    assert problems == []
    operations = {op for (_, op) in xero.calls}
    assert operations == {
        "GET /Organisation", "GET /Accounts", "GET /TaxRates", "GET /Currencies", "GET /TrackingCategories",
        "GET /BrandingThemes", "GET /Contacts",
        "GET /Contacts/{ContactID}", "PUT /Contacts", "GET /Invoices",
        "GET /Invoices/{InvoiceID}", "PUT /Invoices", "POST /Invoices/{InvoiceID}",
        "GET /Invoices/{InvoiceID} (PDF)", "PUT /Invoices/{InvoiceID}/History",
        "GET /Payments", "GET /connections", "DELETE /connections/{id}",
        "POST /connect/revocation",
    }
    # No null goes out (the spec's fields are not nullable): None means "leave it out".
    for request in sent:
        if request.body and request.headers.get("Content-Type") == "application/json":
            assert "null" not in request.body.decode()


def test_token_calls_keep_the_contract(xero_app, xero_http, sleeps):
    from datetime import timedelta

    from tests.xero.conftest import add_connection

    add_connection(xero_app, expires_in=timedelta(seconds=1))
    xero_http.post(TOKEN_URL, json=token_response(1))
    xero_http.get(f"{API}/Organisation", json=organisation())
    client = XeroClient()
    client.exchange_code("code-1", "http://127.0.0.1:5000/marketplace/xero/callback")
    XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()  # refreshes first
    grants = [dict(x.split("=", 1) for x in c.request.body.split("&"))["grant_type"]
              for c in xero_http.calls if c.request.url == TOKEN_URL]
    assert grants == ["authorization_code", "refresh_token"]
    assert [p for c in xero_http.calls for p in contract.problems(c.request, xero_app.config)] == []


# --- the checker catches what it should ------------------------------------------------

def prepared(method, url, *, body=None, headers=None, params=None) -> requests.PreparedRequest:
    base = {"Accept": "application/json", "Authorization": "Bearer t", "xero-tenant-id": TENANT_ID}
    if body is not None:
        base["Content-Type"] = "application/json"
        body = json.dumps(body)
    base.update(headers or {})
    base = {k: v for k, v in base.items() if v is not None}
    return requests.Request(method, url, data=body, headers=base, params=params).prepare()


@pytest.mark.parametrize("request_, expected", [
    (prepared("PUT", f"{API}/Invoices", body={"Invoices": [{"Type": "ACCREC", "Total": 5}]}),
     "read-only"),
    (prepared("PUT", f"{API}/Invoices", body={"Invoices": [{"Type": "INVOICE"}]}),
     "is not one of"),
    (prepared("GET", f"{API}/Invoices", headers={"xero-tenant-id": None}), "xero-tenant-id"),
    (prepared("GET", f"{API}/Invoices", params={"IDs": "INV-0001"}), "uuid"),
    (prepared("GET", f"{API}/Invoices", params={"page": "first"}), "page"),
    (prepared("GET", f"{API}/Invoices", params={"summarizeErrors": "false"}),
     "does not declare: ['summarizeErrors']"),
    (prepared("GET", f"{API}/Invoices", headers={"If-Modified-Since": "yesterday"}),
     "date-time"),
    (prepared("GET", f"{API}/Invoices", headers={"Accept": None}), "Accept"),
    (prepared("GET", f"{API}/Invoices/{INVOICE_ID}/pdf"), "alias"),
    (prepared("PUT", f"{API}/Invoices", body={"Invoices": []},
              headers={"Idempotency-Key": "k" * 129}), "128"),
    (prepared("GET", f"{API}/Invoicez"), "Path not found"),
    (prepared("GET", REAL_XERO["XERO_CONNECTIONS_URL"], params={"authEventId": "nope"}), "uuid"),
    (requests.Request("POST", TOKEN_URL, data={"grant_type": "refresh_token",
                                               "refresh_token": "r", "client_secret": "s"}
                      ).prepare(), "Basic"),
    (requests.Request("POST", TOKEN_URL, data={"grant_type": "password"}, auth=(
        "test-client-id", "test-client-secret")).prepare(), "grant_type"),
])
def test_the_checker_catches(request_, expected):
    found = contract.problems(request_, REAL_XERO)
    assert found and any(expected.lower() in p.lower() for p in found), found
