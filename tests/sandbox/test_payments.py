"""Payments (create, list incl. deleted, delete by Status) and credit-note allocations."""
import pytest

from .helpers import messages


@pytest.fixture
def sale(api):
    """A fresh AUTHORISED sales invoice of 115.00."""
    contact = api.get("/Contacts", query={"where": 'Name=="Northwind Studio"'}).get_json()["Contacts"][0]
    body = {"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Status": "AUTHORISED",
                          "Date": "2026-03-01", "DueDate": "2026-03-31",
                          "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": 100,
                                         "AccountCode": "200", "TaxType": "OUTPUT2"}]}]}
    return api.put("/Invoices", body).get_json()["Invoices"][0]


def pay(api, invoice_id, amount, code="090", **extra):
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": code}, "Date": "2026-03-15",
               "Amount": amount, "Reference": "EFT"}
    payment.update(extra)
    return api.put("/Payments", {"Payments": [payment]})


def get_invoice(api, invoice_id):
    return api.get(f"/Invoices/{invoice_id}").get_json()["Invoices"][0]


def test_partial_then_full_payment(api, sale):
    first = pay(api, sale["InvoiceID"], 15.00)
    assert first.status_code == 200
    payment = first.get_json()["Payments"][0]
    assert payment["PaymentType"] == "ACCRECPAYMENT" and payment["Status"] == "AUTHORISED"
    assert payment["Account"]["Code"] == "090" and payment["Invoice"]["AmountDue"] == 100.0
    invoice = get_invoice(api, sale["InvoiceID"])
    assert (invoice["AmountPaid"], invoice["AmountDue"], invoice["Status"]) == (15.0, 100.0, "AUTHORISED")
    assert invoice["Payments"][0]["PaymentID"] == payment["PaymentID"]
    assert invoice["UpdatedDateUTC"] == payment["UpdatedDateUTC"]  # bumped together
    pay(api, sale["InvoiceID"], 100.00, code="970")  # payments-enabled equity account
    invoice = get_invoice(api, sale["InvoiceID"])
    assert (invoice["AmountDue"], invoice["Status"]) == (0, "PAID")
    assert invoice["FullyPaidOnDate"] == "/Date(1773532800000+0000)/"


PAYMENT_ERRORS = [
    ({"amount": 116}, "Payment amount exceeds the amount outstanding on this document"),
    ({"code": "200"}, "Account type is invalid for making a payment to/from"),
    ({"code": "999"}, "Account code '999' is not a valid code for this document."),
    ({"status": "DRAFT"}, "Payments can only be made against Authorised documents"),
]


@pytest.mark.parametrize("case, message", PAYMENT_ERRORS)
def test_payment_validation(api, sale, case, message):
    if case.get("status"):
        contact = sale["Contact"]["ContactID"]
        draft = api.put("/Invoices", {"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": contact},
                                                    "LineItems": [{"Description": "d", "Quantity": 1, "UnitAmount": 5}]}]})
        target = draft.get_json()["Invoices"][0]["InvoiceID"]
    else:
        target = sale["InvoiceID"]
    response = pay(api, target, case.get("amount", 10), code=case.get("code", "090"))
    assert response.status_code == 400
    assert messages(response.get_json()) == [message]


def test_post_single_payment_and_summarize_false(api, sale):
    single = api.post("/Payments", {"Invoice": {"InvoiceID": sale["InvoiceID"]}, "Account": {"Code": "090"},
                                    "Date": "2026-03-15", "Amount": 5})
    assert single.status_code == 200 and single.get_json()["Payments"][0]["Amount"] == 5
    mixed = api.put("/Payments", {"Payments": [
        {"Invoice": {"InvoiceID": sale["InvoiceID"]}, "Account": {"Code": "090"}, "Date": "2026-03-16", "Amount": 5},
        {"Invoice": {"InvoiceID": sale["InvoiceID"]}, "Account": {"Code": "090"}, "Date": "2026-03-16", "Amount": 500},
    ]}, query={"summarizeErrors": "false"})
    assert mixed.status_code == 200
    elements = mixed.get_json()["Payments"]
    assert [e["StatusAttributeString"] for e in elements] == ["OK", "ERROR"]
    assert elements[1]["ValidationErrors"][0]["Message"] == "Payment amount exceeds the amount outstanding on this document"


