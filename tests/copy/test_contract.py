"""Every request a copy sends keeps to Xero's official OpenAPI files (tests/xero/contract.py):
contact search and creation, the invoice, its update, the History note, the PDF and the
lookup of a lost copy; and the mapping's payloads are valid Invoice and Contact bodies."""
import datetime as dt
from decimal import Decimal
from uuid import uuid4

import pytest
import requests

from bridge.models import Company, Invoice, InvoiceLine, TaxRate
from bridge.billing.totals import apply_totals
from bridge.xero.invoices import mapping
from bridge.xero.api import wire
from bridge.xero.sending import payloads
from tests import xero_spec
from tests.copy.conftest import configure, give_note, invoice_answers_lost, northwind, post_copy
from tests.copy.test_update import change_lines
from tests.xero import contract
from tests.xero.payloads import REAL_XERO


@pytest.fixture(autouse=True)
def spec_files():
    xero_spec.require()


@pytest.fixture
def sent(monkeypatch):
    """The requests Bridge sends (as prepared for the wire), recorded where every one passes:
    requests' HTTPAdapter.send (Bridge's client sends through it without a Session)."""
    real_send = requests.adapters.HTTPAdapter.send
    requests_sent = []

    def send(adapter, request, **kwargs):
        requests_sent.append(request)
        return real_send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return requests_sent



def api_operations(sent) -> set[tuple[str, str]]:
    """(method, endpoint) of each Accounting API request sent, e.g. ("PUT", "Invoices")."""
    return {(r.method, r.path_url.split("?")[0].split("/api.xro/2.0")[-1].split("/")[1]) for r in sent
            if "/api.xro/2.0" in r.url}

def test_every_request_of_a_copy_keeps_the_contract(connected, admin, invoice, workspace, app, sent, hx,
                                                     monkeypatch):
    configure(pdfs_by="xero", notes_custom_field_id=workspace["note"].id)
    give_note(invoice, workspace["note"], "Two cost centres")
    sent.clear()
    admin.get(f"/invoices/{invoice.id}/xero/contacts?q=north", headers=hx)
    admin.post(f"/invoices/{invoice.id}/xero/contacts", headers=hx, data={
        "attempt_key": str(uuid4()), "new_contact_name": "Harbour Lights Ltd",
        "new_contact_email": "ap@harbour.example", "new_contact_tax_number": "NZ-123"})
    contact = northwind()
    assert post_copy(admin, invoice, contact=contact).status_code == 200
    change_lines(invoice, workspace)
    assert post_copy(admin, invoice, contact=contact, action="update").status_code == 200
    configure(invoice_numbers_by="xero")
    key = str(uuid4())
    # Create new: the earlier copy (a draft) is deleted in Xero in the same action.
    with invoice_answers_lost(monkeypatch):
        post_copy(admin, invoice, contact=contact, key=key, earlier="end")
    assert post_copy(admin, invoice, contact=contact, key=key, earlier="end").status_code == 200

    assert {("GET", "Contacts"), ("PUT", "Contacts"), ("PUT", "Invoices"), ("GET", "Invoices"),
            ("POST", "Invoices")} <= api_operations(sent)
    assert any(r.headers.get("Accept") == "application/pdf" for r in sent)
    assert any(r.url.endswith("/History") for r in sent)
    problems = [p for request in sent for p in contract.problems(request, app.config)]
    assert problems == []


def prepared(method: str, path: str, body: dict) -> requests.PreparedRequest:
    return requests.Request(method, REAL_XERO["XERO_API_URL"] + path, data=wire.encode(body), headers={
        "Accept": "application/json", "Content-Type": "application/json", "Authorization": "Bearer x",
        "xero-tenant-id": str(uuid4())}).prepare()


def sample_invoice() -> Invoice:
    gst = TaxRate(name="GST", percentage=Decimal("15"))
    invoice = Invoice(number="2026-0042", subject="Brand refresh", purchase_order_number=None, currency="NZD",
                      issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2), lines=[
                          InvoiceLine(description="Logo", quantity=Decimal("3"), unit_price=Decimal("33.33"),
                                      discount_percent=Decimal("12.5"), service_type_id=1, tax_rate=gst)])
    apply_totals(invoice)
    return invoice


@pytest.mark.parametrize("send_number", [True, False])
def test_invoice_payloads_are_valid_invoices(send_number):
    choices = mapping.CopyChoices(contact_id=str(uuid4()), tax_type="OUTPUT2", tax_percent=Decimal("15"),
                                  status="AUTHORISED", default_account="200", accounts={1: "220"},
                                  send_number=send_number, url=f"https://bridge.example/invoices/1?xero_copy={uuid4()}")
    create = mapping.invoice_payload(sample_invoice(), choices)
    assert contract.problems(prepared("PUT", "/Invoices?summarizeErrors=false", {"Invoices": [create]}),
                             REAL_XERO) == []
    current = {"Status": "AUTHORISED", "LineItems": [{"LineItemID": str(uuid4())}]}
    update = mapping.update_payload(sample_invoice(), choices, current)
    invoice_id = str(uuid4())
    assert contract.problems(prepared("POST", f"/Invoices/{invoice_id}", {"Invoices": [update]}), REAL_XERO) == []


def test_contact_payload_is_a_valid_contact():
    company = Company(name="Harbour Lights Ltd", email="ap@harbour.example", tax_number="NZ-1",
                      address="1 Quay St\nAuckland 1010", default_currency="NZD")
    body = {"Contacts": [payloads.contact_payload(company, name="Harbour Lights")]}
    assert contract.problems(prepared("PUT", "/Contacts", body), REAL_XERO) == []


def test_the_checker_would_catch_a_bad_payload():
    bad = {"Invoices": [{"Type": "ACCREC", "LineItems": "not a list"}]}
    assert contract.problems(prepared("PUT", "/Invoices", bad), REAL_XERO) != []
