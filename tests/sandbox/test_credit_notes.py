"""Credit notes as any Xero client uses them: update one, status rules, the PDF, History,
allocations (rules, removal seen by If-Modified-Since) and cash refunds of credit, every
exchange checked against the spec by the Api helper (and the new operations listed at the end)."""
import pytest

from tests.invoicing.test_show_and_pdf import pdf_strings

from .helpers import messages

LOCKED = "This document cannot be edited as it has a payment or credit note allocated to it."
BAD_STATUS = "Invoice not of valid status for modification"


def contact_id(api, name="Northwind Studio"):
    return api.get("/Contacts", query={"where": f'Name=="{name}"'}).get_json()["Contacts"][0]["ContactID"]


def line(amount=40, account="200", tax="OUTPUT2"):
    return {"Description": "Goodwill", "Quantity": 1, "UnitAmount": amount, "AccountCode": account, "TaxType": tax}


def make_note(api, contact, amount=40, status="AUTHORISED", kind="ACCRECCREDIT", **extra):
    body = {"Type": kind, "Contact": {"ContactID": contact}, "Status": status, "Date": "2026-03-02",
            "LineItems": [line(amount, *(("429", "INPUT2") if kind == "ACCPAYCREDIT" else ()))]}
    body.update(extra)
    response = api.put("/CreditNotes", {"CreditNotes": [body]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["CreditNotes"][0]


def make_invoice(api, contact, amount=100, kind="ACCREC", **extra):
    body = {"Type": kind, "Contact": {"ContactID": contact}, "Status": "AUTHORISED", "Date": "2026-03-01",
            "DueDate": "2026-03-31",
            "LineItems": [line(amount, *(("429", "INPUT2") if kind == "ACCPAY" else ()))]}
    body.update(extra)
    return api.put("/Invoices", {"Invoices": [body]}).get_json()["Invoices"][0]


def allocate(api, note, invoice, amount, **kw):
    return api.put(f"/CreditNotes/{note['CreditNoteID']}/Allocations",
                   {"Allocations": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": amount,
                                     "Date": "2026-03-03"}]}, **kw)


def refund(api, note, amount, code="090", **kw):
    return api.put("/Payments", {"Payments": [{"CreditNote": {"CreditNoteID": note["CreditNoteID"]},
                                               "Account": {"Code": code}, "Date": "2026-03-04",
                                               "Amount": amount, "Reference": "Refund"}]}, **kw)


def get_note(api, note):
    return api.get(f"/CreditNotes/{note['CreditNoteID']}").get_json()["CreditNotes"][0]


def get_invoice(api, invoice):
    return api.get(f"/Invoices/{invoice['InvoiceID']}").get_json()["Invoices"][0]


@pytest.fixture
def customer(api):
    return contact_id(api)


def test_post_to_one_credit_note_updates_it_and_keeps_xeros_status_rules(api, customer):
    draft = make_note(api, customer, status="DRAFT")
    path = f"/CreditNotes/{draft['CreditNoteID']}"
    edited = api.post(path, {"CreditNotes": [{"Reference": "Returned goods"}]})
    assert edited.status_code == 200 and edited.get_json()["CreditNotes"][0]["Reference"] == "Returned goods"
    bare = api.post(path, {"Reference": "bare"}, validate_request=False)  # SDKs send the wrapped form
    assert bare.get_json()["CreditNotes"][0]["Reference"] == "bare"
    deleted = api.post(path, {"CreditNotes": [{"Status": "DELETED"}]}).get_json()["CreditNotes"][0]
    assert deleted["Status"] == "DELETED"
    assert messages(api.post(path, {"CreditNotes": [{"Reference": "again"}]}).get_json()) == [BAD_STATUS]

    approved = make_note(api, customer)
    path = f"/CreditNotes/{approved['CreditNoteID']}"
    refused = api.post(path, {"CreditNotes": [{"Status": "DELETED"}]})
    assert refused.status_code == 400
    body = refused.get_json()
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    assert body["Elements"][0]["CreditNoteID"] == approved["CreditNoteID"] and messages(body) == [BAD_STATUS]
    invoice = make_invoice(api, customer)
    allocation = allocate(api, approved, invoice, 10).get_json()["Allocations"][0]
    assert messages(api.post(path, {"CreditNotes": [{"Status": "VOIDED"}]}).get_json()) == [LOCKED]
    api.call("DELETE", f"{path}/Allocations/{allocation['AllocationID']}")
    voided = api.post(path, {"CreditNotes": [{"Status": "VOIDED"}]}).get_json()["CreditNotes"][0]
    assert voided["Status"] == "VOIDED"
    assert api.post("/CreditNotes/00000000-0000-0000-0000-000000000000",
                    {"CreditNotes": [{"Reference": "x"}]}, check=False).status_code == 404


