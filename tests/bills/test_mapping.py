"""The bill mapping, pure: an expense as the ACCPAY invoice Xero gets, and what it lacks."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bridge.xero.bills import mapping as bill_mapping
from bridge.xero.bills.mapping import BillChoices

CHOICES = BillChoices(contact_id="c-1", status="AUTHORISED", default_account="429",
                      accounts={7: "310"}, tax_type="INPUT2", url="https://b.example/expenses/1?xero_copy=k")


def expense(**fields):
    values = dict(description="Flyers", reference="SUP-1", supplier_id=1, service_type_id=7,
                  quantity=Decimal("2"), amount=Decimal("200.00"), markup_percent=Decimal("25"),
                  currency="NZD", date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1))
    values.update(fields)
    return SimpleNamespace(**values)


def test_an_expense_is_one_bill_of_one_line_without_markup():
    payload = bill_mapping.bill_payload(expense(), CHOICES)
    assert payload == {
        "Type": "ACCPAY", "Contact": {"ContactID": "c-1"}, "Date": dt.date(2026, 3, 2),
        "DueDate": dt.date(2026, 4, 1), "CurrencyCode": "NZD", "LineAmountTypes": "Exclusive",
        "Status": "AUTHORISED", "InvoiceNumber": "SUP-1", "Url": CHOICES.url,
        "LineItems": [{"Description": "Flyers", "Quantity": Decimal("2"), "UnitAmount": Decimal("100.00"),
                       "AccountCode": "310", "TaxType": "INPUT2"}],
    }


@pytest.mark.parametrize("service_type_id, account", [(7, "310"), (8, "429"), (None, "429")])
def test_the_account_is_the_service_types_else_the_default(service_type_id, account):
    line = bill_mapping.bill_line(expense(service_type_id=service_type_id), CHOICES)
    assert line["AccountCode"] == account


def test_no_tax_type_leaves_it_to_xero_and_no_reference_no_number():
    choices = BillChoices(contact_id="c", status="DRAFT", default_account="429")
    payload = bill_mapping.bill_payload(expense(reference=None), choices)
    assert "TaxType" not in payload["LineItems"][0] and "InvoiceNumber" not in payload and "Url" not in payload


@pytest.mark.parametrize("quantity, amount, sent", [
    (Decimal("4"), Decimal("10.00"), (Decimal("4"), Decimal("2.50"))),
    (Decimal("3"), Decimal("100.00"), (Decimal("1"), Decimal("100.00"))),  # 33.333… would not add up
    (Decimal("0"), Decimal("5.00"), (Decimal("1"), Decimal("5.00"))),
    (Decimal("1.5"), Decimal("3.00"), (Decimal("1.5"), Decimal("2.00"))),
])
def test_quantity_and_unit_price_always_give_the_net_amount(quantity, amount, sent):
    assert bill_mapping.quantity_and_unit(quantity, amount) == sent


def test_a_quantity_that_cannot_be_kept_is_said_in_the_description():
    line = bill_mapping.bill_line(expense(quantity=Decimal("3"), amount=Decimal("100.00")), CHOICES)
    assert (line["Description"], line["Quantity"], line["UnitAmount"]) == (
        "Flyers (quantity 3)", Decimal("1"), Decimal("100.00"))


@pytest.mark.parametrize("fields, missing", [
    ({"supplier_id": None}, ["supplier"]),
    ({"due_date": None}, ["due_date"]),
    ({"description": "  "}, ["description"]),
    ({"supplier_id": None, "due_date": None}, ["supplier", "due_date"]),
    ({}, []),
])
def test_what_an_expense_lacks_for_a_bill(fields, missing):
    assert [m.field for m in bill_mapping.missing_fields(expense(**fields), CHOICES)] == missing


def test_no_account_at_all_is_missing():
    choices = BillChoices(contact_id="c", status="DRAFT", default_account=None, accounts={7: "310"})
    assert [m.field for m in bill_mapping.missing_fields(expense(service_type_id=8), choices)] == ["account"]
    assert bill_mapping.missing_fields(expense(service_type_id=7), choices) == []


def test_an_update_keeps_xeros_status_and_line_and_clears_a_removed_number():
    current = {"Status": "PAID", "LineItems": [{"LineItemID": "line-1"}]}
    payload = bill_mapping.bill_update_payload(expense(reference=None), CHOICES, current)
    assert payload["Status"] == "PAID" and payload["InvoiceNumber"] == ""
    assert payload["LineItems"][0]["LineItemID"] == "line-1" and "Url" not in payload
