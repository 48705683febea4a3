"""Bills per billing entity (issue 21): an expense goes to its budget's entity's Xero
organisation with that entity's expense settings and accounts; a selection mixing entities'
budgets is sent one request per organisation; an expense of an entity without a connection is
not offered. Against the sandbox: Demo Company (NZ) for the first entity, Demo Company (AU) for
Southern Cross Pty."""
import re

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Budget, Company, ServiceType
from bridge.xero.api.client import XeroClient
from bridge.xero.settings import setup
from bridge.xero.settings.setup import Setup
from tests.bills.conftest import bill_rows, make_expense, post_send, recorded, text
from tests.copy.entities import AU_TENANT, NZ_TENANT, connect_entity, second_entity

HX = {"HX-Request": "true"}


@pytest.fixture
def southern(app, connected, sandbox, workspace):
    """Southern Cross Pty on Demo Company (AU): its own budget, supplier, expense settings
    (default account 429, Printing -> 400, tax on bills INPUT)."""
    entity = second_entity()
    connect_entity(app, sandbox, entity)
    printing = db.session.scalar(select(ServiceType).where(ServiceType.name == "Printing"))
    setup.save(Setup(invoice_numbers_by="bridge", pdfs_by="bridge", initial_status="AUTHORISED",
                     reference_from="subject", default_revenue_account_code="200", export_expenses=True,
                     default_expense_account_code="429", expense_tax_type="INPUT",
                     expense_accounts={printing.id: "400"}), None, entity_id=entity.id)
    supplier = Company(name="Harbour Supplies", default_currency="AUD")
    budget = Budget(name="Sydney launch", currency="AUD", entity_id=entity.id)
    db.session.add_all([supplier, budget])
    db.session.commit()
    return {"entity": entity, "budget": budget, "supplier": supplier}


def bills_in(tenant_id: str) -> list[dict]:
    with XeroClient(tenant_id) as client:
        return [i for i in client.get_invoices(where='Type=="ACCPAY"') if "xero_copy=" in (i.get("Url") or "")]


def au_expense(workspace, southern, **fields):
    values = dict(budget_id=southern["budget"].id, supplier_id=southern["supplier"].id, currency="AUD",
                  reference="HS-77")
    return make_expense(workspace, **{**values, **fields})


def test_an_expense_of_the_second_entity_goes_to_its_organisation(admin, workspace, southern, sandbox):
    expense = au_expense(workspace, southern)
    response = post_send(admin, expense)
    assert response.status_code == 200, text(response)
    assert [e["tenant_id"] for e in recorded(sandbox, "PUT", "/Invoices")] == [AU_TENANT]
    (row,) = bill_rows()
    assert row.tenant_id == AU_TENANT and row.state == "done"
    (bill,) = bills_in(AU_TENANT)
    assert bill["Contact"]["Name"] == "Harbour Supplies" and bill["CurrencyCode"] == "AUD"
    # The second entity's accounts and tax: Printing is 400 there (310 in NZ), tax INPUT.
    assert [(l["AccountCode"], l["TaxType"]) for l in bill["LineItems"]] == [("400", "INPUT")]
    assert bills_in(NZ_TENANT) == []


def test_a_selection_of_both_entities_is_one_request_per_organisation(admin, workspace, southern, sandbox):
    nz = make_expense(workspace)
    au = au_expense(workspace, southern)
    start = admin.post("/expenses/xero", data={"expense_ids": [nz.id, au.id]}, headers=HX)
    assert start.status_code == 200, text(start)
    found = dict(re.findall(r'name="(items-\d+)" value="([^"]+)"', start.get_data(as_text=True)))
    counts = re.findall(r'name="(total|already|unsure|lacking|sent|refused)" type="hidden" value="(\d+)"',
                        start.get_data(as_text=True))
    assert len(found) == 2
    sent = admin.post("/expenses/xero/batch", data={**found, **dict(counts)}, headers=HX)
    assert sent.status_code == 200, text(sent)
    assert sorted(e["tenant_id"] for e in recorded(sandbox, "PUT", "/Invoices")) == sorted([NZ_TENANT, AU_TENANT])
    assert {row.expense_id: row.tenant_id for row in bill_rows()} == {nz.id: NZ_TENANT, au.id: AU_TENANT}
    assert [(l["AccountCode"], l["TaxType"]) for l in bills_in(NZ_TENANT)[0]["LineItems"]] == [("310", "INPUT2")]
    assert [(l["AccountCode"], l["TaxType"]) for l in bills_in(AU_TENANT)[0]["LineItems"]] == [("400", "INPUT")]


def test_an_expense_of_an_entity_without_a_connection_is_not_offered(admin, workspace, connected, sandbox):
    third = second_entity("Third Studio Ltd", "NZD")
    budget = Budget(name="Unconnected work", currency="NZD", entity_id=third.id)
    db.session.add(budget)
    db.session.commit()
    stranded = make_expense(workspace, budget_id=budget.id, description="Stranded flyers")
    ours = make_expense(workspace, description="Connected flyers")
    page = admin.get("/expenses").get_data(as_text=True)
    assert f'name="expense_ids" value="{ours.id}"' in page
    assert f'name="expense_ids" value="{stranded.id}"' not in page
    # Sent anyway (a stale page): that expense says why, the other one goes.
    start = admin.post("/expenses/xero", data={"expense_ids": [stranded.id, ours.id]}, headers=HX)
    assert start.status_code == 200
    assert "Xero is not connected for Third Studio Ltd." in text(start)
    assert len(re.findall(r'name="(items-\d+)"', start.get_data(as_text=True))) == 1
    # Its own budget's page offers nothing to send.
    assert admin.post(f"/budgets/{budget.id}/xero", data={"expense_ids": [stranded.id]}, headers=HX).status_code == 409


def test_a_supplier_billed_in_both_organisations_gets_each_ones_contact(admin, workspace, southern, sandbox):
    nz = make_expense(workspace)  # Paper & Ink Co, created as a contact in Demo Company (NZ)
    assert post_send(admin, nz).status_code == 200
    au = au_expense(workspace, southern, supplier_id=workspace["paper"].id)
    response = post_send(admin, au)
    assert response.status_code == 200, text(response)
    (nz_bill,), (au_bill,) = bills_in(NZ_TENANT), bills_in(AU_TENANT)
    assert nz_bill["Contact"]["Name"] == au_bill["Contact"]["Name"] == "Paper & Ink Co"
    assert nz_bill["Contact"]["ContactID"] != au_bill["Contact"]["ContactID"]
    # And back: the next NZ bill finds NZ's contact by name, it does not make a second one.
    again = make_expense(workspace, description="Flyers, reprint", reference="PI-1002")
    assert post_send(admin, again).status_code == 200
    with XeroClient(NZ_TENANT) as client:
        assert len(client.find_contacts_by_names(["Paper & Ink Co"])) == 1
    assert {bill["Contact"]["ContactID"] for bill in bills_in(NZ_TENANT)} == {nz_bill["Contact"]["ContactID"]}