def test_the_pdf_by_accept_header_and_no_pdf_path(api, customer):
    note = make_note(api, customer, Reference="US Tour")
    invoice = make_invoice(api, customer)
    allocate(api, note, invoice, 20)
    response = api.get(f"/CreditNotes/{note['CreditNoteID']}", headers={"Accept": "application/pdf"})
    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = pdf_strings(response.data)
    for expected in ("CREDIT NOTE", note["CreditNoteNumber"], "Less allocated to invoices", "Remaining credit NZD",
                     "26.00"):
        assert expected in text, expected
    assert api.get(f"/CreditNotes/{note['CreditNoteID']}/pdf", check=False).status_code == 404


def test_history_lists_what_happened_and_takes_notes(api, customer):
    note = make_note(api, customer)
    invoice = make_invoice(api, customer)
    allocation = allocate(api, note, invoice, 5).get_json()["Allocations"][0]
    api.call("DELETE", f"/CreditNotes/{note['CreditNoteID']}/Allocations/{allocation['AllocationID']}")
    path = f"/CreditNotes/{note['CreditNoteID']}/History"
    added = api.put(path, {"HistoryRecords": [{"Details": "Customer returned two stands."}]})
    assert added.status_code == 200 and added.get_json()["HistoryRecords"][0]["Details"].startswith("Customer")
    too_long = api.put(path, {"HistoryRecords": [{"Details": "n" * 251}]})
    assert too_long.status_code == 400
    changes = [h["Changes"] for h in api.get(path).get_json()["HistoryRecords"]]
    assert changes == ["Created", "Approved", "Credit Applied", "Credit Removed", "Note"]
    records = api.get(f"/Invoices/{invoice['InvoiceID']}/History").get_json()["HistoryRecords"]
    invoice_changes = [h["Changes"] for h in records]
    assert invoice_changes[-2:] == ["Credit Applied", "Credit Removed"]
    # A credit note's history is not an invoice's, and the reverse.
    assert api.get(f"/Invoices/{note['CreditNoteID']}/History", check=False).status_code == 404


def test_allocation_rules_are_refused_with_a_validation_exception(api, customer):
    contacts = api.get("/Contacts", query={"where": 'ContactStatus=="ACTIVE"'}).get_json()["Contacts"]
    someone_else = next(c["ContactID"] for c in contacts if c["ContactID"] != customer)
    note = make_note(api, customer, amount=40)  # 46.00 with GST
    invoice = make_invoice(api, customer, amount=20)  # 23.00
    draft = make_note(api, customer, status="DRAFT")
    cases = [
        (allocate(api, draft, invoice, 5), "Allocations can only be made from and to Authorised documents."),
        (allocate(api, note, make_invoice(api, someone_else), 5),
         "The credit note and the invoice must be for the same contact."),
        (allocate(api, note, make_invoice(api, customer, CurrencyCode="USD"), 5),
         "The credit note and the invoice must be in the same currency."),
        (allocate(api, note, invoice, 24), "The amount allocated exceeds the amount outstanding on the invoice."),
        (allocate(api, note, make_invoice(api, customer, amount=100), 47),
         "The amount allocated exceeds the remaining credit on this credit note."),
        (allocate(api, note, make_invoice(api, customer, kind="ACCPAY"), 5),
         "The document with the supplied id was not found for this endpoint."),
    ]
    for response, message in cases:
        assert response.status_code == 400
        body = response.get_json()
        assert (body["ErrorNumber"], body["Type"], body["Message"]) == (
            10, "ValidationException", "A validation exception occurred")
        assert messages(body) == [message]
    by_number = api.put(f"/CreditNotes/{note['CreditNoteID']}/Allocations", {"Allocations": [{
        "Invoice": {"InvoiceNumber": invoice["InvoiceNumber"]}, "Amount": 1, "Date": "2026-03-03"}]})
    assert by_number.status_code == 200 and get_invoice(api, invoice)["AmountCredited"] == 1.0
    per_element = allocate(api, note, invoice, 23, query={"summarizeErrors": "false"})
    assert per_element.status_code == 200
    assert per_element.get_json()["Allocations"][0]["StatusAttributeString"] == "ERROR"
    assert get_note(api, note)["RemainingCredit"] == 45.0  # only the 1.00 by number was applied
    assert get_invoice(api, invoice)["AmountCredited"] == 1.0


