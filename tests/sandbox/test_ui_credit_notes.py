"""Credit notes in the sandbox's demo UI: create one for a contact, approve, allocate it to an
open invoice, remove the allocation (from either page), refund, void; refusals keep what was
typed and say what is wrong at the field. Results are read back through the API."""
import re

from bridge.xero_sandbox.seed import NZ_TENANT

UI = f"/_ui/{NZ_TENANT}"


def customer(api):
    """A contact of its own (no seeded invoices), made on first use."""
    found = api.get("/Contacts", query={"where": 'Name=="Credit Test Ltd"'}).get_json()["Contacts"]
    if found:
        return found[0]["ContactID"]
    return api.put("/Contacts", {"Contacts": [{"Name": "Credit Test Ltd"}]}).get_json()["Contacts"][0]["ContactID"]


def form(**changes):
    data = {"type": "ACCRECCREDIT", "contact_id": "", "date": "2026-03-02", "reference": "Returned stands",
            "description": "Two mic stands returned", "amount": "40.00", "account_code": "200",
            "tax_type": "OUTPUT2", "currency": "NZD", "status": "AUTHORISED"}
    data.update(changes)
    return data


def create_note(client, api, **changes):
    response = client.post(f"{UI}/credit-notes/new", data=form(contact_id=customer(api), **changes))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def open_invoice(api, amount=100):
    body = {"Type": "ACCREC", "Contact": {"ContactID": customer(api)}, "Status": "AUTHORISED", "Date": "2026-03-01",
            "DueDate": "2026-03-31", "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": amount,
                                                   "AccountCode": "200", "TaxType": "OUTPUT2"}]}
    return api.put("/Invoices", {"Invoices": [body]}).get_json()["Invoices"][0]


def note_json(api, note_id):
    return api.get(f"/CreditNotes/{note_id}").get_json()["CreditNotes"][0]


def test_the_organisation_page_lists_credit_notes_and_links_the_form(client, api):
    note_id = create_note(client, api)
    page = client.get(f"{UI}/").get_data(as_text=True)
    assert f'href="{UI}/credit-notes/new"' in page and "Remaining" in page
    assert f'{UI}/invoices/{note_id}' in page and "CN-0001" in page
    new = client.get(f"{UI}/credit-notes/new").get_data(as_text=True)
    assert "Credit Test Ltd" in new and "Northwind Studio" in new and "Save &amp; approve" in new
    assert '<option value="200" selected>' in new and '<option value="OUTPUT2" selected>' in new  # sales defaults
    supplier = client.get(f"{UI}/credit-notes/new", query_string={"type": "ACCPAYCREDIT"}).get_data(as_text=True)
    assert '<option value="429" selected>' in supplier and '<option value="INPUT2" selected>' in supplier


def test_create_a_credit_note_refused_fields_keep_what_was_typed(client, api):
    refused = client.post(f"{UI}/credit-notes/new", data=form(amount="forty", description="Kept text"))
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'id="contact_id-error">Choose a contact.<' in page
    assert 'id="amount-error">Enter an amount, e.g. 115.00.<' in page
    assert 'value="Kept text"' in page and 'value="forty"' in page and 'value="Returned stands"' in page
    assert api.get("/CreditNotes").get_json()["CreditNotes"] == []  # nothing half-written
    # A rule of the API (an account the tax type does not fit) comes back as a message, typed values kept.
    wrong = client.post(f"{UI}/credit-notes/new", data=form(contact_id=customer(api), tax_type="INPUT2"))
    assert wrong.status_code == 400
    text = wrong.get_data(as_text=True)
    assert "The TaxType code INPUT2" in text and 'value="Two mic stands returned"' in text
    assert api.get("/CreditNotes").get_json()["CreditNotes"] == []

    note_id = create_note(client, api)
    page = client.get(f"{UI}/invoices/{note_id}").get_data(as_text=True)
    assert re.search(r'id="remaining-credit"><strong>46.00<', page)
    note = note_json(api, note_id)
    assert (note["Status"], note["Total"], note["Reference"], note["CreditNoteNumber"]) == (
        "AUTHORISED", 46.0, "Returned stands", "CN-0001")


