"""Bridge's XeroClient against the Xero sandbox over real HTTP: reference data, contacts,
invoices and bills, PDFs, history notes and payments, for an organisation connected
through the consent screen (the `nz` fixture)."""
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
import requests

from bridge.xero.api.errors import XeroValidationError
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.xero.conftest import sandbox_requests

# Xero's messages as the sandbox gives them (notes §6.4; the currency one from third-party
# reports). Xero puts both on the invoice element, not on its line.
ACCOUNT_REFUSED = "Account code '999' is not a valid code for this document."
CURRENCY_REFUSED = "Organisation is not subscribed to currency JPY"


def sale(contact: dict, *, account="200", **fields) -> dict:
    """A sales invoice of 2 x 150.00 at 15% GST (345.00), as Bridge's mapping sends one."""
    return {
        "Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Status": "AUTHORISED",
        "Date": date(2026, 3, 2), "DueDate": date(2026, 4, 1), "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Design sprint", "Quantity": Decimal("2"),
                       "UnitAmount": Decimal("150.00"), "AccountCode": account,
                       "TaxType": "OUTPUT2"}],
        **fields,
    }


def bill(supplier: dict, number: str) -> dict:
    """A bill (ACCPAY) for printing: an expense sent from a Bridge budget."""
    return {
        "Type": "ACCPAY", "Contact": {"ContactID": supplier["ContactID"]},
        "Status": "AUTHORISED", "InvoiceNumber": number, "Date": date(2026, 3, 2), "DueDate": date(2026, 3, 20),
        "LineItems": [{"Description": "Flyers", "Quantity": Decimal("1"),
                       "UnitAmount": Decimal("480.00"), "AccountCode": "453", "TaxType": "INPUT2"}],
    }


def sandbox_now(xero_sandbox, *, after_seconds: float) -> datetime:
    """Move the sandbox clock on, and return its new time (the start of a sync window)."""
    return datetime.fromisoformat(
        xero_sandbox.control("clock/advance", seconds=after_seconds)["now"])


@pytest.fixture
def northwind(nz) -> dict:
    return nz.find_contact_by_name("Northwind Studio")


def test_reference_data_for_the_setup_wizard(nz):
    organisation = nz.get_organisation()
    assert (organisation["Name"], organisation["BaseCurrency"]) == ("Demo Company (NZ)", "NZD")

    revenue = nz.get_accounts(where='Class=="REVENUE" AND Status=="ACTIVE"')
    assert {a["Code"] for a in revenue} == {"200", "220", "260", "270"}  # not archived 210

    rates = nz.get_tax_rates(where='Status=="ACTIVE" AND CanApplyToRevenue==true')
    assert {r["TaxType"] for r in rates} == {"OUTPUT2", "NONE", "ZERORATED", "TAX001"}
    gst = next(r for r in rates if r["TaxType"] == "OUTPUT2")
    assert gst["EffectiveRate"] == Decimal("15") and isinstance(gst["EffectiveRate"], Decimal)


def test_contacts_search_find_create_and_a_duplicate_name(nz):
    assert [c["Name"] for c in nz.search_contacts("NORTHWIND")] == ["Northwind Studio"]
    assert nz.find_contact_by_name("acme ltd")["Name"] == "Acme Ltd"  # any letter case
    assert nz.find_contact_by_name("Nobody & Sons") is None

    created = nz.create_contact({"Name": "Fresh Client Ltd", "EmailAddress": "ap@fresh.example"})
    assert nz.get_contact(created["ContactID"])["EmailAddress"] == "ap@fresh.example"
    assert nz.find_contact_by_name("Fresh Client Ltd")["ContactID"] == created["ContactID"]

    with pytest.raises(XeroValidationError) as raised:
        nz.create_contact({"Name": "Fresh Client Ltd"})
    assert raised.value.status == 400
    assert raised.value.messages == [
        "The contact name Fresh Client Ltd is already assigned to another contact. "
        "The contact name must be unique across all active contacts."]


def test_sales_invoices_numbered_by_xero_or_by_bridge(nz, northwind):
    first, second = nz.create_invoices([sale(northwind), sale(northwind)])
    assert re.fullmatch(r"INV-\d{4}", first["InvoiceNumber"])
    assert int(second["InvoiceNumber"][4:]) == int(first["InvoiceNumber"][4:]) + 1
    assert (first["SubTotal"], first["TotalTax"], first["Total"]) == (
        Decimal("300.00"), Decimal("45.00"), Decimal("345.00"))
    assert first["DueDate"] == date(2026, 4, 1)

    own = nz.create_invoices([sale(northwind, InvoiceNumber="BR-2026-001")])[0]
    assert own["InvoiceNumber"] == "BR-2026-001" and own["Status"] == "AUTHORISED"

    with pytest.raises(XeroValidationError) as raised:
        nz.create_invoices([sale(northwind, InvoiceNumber="BR-2026-001")])
    assert raised.value.messages == ["Invoice # must be unique."]
    assert raised.value.succeeded == []