def test_delete_payment_by_status_only(api, sale, client):
    payment = pay(api, sale["InvoiceID"], 115).get_json()["Payments"][0]
    assert get_invoice(api, sale["InvoiceID"])["Status"] == "PAID"
    client.post("/_sandbox/clock/advance", json={"seconds": 5})
    refused = api.post(f"/Payments/{payment['PaymentID']}", {"Status": "DELETED", "Amount": 1}, validate_request=False)
    assert refused.status_code == 400 and messages(refused.get_json()) == ["Only Status accepted for updates."]
    deleted = api.post(f"/Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    assert deleted.status_code == 200
    body = deleted.get_json()["Payments"][0]
    assert body["Status"] == "DELETED" and body["UpdatedDateUTC"] > payment["UpdatedDateUTC"]
    invoice = get_invoice(api, sale["InvoiceID"])
    assert (invoice["Status"], invoice["AmountPaid"], invoice["AmountDue"]) == ("AUTHORISED", 0, 115.0)
    assert "FullyPaidOnDate" not in invoice and invoice["Payments"] == []
    assert invoice["UpdatedDateUTC"] == body["UpdatedDateUTC"]


def test_delete_payment_wrapped_form(api, sale):
    payment = pay(api, sale["InvoiceID"], 10).get_json()["Payments"][0]
    # The spec's own example wraps the body; its PaymentDelete schema does not, hence no request check.
    response = api.post(f"/Payments/{payment['PaymentID']}", {"Payments": [{"Status": "DELETED"}]},
                        validate_request=False)
    assert response.status_code == 200 and response.get_json()["Payments"][0]["Status"] == "DELETED"
    again = api.post(f"/Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    assert messages(again.get_json()) == ["This payment has already been deleted."]


def test_list_payments_with_deleted_and_if_modified_since(api, sale, client):
    kept = pay(api, sale["InvoiceID"], 10).get_json()["Payments"][0]
    removed = pay(api, sale["InvoiceID"], 20).get_json()["Payments"][0]
    client.post("/_sandbox/clock/advance", json={"seconds": 120})
    cursor = client.get("/_sandbox/clock").get_json()["now"][:19]
    api.post(f"/Payments/{removed['PaymentID']}", {"Status": "DELETED"})
    changed = api.get("/Payments", headers={"If-Modified-Since": cursor + "Z"}).get_json()["Payments"]
    assert [(p["PaymentID"], p["Status"]) for p in changed] == [(removed["PaymentID"], "DELETED")]
    everything = api.get("/Payments").get_json()
    ids = {p["PaymentID"]: p["Status"] for p in everything["Payments"]}
    assert ids[kept["PaymentID"]] == "AUTHORISED" and ids[removed["PaymentID"]] == "DELETED"
    assert everything["pagination"]["itemCount"] == len(everything["Payments"])


def test_payment_where_filters_and_paging(api, sale):
    for amount in (1, 2, 3):
        pay(api, sale["InvoiceID"], amount)
    mine = api.get("/Payments", query={"where": f'Invoice.InvoiceID==Guid("{sale["InvoiceID"]}")'}).get_json()
    assert sorted(p["Amount"] for p in mine["Payments"]) == [1, 2, 3]
    sales = api.get("/Payments", query={"where": 'PaymentType=="ACCRECPAYMENT" AND Status=="AUTHORISED"'}).get_json()
    assert all(p["PaymentType"] == "ACCRECPAYMENT" for p in sales["Payments"])
    bills = api.get("/Payments", query={"where": 'PaymentType=="ACCPAYPAYMENT"'}).get_json()["Payments"]
    assert [p["Invoice"]["Type"] for p in bills] == ["ACCPAY"]
    page = api.get("/Payments", query={"page": 2, "pageSize": 2, "order": "Amount ASC"}).get_json()
    assert page["pagination"]["page"] == 2 and len(page["Payments"]) == 2


def test_get_one_payment_and_unknown(api, sale):
    payment = pay(api, sale["InvoiceID"], 10).get_json()["Payments"][0]
    one = api.get(f"/Payments/{payment['PaymentID']}").get_json()["Payments"]
    assert len(one) == 1 and one[0]["Invoice"]["LineItems"]
    assert api.get("/Payments/00000000-0000-0000-0000-000000000000", check=False).status_code == 404


def test_paid_invoice_is_locked_but_void_needs_nothing_applied(api, sale):
    pay(api, sale["InvoiceID"], 10)
    line = {"Description": "Changed", "Quantity": 1, "UnitAmount": 200, "AccountCode": "200", "TaxType": "OUTPUT2"}
    edit = api.post(f"/Invoices/{sale['InvoiceID']}", {"Invoices": [{"Status": "AUTHORISED", "LineItems": [line]}]})
    assert messages(edit.get_json()) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."]
    void = api.post(f"/Invoices/{sale['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    assert messages(void.get_json()) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."]
    note = api.post(f"/Invoices/{sale['InvoiceID']}", {"Invoices": [{"DueDate": "2026-04-30"}]})
    assert note.status_code == 200  # non-financial fields stay editable


def test_credit_note_allocation_settles_invoice(api, sale):
    contact = sale["Contact"]["ContactID"]
    note = api.put("/CreditNotes", {"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": contact}, "Status": "AUTHORISED", "Date": "2026-03-02",
        "LineItems": [{"Description": "Goodwill", "Quantity": 1, "UnitAmount": 40, "AccountCode": "200",
                       "TaxType": "OUTPUT2"}]}]})
    assert note.status_code == 200
    credit = note.get_json()["CreditNotes"][0]
    assert credit["CreditNoteNumber"] == "CN-0001" and credit["Total"] == 46.0 and credit["RemainingCredit"] == 46.0
    allocation = api.put(f"/CreditNotes/{credit['CreditNoteID']}/Allocations",
                         {"Allocations": [{"Invoice": {"InvoiceID": sale["InvoiceID"]}, "Amount": 46, "Date": "2026-03-03"}]})
    assert allocation.status_code == 200
    invoice = get_invoice(api, sale["InvoiceID"])
    assert (invoice["AmountCredited"], invoice["AmountDue"], invoice["Status"]) == (46.0, 69.0, "AUTHORISED")
    assert invoice["CreditNotes"][0]["CreditNoteID"] == credit["CreditNoteID"]
    assert invoice["CreditNotes"][0]["AppliedAmount"] == 46.0
    after = api.get(f"/CreditNotes/{credit['CreditNoteID']}").get_json()["CreditNotes"][0]
    assert after["RemainingCredit"] == 0 and after["Status"] == "PAID"
    pay(api, sale["InvoiceID"], 69)
    assert get_invoice(api, sale["InvoiceID"])["Status"] == "PAID"
    assert "ARCREDITPAYMENT" not in {p["PaymentType"] for p in api.get("/Payments").get_json()["Payments"]}


def test_credit_note_can_settle_an_invoice_alone_and_over_allocation_is_refused(api, sale):
    contact = sale["Contact"]["ContactID"]
    note = api.put("/CreditNotes", {"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
        "LineItems": [{"Description": "Full", "Quantity": 1, "UnitAmount": 200, "AccountCode": "200",
                       "TaxType": "OUTPUT2"}]}]}).get_json()["CreditNotes"][0]
    path = f"/CreditNotes/{note['CreditNoteID']}/Allocations"
    too_much = api.put(path, {"Allocations": [{"Invoice": {"InvoiceID": sale["InvoiceID"]}, "Amount": 116, "Date": "2026-03-03"}]})
    assert messages(too_much.get_json()) == ["The amount allocated exceeds the amount outstanding on the invoice."]
    api.put(path, {"Allocations": [{"Invoice": {"InvoiceID": sale["InvoiceID"]}, "Amount": 115, "Date": "2026-03-03"}]})
    invoice = get_invoice(api, sale["InvoiceID"])
    assert (invoice["Status"], invoice["AmountDue"]) == ("PAID", 0)
