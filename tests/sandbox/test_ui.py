"""The sandbox's own "Xero" web UI: lists, one invoice, payments, remove & redo, void."""
import re

from bridge.xero_sandbox.seed import NZ_TENANT


def invoice_id(api, number):
    return api.get("/Invoices", query={"InvoiceNumbers": number}).get_json()["Invoices"][0]["InvoiceID"]


def test_index_and_organisation_pages(client):
    index = client.get("/_ui/").get_data(as_text=True)
    assert "Xero sandbox" in index and "Demo Company (NZ)" in index
    page = client.get(f"/_ui/{NZ_TENANT}/").get_data(as_text=True)
    assert "Sales invoices" in page and "Bills to pay" in page
    assert "INV-0002" in page and "Awaiting Payment" in page and "BILL-016" in page
    assert client.get("/ui/").status_code == 302


def test_record_a_partial_payment_through_the_form(client, api):
    target = invoice_id(api, "INV-0001")
    page = client.get(f"/_ui/{NZ_TENANT}/invoices/{target}").get_data(as_text=True)
    assert "1,725.00" in page and "Record a payment" in page
    bank = re.search(r'<option value="([0-9a-f-]{36})">090 ', page).group(1)
    response = client.post(f"/_ui/{NZ_TENANT}/invoices/{target}/payments",
                           data={"amount": "725.00", "date": "2026-03-20", "reference": "Part", "account_id": bank})
    assert response.status_code == 303
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="amount-due"><strong>1,000.00<', after)
    assert "Payment Received" in after
    invoice = api.get(f"/Invoices/{target}").get_json()["Invoices"][0]
    assert (invoice["AmountPaid"], invoice["AmountDue"], invoice["Status"]) == (725.0, 1000.0, "AUTHORISED")
    payments = api.get("/Payments", query={"where": f'Invoice.InvoiceID==Guid("{target}")'}).get_json()["Payments"]
    assert [p["Reference"] for p in payments] == ["Part"]


def test_payment_errors_are_shown_on_the_page(client, api):
    target = invoice_id(api, "INV-0001")
    page = client.get(f"/_ui/{NZ_TENANT}/invoices/{target}").get_data(as_text=True)
    bank = re.search(r'<option value="([0-9a-f-]{36})">090 ', page).group(1)
    response = client.post(f"/_ui/{NZ_TENANT}/invoices/{target}/payments",
                           data={"amount": "5000", "date": "2026-03-20", "account_id": bank})
    assert response.status_code == 400
    assert "Payment amount exceeds the amount outstanding" in response.get_data(as_text=True)


def test_remove_and_redo_a_payment(client, api):
    target = invoice_id(api, "INV-0002")
    page = client.get(f"/_ui/{NZ_TENANT}/invoices/{target}").get_data(as_text=True)
    remove = re.search(r'action="(/_ui/[^"]+/payments/[^"]+/delete)"', page).group(1)
    assert client.post(remove).status_code == 303
    invoice = api.get(f"/Invoices/{target}").get_json()["Invoices"][0]
    assert invoice["AmountPaid"] == 0 and invoice["AmountDue"] == invoice["Total"]
    listed = api.get("/Payments", query={"where": f'Invoice.InvoiceID==Guid("{target}")'}).get_json()["Payments"]
    assert [p["Status"] for p in listed] == ["DELETED"]


def test_void_and_approve(client, api):
    draft = invoice_id(api, "INV-0004")
    assert client.post(f"/_ui/{NZ_TENANT}/invoices/{draft}/approve").status_code == 303
    assert api.get(f"/Invoices/{draft}").get_json()["Invoices"][0]["Status"] == "AUTHORISED"
    assert client.post(f"/_ui/{NZ_TENANT}/invoices/{draft}/void").status_code == 303
    assert api.get(f"/Invoices/{draft}").get_json()["Invoices"][0]["Status"] == "VOIDED"
    part_paid = invoice_id(api, "INV-0002")
    refused = client.post(f"/_ui/{NZ_TENANT}/invoices/{part_paid}/void")
    assert refused.status_code == 400
    assert "payment or credit note allocated" in refused.get_data(as_text=True)


def test_unknown_pages_are_404(client):
    assert client.get("/_ui/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_an_invoice_page_shows_tracking_theme_and_attachments(client, contract, oauth):
    from bridge.xero_sandbox.db_settings import stable_id

    from .helpers import ATTACHMENT_SCOPES, Api

    api = Api(client, contract, oauth.connect(scope=ATTACHMENT_SCOPES)["access_token"], NZ_TENANT)
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    line = {"Description": "Brand workshop", "Quantity": 1, "UnitAmount": 2400, "AccountCode": "200",
            "TaxType": "OUTPUT2", "Tracking": [{"Name": "Region", "Option": "North"},
                                               {"Name": "Department", "Option": "Design"}]}
    sale = {"Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED", "LineItems": [line],
            "BrandingThemeID": stable_id(NZ_TENANT, "branding-theme", "Agency")}
    target = api.put("/Invoices", {"Invoices": [sale]}).get_json()["Invoices"][0]["InvoiceID"]
    content = b"%PDF-1.4\n" + b"0" * 2039
    api.upload(f"/Invoices/{target}/Attachments/Signed%20SOW.pdf", content, query={"IncludeOnline": "true"})
    page = client.get(f"/_ui/{NZ_TENANT}/invoices/{target}").get_data(as_text=True)
    assert '<span class="tag">Region: North</span><span class="tag">Department: Design</span>' in page
    assert '<span id="branding-theme">Agency</span>' in page and "(default)" not in page
    assert "Signed SOW.pdf" in page and "2.0 KB" in page and "Shown" in page
    link = re.search(r'href="(/_ui/[^"]+/attachments/[0-9a-f-]{36})" download', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == content
    assert download.content_type == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''Signed%20SOW.pdf"
    assert client.get(link.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_document_without_a_theme_shows_the_default_one(client, api):
    page = client.get(f"/_ui/{NZ_TENANT}/invoices/{invoice_id(api, 'INV-0001')}").get_data(as_text=True)
    assert '<span id="branding-theme">Standard</span> <span class="muted">(default)</span>' in page
    assert "No files attached." in page
