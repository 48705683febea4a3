"""Every request a credit note's copy, allocation and mirror send keeps to Xero's official
OpenAPI file (tests/xero/contract.py), and so does every answer the sandbox gives them
(tests/sandbox/contract.py): PUT /CreditNotes, its lookup after a lost answer, PUT and DELETE
of an Allocation, GET /CreditNotes (the sync) and the credit note's PDF."""
import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

import pytest
import requests
from requests.adapters import HTTPAdapter

from bridge.extensions import db
from bridge.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, TaxRate
from bridge.billing.totals import apply_totals
from bridge.xero.api import wire
from bridge.xero.api.client import XeroClient
from bridge.xero.credit_notes import mapping
from bridge.xero_sandbox.seed import NZ_TENANT
from tests import xero_spec
from tests.credit_notes.conftest import (
    configure, copy_invoice_approved, credit_lines, note_copy, post_note_copy, sync_now,
)
from tests.sandbox.contract import Contract
from tests.xero import contract
from tests.xero.payloads import REAL_XERO


@pytest.fixture(autouse=True)
def spec_files():
    xero_spec.require()


@pytest.fixture
def exchanges(monkeypatch):
    """(request, response) of every call Bridge makes, where each passes: HTTPAdapter.send."""
    real_send = HTTPAdapter.send
    seen = []

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        seen.append((request, response))
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return seen


def credit_note_calls(exchanges):
    return [(q, r) for q, r in exchanges if "/api.xro/2.0/CreditNotes" in q.url]


def test_every_credit_note_request_and_answer_keeps_the_contract(connected, admin, invoice, app, exchanges):
    copy_invoice_approved(admin, invoice)
    configure(initial_status="AUTHORISED", pdfs_by="xero")
    note = credit_lines(invoice, 1)
    sync_now()
    exchanges.clear()
    assert post_note_copy(admin, note).status_code == 200
    db.session.expire_all()
    note = db.session.get(CreditNote, note.id)
    with XeroClient(NZ_TENANT) as client:
        client.delete_allocation(note_copy(note).xero_id, note.allocation_id)
        client.get_credit_notes(where=f'CreditNoteNumber=="{note.number}"')
    sync_now()
    calls = credit_note_calls(exchanges)
    operations = {(q.method, urlsplit(q.url).path.split("/api.xro/2.0")[-1].count("/")) for q, _ in calls}
    # PUT /CreditNotes, PUT .../Allocations, DELETE .../Allocations/{id}, GET /CreditNotes (list, PDF).
    assert {("PUT", 1), ("PUT", 3), ("DELETE", 4), ("GET", 1), ("GET", 2)} <= operations
    assert any(q.headers.get("Accept") == "application/pdf" for q, _ in calls)
    assert [p for q, _ in calls for p in contract.problems(q, app.config)] == []
    spec = Contract()
    for request, response in calls:
        parts = urlsplit(request.url)
        spec.check(request.method, parts.path, dict(parse_qsl(parts.query)), dict(request.headers),
                   request.body, response.status_code, response.headers.get("Content-Type", ""),
                   response.content, validate_request=False)


def prepared(method: str, path: str, body: dict) -> requests.PreparedRequest:
    return requests.Request(method, REAL_XERO["XERO_API_URL"] + path, data=wire.encode(body), headers={
        "Accept": "application/json", "Content-Type": "application/json", "Authorization": "Bearer x",
        "xero-tenant-id": str(uuid4())}).prepare()


def sample_note() -> CreditNote:
    gst = TaxRate(name="GST", percentage=Decimal("15"))
    line = InvoiceLine(id=7, description="Logo", quantity=Decimal("3"), unit_price=Decimal("33.33"),
                       discount_percent=Decimal("12.5"), tax_rate=gst)
    invoice = Invoice(number="2026-0042", subject="Brand refresh", currency="NZD", issue_date=dt.date(2026, 11, 2),
                      due_date=dt.date(2026, 12, 2), lines=[line])
    note = CreditNote(number="CN-2026-0003", invoice=invoice, kind="lines", reason="Wrong logo", currency="NZD",
                      issue_date=dt.date(2026, 11, 9), lines=[CreditNoteLine(
                          invoice_line_id=7, description="Logo", quantity=Decimal("3"), unit_price=Decimal("33.33"),
                          discount_percent=Decimal("12.5"), tax_rate=gst)])
    apply_totals(note)
    return note


@pytest.mark.parametrize("send_number", [True, False])
def test_credit_note_payloads_are_valid_credit_notes(send_number):
    tracking = [{"TrackingCategoryID": str(uuid4()), "TrackingOptionID": str(uuid4()), "Name": "Region",
                 "Option": "North"}]
    choices = mapping.NoteChoices(contact_id=str(uuid4()), status="AUTHORISED", send_number=send_number,
                                  invoice_items=({"AccountCode": "220", "TaxType": "OUTPUT2", "Tracking": tracking},))
    create = mapping.credit_note_payload(sample_note(), "2026-0042", choices)
    assert create["LineItems"][0]["Tracking"] == tracking and create["LineItems"][0]["AccountCode"] == "220"
    assert ("CreditNoteNumber" in create) is send_number
    assert contract.problems(prepared("PUT", "/CreditNotes?summarizeErrors=false", {"CreditNotes": [create]}),
                             REAL_XERO) == []
    current = {"Status": "AUTHORISED", "LineItems": [{"LineItemID": str(uuid4())}]}
    update = mapping.update_payload(sample_note(), "2026-0042", choices, current)
    assert update["LineItems"][0]["LineItemID"] == current["LineItems"][0]["LineItemID"]
    assert contract.problems(prepared("POST", f"/CreditNotes/{uuid4()}", {"CreditNotes": [update]}), REAL_XERO) == []


def test_the_allocation_body_is_a_valid_allocation():
    body = {"Allocations": [{"Invoice": {"InvoiceID": str(uuid4())}, "Amount": Decimal("52.33"),
                             "Date": dt.date(2026, 3, 9)}]}
    assert contract.problems(prepared("PUT", f"/CreditNotes/{uuid4()}/Allocations", body), REAL_XERO) == []


def test_a_discounted_line_goes_without_discount_and_keeps_bridges_amount():
    """Xero refuses DiscountRate on credit notes: the discount is taken off the unit amount (exact
    here: 3 x 33.33 less 12.5% is 87.49, not a whole number of cents per unit, so 1 x 87.49)."""
    choices = mapping.NoteChoices(contact_id=str(uuid4()), status="AUTHORISED", send_number=True,
                                  invoice_items=({"AccountCode": "220", "TaxType": "OUTPUT2"},))
    note = sample_note()
    item = mapping.credit_note_payload(note, "2026-0042", choices)["LineItems"][0]
    assert "DiscountRate" not in item and "DiscountAmount" not in item
    assert (item["Quantity"], item["UnitAmount"]) == (Decimal("1"), note.lines[0].net_amount) == (1, Decimal("87.49"))
    assert item["Description"] == "Logo (3 x 33.33 less 12.5%)"
    # Exact per unit: the quantity stays (12 x 80.00 less 10% = 12 x 72.00).
    line = note.lines[0]
    line.quantity, line.unit_price, line.discount_percent, line.net_amount = (
        Decimal("12"), Decimal("80.00"), Decimal("10"), Decimal("864.00"))
    item = mapping.line_item(note, line, choices)
    assert (item["Description"], item["Quantity"], item["UnitAmount"]) == ("Logo", Decimal("12"), Decimal("72.00"))