def test_allocating_settles_and_removing_restores_both_seen_by_if_modified_since(api, client, customer):
    note = make_note(api, customer, amount=100)  # 115.00
    invoice = make_invoice(api, customer, amount=100)  # 115.00
    made = allocate(api, note, invoice, 115).get_json()["Allocations"][0]
    assert made["Amount"] == 115.0 and made["CreditNote"]["CreditNoteID"] == note["CreditNoteID"]
    paid = get_invoice(api, invoice)
    assert (paid["Status"], paid["AmountDue"], paid["AmountCredited"]) == ("PAID", 0, 115.0)
    assert paid["CreditNotes"] == [{
        "CreditNoteID": note["CreditNoteID"], "CreditNoteNumber": note["CreditNoteNumber"], "Type": "ACCRECCREDIT",
        "Date": "/Date(1772496000000+0000)/", "DateString": "2026-03-03T00:00:00", "Total": 115.0,
        "AppliedAmount": 115.0, "LineItems": [], "HasErrors": False}]
    used = get_note(api, note)
    assert (used["Status"], used["RemainingCredit"]) == ("PAID", 0)
    assert [(a["AllocationID"], a["Amount"], a["Invoice"]["InvoiceID"]) for a in used["Allocations"]] == [
        (made["AllocationID"], 115.0, invoice["InvoiceID"])]

    client.post("/_sandbox/clock/advance", json={"seconds": 120})
    cursor = client.get("/_sandbox/clock").get_json()["now"][:19] + "Z"
    since = {"If-Modified-Since": cursor}
    assert api.get("/CreditNotes", headers=since).get_json()["CreditNotes"] == []
    removed = api.call("DELETE", f"/CreditNotes/{note['CreditNoteID']}/Allocations/{made['AllocationID']}")
    assert removed.status_code == 200
    assert removed.get_json()["IsDeleted"] is True and removed.get_json()["AllocationID"] == made["AllocationID"]
    changed_notes = api.get("/CreditNotes", headers=since).get_json()["CreditNotes"]
    changed_invoices = api.get("/Invoices", headers=since).get_json()["Invoices"]
    assert [n["CreditNoteID"] for n in changed_notes] == [note["CreditNoteID"]]
    assert [i["InvoiceID"] for i in changed_invoices] == [invoice["InvoiceID"]]
    back = changed_invoices[0]
    assert (back["Status"], back["AmountDue"], back["AmountCredited"], back["CreditNotes"]) == (
        "AUTHORISED", 115.0, 0, [])
    assert "FullyPaidOnDate" not in back
    restored = changed_notes[0]
    assert (restored["Status"], restored["RemainingCredit"], restored["Allocations"]) == ("AUTHORISED", 115.0, [])
    assert restored["UpdatedDateUTC"] == back["UpdatedDateUTC"]
    again = api.call("DELETE", f"/CreditNotes/{note['CreditNoteID']}/Allocations/{made['AllocationID']}", check=False)
    assert again.status_code == 404


