"""Bills as Bridge sends them (bridge.xero.bills.mapping) in the sandbox: a batch with one bill
refused answers per bill, both ways checked against Xero's spec; purchase tax rules; the
bills list of the UI shows each bill's accounts."""
import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

from bridge.xero.bills import mapping as bill_mapping

from bridge.xero.api import wire
from bridge.xero_sandbox.seed import NZ_TENANT

from .helpers import messages
from .test_invoices import contact_id


def expense(**fields):
    values = dict(description="Flyers", reference="SUP-1", supplier_id=1, service_type_id=7,
                  quantity=Decimal("2"), amount=Decimal("200.00"), currency="NZD",
                  date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1))
    values.update(fields)
    return SimpleNamespace(**values)


def bill(api, **fields):
    choices = bill_mapping.BillChoices(contact_id=contact_id(api), status="AUTHORISED",
                                       default_account="429", accounts={7: "310"}, tax_type="INPUT2",
                                       url="https://bridge.example/expenses/1?xero_copy=k")
    return json.loads(wire.encode(bill_mapping.bill_payload(expense(**fields), choices)))


def test_a_batch_of_bills_answers_per_bill(api):
    batch = [bill(api), bill(api, currency="JPY", description="Imported paper"), bill(api, service_type_id=None)]
    response = api.put("/Invoices", {"Invoices": batch}, query={"summarizeErrors": "false"})
    assert response.status_code == 200
    first, refused, third = response.get_json()["Invoices"]
    assert first["StatusAttributeString"] == "OK" and third["StatusAttributeString"] == "OK"
    assert refused["StatusAttributeString"] == "ERROR"
    assert messages({"Invoices": [refused]}) == ["Organisation is not subscribed to currency JPY"]
    assert [l["AccountCode"] for l in first["LineItems"]] == ["310"]
    assert [l["AccountCode"] for l in third["LineItems"]] == ["429"]
    assert (Decimal(str(first["SubTotal"])), Decimal(str(first["Total"]))) == (Decimal("200.00"), Decimal("230.00"))
    assert first["Type"] == "ACCPAY" and first["InvoiceNumber"] == "SUP-1"


def test_a_sales_tax_rate_is_refused_on_a_bill(api):
    payload = bill(api)
    payload["LineItems"][0]["TaxType"] = "OUTPUT2"
    response = api.put("/Invoices", {"Invoices": [payload]})
    assert response.status_code == 400
    assert messages(response.get_json()) == [
        "The TaxType code OUTPUT2 does not exist or cannot be used for this type of transaction."]


def test_the_bills_list_shows_their_accounts(api, client):
    api.put("/Invoices", {"Invoices": [bill(api, reference="SUP-ACC")]})
    page = client.get(f"/_ui/{NZ_TENANT}/").get_data(as_text=True)
    bills = page[page.index("Bills to pay"):]
    assert "<th>Accounts</th>" in bills and '<td class="accounts">310</td>' in bills