def test_approve_a_draft_then_allocate_and_remove_from_both_pages(client, api):
    note_id = create_note(client, api, status="DRAFT")
    page = client.get(f"{UI}/invoices/{note_id}").get_data(as_text=True)
    assert "Allocate credit" not in page
    assert client.post(f"{UI}/invoices/{note_id}/approve").status_code == 303
    invoice = open_invoice(api, amount=20)  # 23.00 due
    page = client.get(f"{UI}/invoices/{note_id}").get_data(as_text=True)
    assert f'<option value="{invoice["InvoiceID"]}"' in page and 'value="23.00"' in page  # min(46, 23)

    bad = client.post(f"{UI}/invoices/{note_id}/allocations",
                      data={"invoice_id": invoice["InvoiceID"], "amount": "0", "date": "03/03/2026"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert 'id="amount-error">Enter an amount greater than zero.<' in text
    assert 'id="date-error">Enter a date as YYYY-MM-DD.<' in text and 'value="03/03/2026"' in text
    too_much = client.post(f"{UI}/invoices/{note_id}/allocations",
                           data={"invoice_id": invoice["InvoiceID"], "amount": "30", "date": "2026-03-03"})
    assert too_much.status_code == 400
    assert "exceeds the amount outstanding on the invoice" in too_much.get_data(as_text=True)
    assert 'value="30"' in too_much.get_data(as_text=True)

    done = client.post(f"{UI}/invoices/{note_id}/allocations",
                       data={"invoice_id": invoice["InvoiceID"], "amount": "23.00", "date": "2026-03-03"})
    assert done.status_code == 303
    paid = api.get(f"/Invoices/{invoice['InvoiceID']}").get_json()["Invoices"][0]
    assert (paid["Status"], paid["AmountCredited"], paid["AmountDue"]) == ("PAID", 23.0, 0)
    assert note_json(api, note_id)["RemainingCredit"] == 23.0
    page = client.get(f"{UI}/invoices/{note_id}").get_data(as_text=True)
    assert re.search(r'id="allocated">23.00<', page) and re.search(r'id="remaining-credit"><strong>23.00<', page)
    assert "has no approved invoice in NZD with an amount due" in page  # the only open one is paid now
    remove = re.search(r'action="(/_ui/[^"]+/allocations/[^"]+/delete)"', page).group(1)
    back = client.post(remove, data={"back": note_id})
    assert back.status_code == 303 and back.headers["Location"].endswith(note_id)
    restored = api.get(f"/Invoices/{invoice['InvoiceID']}").get_json()["Invoices"][0]
    assert (restored["Status"], restored["AmountDue"], restored["CreditNotes"]) == ("AUTHORISED", 23.0, [])
    assert note_json(api, note_id)["RemainingCredit"] == 46.0
    assert client.post(remove).status_code == 404  # already removed

    client.post(f"{UI}/invoices/{note_id}/allocations",
                data={"invoice_id": invoice["InvoiceID"], "amount": "5", "date": "2026-03-03"})
    invoice_page = client.get(f"{UI}/invoices/{invoice['InvoiceID']}").get_data(as_text=True)
    assert "CN-0001" in invoice_page
    remove = re.search(r'action="(/_ui/[^"]+/allocations/[^"]+/delete)"', invoice_page).group(1)
    back = client.post(remove, data={"back": invoice["InvoiceID"]})
    assert back.headers["Location"].endswith(invoice["InvoiceID"])
    assert api.get(f"/Invoices/{invoice['InvoiceID']}").get_json()["Invoices"][0]["AmountCredited"] == 0


def test_refund_then_void_rules(client, api):
    note_id = create_note(client, api)
    page = client.get(f"{UI}/invoices/{note_id}").get_data(as_text=True)
    assert "Record a cash refund" in page
    bank = re.search(r'<option value="([0-9a-f-]{36})">090 ', page).group(1)
    too_much = client.post(f"{UI}/invoices/{note_id}/payments",
                           data={"amount": "50", "date": "2026-03-04", "reference": "Kept", "account_id": bank})
    assert too_much.status_code == 400
    text = too_much.get_data(as_text=True)
    assert "Payment amount exceeds the amount outstanding" in text and 'value="Kept"' in text
    done = client.post(f"{UI}/invoices/{note_id}/payments",
                       data={"amount": "6", "date": "2026-03-04", "reference": "Cash back", "account_id": bank})
    assert done.status_code == 303
    note = note_json(api, note_id)
    assert (note["RemainingCredit"], [p["Amount"] for p in note["Payments"]]) == (40.0, [6.0])
    refunds = api.get("/Payments", query={"where": 'PaymentType=="ARCREDITPAYMENT"'}).get_json()["Payments"]
    assert [p["Reference"] for p in refunds] == ["Cash back"]
    refused = client.post(f"{UI}/invoices/{note_id}/void")
    assert refused.status_code == 400 and "payment or credit note allocated" in refused.get_data(as_text=True)
    page = client.get(f"{UI}/invoices/{note_id}").get_data(as_text=True)
    remove = re.search(r'action="(/_ui/[^"]+/payments/[^"]+/delete)"', page).group(1)
    assert client.post(remove).status_code == 303
    assert client.post(f"{UI}/invoices/{note_id}/void").status_code == 303
    assert note_json(api, note_id)["Status"] == "VOIDED"