def test_list_pages_and_filters_credit_notes(api, customer):
    made = [make_note(api, customer, amount=10 + n, Reference=f"P-{n}") for n in range(3)]
    page = api.get("/CreditNotes", query={"page": 1, "pageSize": 2, "order": "CreditNoteNumber ASC"}).get_json()
    assert page["pagination"] == {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 3}
    assert [n["CreditNoteNumber"] for n in page["CreditNotes"]] == [m["CreditNoteNumber"] for m in made[:2]]
    assert page["CreditNotes"][0]["LineItems"]  # paged lists carry line items
    second = api.get("/CreditNotes", query={"page": 2, "pageSize": 2, "order": "CreditNoteNumber ASC"}).get_json()
    assert [n["Reference"] for n in second["CreditNotes"]] == ["P-2"]
    filtered = api.get("/CreditNotes", query={"where": 'Reference=="P-1"'}).get_json()["CreditNotes"]
    assert [n["CreditNoteID"] for n in filtered] == [made[1]["CreditNoteID"]]


def test_a_cash_refund_of_credit_is_a_credit_payment(api, customer):
    note = make_note(api, customer, amount=40)  # 46.00
    invoice = make_invoice(api, customer, amount=20)  # 23.00
    allocate(api, note, invoice, 23)
    too_much = refund(api, note, 24)
    assert too_much.status_code == 400
    assert messages(too_much.get_json()) == ["Payment amount exceeds the amount outstanding on this document"]
    part = refund(api, note, 3).get_json()["Payments"][0]
    assert (part["PaymentType"], part["Status"], part["Amount"]) == ("ARCREDITPAYMENT", "AUTHORISED", 3.0)
    # The spec's examples show the credit note under Invoice; its schema also has CreditNote.
    assert (part["Invoice"]["InvoiceID"], part["Invoice"]["Type"]) == (note["CreditNoteID"], "ACCRECCREDIT")
    assert part["CreditNote"]["CreditNoteID"] == note["CreditNoteID"] and part["CreditNote"]["RemainingCredit"] == 20.0
    by_number = api.put("/Payments", {"Payments": [{"CreditNote": {"CreditNoteNumber": note["CreditNoteNumber"]},
                                                    "Account": {"Code": "090"}, "Date": "2026-03-05",
                                                    "Amount": 20}]}).get_json()["Payments"][0]
    used = get_note(api, note)
    assert (used["Status"], used["RemainingCredit"]) == ("PAID", 0)
    assert [p["PaymentID"] for p in used["Payments"]] == [part["PaymentID"], by_number["PaymentID"]]
    assert used["FullyPaidOnDate"] == "/Date(1772668800000+0000)/"
    listed = api.get("/Payments", query={"where": 'PaymentType=="ARCREDITPAYMENT"'}).get_json()["Payments"]
    assert {p["PaymentID"] for p in listed} == {part["PaymentID"], by_number["PaymentID"]}
    # Invoice payment polling (notes §14) does not see refunds.
    polled = api.get("/Payments", query={"where": 'PaymentType=="ACCRECPAYMENT"'}).get_json()["Payments"]
    assert part["PaymentID"] not in {p["PaymentID"] for p in polled}
    deleted = api.post(f"/Payments/{by_number['PaymentID']}", {"Status": "DELETED"}).get_json()["Payments"][0]
    assert deleted["Status"] == "DELETED" and deleted["PaymentType"] == "ARCREDITPAYMENT"
    back = get_note(api, note)
    assert (back["Status"], back["RemainingCredit"], len(back["Payments"])) == ("AUTHORISED", 20.0, 1)
    assert "FullyPaidOnDate" not in back
    assert messages(api.post(f"/CreditNotes/{note['CreditNoteID']}",
                             {"CreditNotes": [{"Status": "VOIDED"}]}).get_json()) == [LOCKED]