def test_refused_invoices_with_and_without_summarize_errors(nz, northwind):
    bad_account = sale(northwind, account="999", Reference="bad-account")
    bad_currency = sale(northwind, CurrencyCode="JPY", Reference="bad-currency")
    expected = [ACCOUNT_REFUSED, CURRENCY_REFUSED]

    with pytest.raises(XeroValidationError) as per_element:
        nz.create_invoices([sale(northwind, Reference="good"), bad_account, bad_currency],
                           summarize_errors=False)
    error = per_element.value
    assert (error.status, error.messages) == (200, expected)
    assert [e.position for e in error.elements] == [1, 2]
    # Batches are not transactional: the valid invoice exists in Xero now.
    (good,) = error.succeeded
    assert nz.get_invoice(good["InvoiceID"])["Reference"] == "good"

    with pytest.raises(XeroValidationError) as summarised:
        nz.create_invoices([bad_account, bad_currency], summarize_errors=True)
    assert (summarised.value.status, summarised.value.messages) == (400, expected)
    assert str(summarised.value) == f"Xero refused it: {ACCOUNT_REFUSED} {CURRENCY_REFUSED}."


def test_update_by_id_keeps_the_number(nz, northwind):
    created = nz.create_invoices([sale(northwind)])[0]
    changed = sale(northwind, Reference="PO-4711")
    changed["LineItems"][0]["Quantity"] = Decimal("3")
    updated = nz.update_invoice(created["InvoiceID"], changed, idempotency_key="copy-42-update")
    assert (updated["InvoiceID"], updated["InvoiceNumber"]) == (created["InvoiceID"],
                                                                created["InvoiceNumber"])
    assert (updated["Reference"], updated["Total"]) == ("PO-4711", Decimal("517.50"))
    # The same key again is answered from Xero's idempotency cache: nothing changes twice.
    again = nz.update_invoice(created["InvoiceID"], changed, idempotency_key="copy-42-update")
    assert again["UpdatedDateUTC"] == updated["UpdatedDateUTC"]


def test_invoices_by_ids_and_modified_since(nz, northwind, xero_sandbox):
    since = sandbox_now(xero_sandbox, after_seconds=20 * 60)
    made = nz.create_invoices([sale(northwind), sale(northwind, Reference="second")])
    ids = [i["InvoiceID"] for i in made]

    by_id = nz.get_invoices(ids=ids + [ids[0]])
    assert sorted(i["InvoiceID"] for i in by_id) == sorted(ids)
    assert all(i["LineItems"][0]["Description"] == "Design sprint" for i in by_id)
    assert sorted(i["InvoiceID"] for i in nz.get_invoices(modified_since=since)) == sorted(ids)
    sent = sandbox_requests(xero_sandbox, path_prefix="/api.xro/2.0/Invoices")
    assert [r["method"] for r in sent] == ["PUT", "GET", "GET"]


def test_bills_may_share_a_number(nz):
    printer = nz.find_contact_by_name("City Print Co")
    wholesaler = nz.find_contact_by_name("Bayside Wholesale")
    bills = nz.create_invoices([bill(printer, "SUP-77"), bill(wholesaler, "SUP-77")])
    again = nz.create_invoices([bill(printer, "SUP-77")])
    assert [b["InvoiceNumber"] for b in bills + again] == ["SUP-77"] * 3
    assert len({b["InvoiceID"] for b in bills + again}) == 3
    assert {b["Type"] for b in bills} == {"ACCPAY"} and bills[0]["Total"] == Decimal("552.00")


def test_pdf_and_history_note(nz, northwind):
    invoice = nz.create_invoices([sale(northwind)])[0]
    pdf = nz.get_invoice_pdf(invoice["InvoiceID"])
    assert pdf.startswith(b"%PDF") and invoice["InvoiceNumber"].encode() in pdf

    note = nz.add_history_note(invoice["InvoiceID"], "  For the accountant: PO 4711.  ")
    assert note["Details"] == "For the accountant: PO 4711."
    long = nz.add_history_note(invoice["InvoiceID"], "x" * 300)
    assert len(long["Details"]) == 250 and long["Details"].endswith("x…")


def test_payments_since_a_cursor_include_deleted_ones(nz, northwind, xero_sandbox):
    invoice = nz.create_invoices([sale(northwind)])[0]  # 345.00
    since = sandbox_now(xero_sandbox, after_seconds=60)
    payments = f"organisations/{NZ_TENANT}/payments"
    # Recorded in "Xero" by a person: a part, the rest, then the part removed.
    part = xero_sandbox.control(payments, invoice=invoice["InvoiceNumber"], amount="100.00",
                                reference="Part")
    rest = xero_sandbox.control(payments, invoice=invoice["InvoiceID"], amount="245.00",
                                reference="Rest")
    removed = requests.delete(f"{xero_sandbox.url}/_sandbox/{payments}/{part['PaymentID']}",
                              timeout=10)
    assert removed.status_code == 200

    page = nz.get_payments(modified_since=since)
    expected = {(part["PaymentID"], "DELETED", Decimal("100.00")),
                (rest["PaymentID"], "AUTHORISED", Decimal("245.00"))}
    assert {(p["PaymentID"], p["Status"], p["Amount"]) for p in page} == expected
    assert {p["Invoice"]["InvoiceID"] for p in page} == {invoice["InvoiceID"]}

    every = list(nz.iter_payments(modified_since=since, where='PaymentType=="ACCRECPAYMENT"',
                                  page_size=1))
    assert {(p["PaymentID"], p["Status"], p["Amount"]) for p in every} == expected
    assert nz.calls[(NZ_TENANT, "GET /Payments")] == 1 + 2  # one page, then two of one

    now = nz.get_invoice(invoice["InvoiceID"])
    assert (now["Status"], now["AmountPaid"], now["AmountDue"]) == (
        "AUTHORISED", Decimal("245.00"), Decimal("100.00"))
