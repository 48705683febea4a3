"""Every request a bill sends keeps to Xero's official OpenAPI files (tests/xero/contract.py):
the supplier's look-up and creation, the batch of bills, the update and the look-up of a lost
bill; and the mapping's payloads are valid Invoice bodies. (The sandbox's answers to bills are
checked against the spec in tests/sandbox/test_bills.py.)"""
import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace
from uuid import uuid4

import pytest

from bridge.xero.bills import mapping as bill_mapping
from tests import xero_spec
from tests.bills.conftest import make_expense, post_send
from tests.copy.conftest import invoice_answers_lost
from tests.copy.test_contract import api_operations, prepared, sent  # noqa: F401  (fixture)
from tests.xero import contract
from tests.xero.payloads import REAL_XERO


@pytest.fixture(autouse=True)
def spec_files():
    xero_spec.require()


def test_every_request_of_sending_bills_keeps_the_contract(connected, admin, workspace, app, sent, monkeypatch):
    expense = make_expense(workspace)
    sent.clear()
    assert post_send(admin, expense).status_code == 200  # look-up, contact, bill
    assert post_send(admin, expense, action="update").status_code == 200
    key = str(uuid4())
    with invoice_answers_lost(monkeypatch):
        post_send(admin, expense, key=key)
    assert post_send(admin, expense, key=key).status_code == 200
    budget = workspace["budget"].id
    others = [make_expense(workspace, reference=f"B-{n}").id for n in range(2)]
    page = admin.post(f"/budgets/{budget}/xero", data={"expense_ids": others}, headers={"HX-Request": "true"})
    items = dict(re.findall(r'name="(items-\d+)" value="([^"]+)"', page.get_data(as_text=True)))
    admin.post(f"/budgets/{budget}/xero/batch", data={**items, "total": 2}, headers={"HX-Request": "true"})

    assert {("GET", "Contacts"), ("PUT", "Contacts"), ("PUT", "Invoices"), ("GET", "Invoices"),
            ("POST", "Invoices")} <= api_operations(sent)
    problems = [p for request in sent for p in contract.problems(request, app.config)]
    assert problems == []


def test_bill_payloads_are_valid_invoices():
    choices = bill_mapping.BillChoices(contact_id=str(uuid4()), status="AUTHORISED", default_account="429",
                                       accounts={1: "310"}, tax_type="INPUT2",
                                       url=f"https://bridge.example/expenses/1?xero_copy={uuid4()}")
    expense = SimpleNamespace(description="Flyers", reference="SUP-1", supplier_id=1, service_type_id=1,
                              quantity=Decimal("3"), amount=Decimal("100.00"), currency="NZD",
                              date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1))
    create = bill_mapping.bill_payload(expense, choices)
    assert contract.problems(prepared("PUT", "/Invoices?summarizeErrors=false", {"Invoices": [create] * 3}),
                             REAL_XERO) == []
    update = bill_mapping.bill_update_payload(expense, choices, {"Status": "DRAFT", "LineItems": [
        {"LineItemID": str(uuid4())}]})
    assert contract.problems(prepared("POST", f"/Invoices/{uuid4()}", {"Invoices": [update]}), REAL_XERO) == []