def test_refund_rules_and_a_supplier_credit(api, customer):
    draft = make_note(api, customer, status="DRAFT")
    assert messages(refund(api, draft, 1).get_json()) == ["Payments can only be made against Authorised documents"]
    assert messages(refund(api, make_note(api, customer), 1, code="200").get_json()) == [
        "Account type is invalid for making a payment to/from"]
    unknown = {"CreditNoteID": "00000000-0000-0000-0000-000000000000"}
    missing = api.put("/Payments", {"Payments": [{"CreditNote": unknown, "Account": {"Code": "090"}, "Amount": 1}]})
    assert messages(missing.get_json()) == ["The document with the supplied id was not found for this endpoint."]
    credit = make_note(api, customer, amount=20, kind="ACCPAYCREDIT")  # any contact can be a supplier
    assert credit["CreditNoteNumber"] == ""  # supplier credit notes carry the supplier's number, if any
    made = refund(api, credit, 23).get_json()["Payments"][0]
    assert (made["PaymentType"], made["Invoice"]["Type"]) == ("APCREDITPAYMENT", "ACCPAYCREDIT")
    assert get_note(api, credit)["Status"] == "PAID"


def test_idempotency_key_replays_an_allocation_and_a_refund(api, customer):
    note = make_note(api, customer, amount=100)
    invoice = make_invoice(api, customer)
    key = {"Idempotency-Key": "alloc-1"}
    first = allocate(api, note, invoice, 10, headers=key)
    again = allocate(api, note, invoice, 10, headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == first.get_json()
    assert get_invoice(api, invoice)["AmountCredited"] == 10.0
    refund_key = {"Idempotency-Key": "refund-1"}
    paid = refund(api, note, 5, headers=refund_key)
    assert refund(api, note, 5, headers=refund_key).get_json() == paid.get_json()
    assert get_note(api, note)["RemainingCredit"] == 100.0
    different = allocate(api, note, invoice, 11, headers=key)
    assert different.status_code == 400 and "is used with a different request" in different.get_json()["Message"]


NEW_OPERATIONS = {
    "POST /api.xro/2.0/CreditNotes/{id} 200", "POST /api.xro/2.0/CreditNotes/{id} 400",
    "GET /api.xro/2.0/CreditNotes/{id}/pdf 200",
    "GET /api.xro/2.0/CreditNotes/{id}/History 200", "PUT /api.xro/2.0/CreditNotes/{id}/History 200",
    "PUT /api.xro/2.0/CreditNotes/{id}/History 400",
    "DELETE /api.xro/2.0/CreditNotes/{id}/Allocations/{allocation} 200",
    "PUT /api.xro/2.0/Payments 200", "PUT /api.xro/2.0/Payments 400", "GET /api.xro/2.0/Payments/{refund} 200",
    "POST /api.xro/2.0/Payments/{refund} 200", "GET /api.xro/2.0/CreditNotes 200",
}


def test_the_new_operations_are_validated_against_the_spec(api, contract, customer):
    start = len(contract.checked)
    note = make_note(api, customer, amount=50)
    nid = note["CreditNoteID"]
    api.post(f"/CreditNotes/{nid}", {"CreditNotes": [{"Reference": "spec"}]})
    api.post(f"/CreditNotes/{nid}", {"CreditNotes": [{"Status": "DRAFT"}]})
    api.get(f"/CreditNotes/{nid}", headers={"Accept": "application/pdf"})
    api.put(f"/CreditNotes/{nid}/History", {"HistoryRecords": [{"Details": "note"}]})
    api.put(f"/CreditNotes/{nid}/History", {"HistoryRecords": [{"Details": ""}]})
    api.get(f"/CreditNotes/{nid}/History")
    invoice = make_invoice(api, customer)
    allocation = allocate(api, note, invoice, 5).get_json()["Allocations"][0]["AllocationID"]
    api.call("DELETE", f"/CreditNotes/{nid}/Allocations/{allocation}")
    made = refund(api, note, 5).get_json()["Payments"][0]["PaymentID"]
    refund(api, note, 5000)
    api.get(f"/Payments/{made}"), api.get("/Payments"), api.get("/CreditNotes", query={"page": 1})
    api.post(f"/Payments/{made}", {"Status": "DELETED"})
    ids = {nid: "{id}", allocation: "{allocation}", made: "{refund}"}
    seen = set()
    for entry in contract.checked[start:]:
        for value, name in ids.items():
            entry = entry.replace(value, name)
        seen.add(entry)
    assert NEW_OPERATIONS <= seen, sorted(NEW_OPERATIONS - seen)
