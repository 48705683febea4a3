"""Every operation the sandbox serves, validated against Xero's OpenAPI files.

The Api helper validates each request it sends and each response it gets (see
contract.py); this module drives every operation once, success and spec-defined errors,
and then checks that each exchange was really validated, not skipped as "status not in
the spec".
"""
from bridge.xero_sandbox.seed import NZ_TENANT

EXPECTED = {
    "GET /api.xro/2.0/Organisation 200", "GET /api.xro/2.0/Accounts 200", "GET /api.xro/2.0/TaxRates 200",
    "GET /api.xro/2.0/Currencies 200",
    "GET /api.xro/2.0/Contacts 200", "GET /api.xro/2.0/Contacts/{id} 200",
    "PUT /api.xro/2.0/Contacts 200", "PUT /api.xro/2.0/Contacts 400",
    "POST /api.xro/2.0/Contacts 200", "POST /api.xro/2.0/Contacts/{id} 200",
    "GET /api.xro/2.0/Invoices 200", "GET /api.xro/2.0/Invoices/{id} 200", "GET /api.xro/2.0/Invoices/{id}/pdf 200",
    "PUT /api.xro/2.0/Invoices 200", "PUT /api.xro/2.0/Invoices 400",
    "POST /api.xro/2.0/Invoices 200", "POST /api.xro/2.0/Invoices 400",
    "POST /api.xro/2.0/Invoices/{id} 200", "POST /api.xro/2.0/Invoices/{id} 400",
    "GET /api.xro/2.0/Invoices/{id}/History 200", "PUT /api.xro/2.0/Invoices/{id}/History 200",
    "PUT /api.xro/2.0/Invoices/{id}/History 400",
    "PUT /api.xro/2.0/Payments 200", "PUT /api.xro/2.0/Payments 400", "POST /api.xro/2.0/Payments 200",
    "POST /api.xro/2.0/Payments 400", "GET /api.xro/2.0/Payments 200", "GET /api.xro/2.0/Payments/{id} 200",
    "POST /api.xro/2.0/Payments/{id} 200", "POST /api.xro/2.0/Payments/{id} 400",
    "PUT /api.xro/2.0/CreditNotes 200", "PUT /api.xro/2.0/CreditNotes 400", "GET /api.xro/2.0/CreditNotes 200",
    "GET /api.xro/2.0/CreditNotes/{id} 200",
    "PUT /api.xro/2.0/CreditNotes/{id}/Allocations 200", "PUT /api.xro/2.0/CreditNotes/{id}/Allocations 400",
    "GET /Connections 200", "DELETE /Connections/{id} 204", "DELETE /Connections/{id} 404",
}


def _normalise(entry: str, ids: list[str]) -> str:
    for value in ids:
        entry = entry.replace(value, "{id}")
    return entry


def test_every_operation_is_validated_against_the_spec(api, contract, connected):
    start = len(contract.checked)
    contact = api.get("/Contacts").get_json()["Contacts"][0]
    cid = contact["ContactID"]
    api.get("/Organisation"), api.get("/Accounts"), api.get("/TaxRates")
    api.get("/Currencies"), api.get("/Currencies", query={"where": 'Code=="USD"', "order": "Code ASC"})
    api.get(f"/Contacts/{cid}")
    api.put("/Contacts", {"Contacts": [{"Name": "Contract Co"}]})
    api.put("/Contacts", {"Contacts": [{"Name": "Contract Co"}]})
    api.post("/Contacts", {"Contacts": [{"Name": "Contract Co", "FirstName": "C"}]})
    api.post(f"/Contacts/{cid}", {"Contacts": [{"LastName": "L"}]})
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200", "TaxType": "OUTPUT2"}
    sale = {"Type": "ACCREC", "Contact": {"ContactID": cid}, "Status": "AUTHORISED", "LineItems": [line]}
    invoice = api.put("/Invoices", {"Invoices": [sale]}).get_json()["Invoices"][0]
    iid = invoice["InvoiceID"]
    api.put("/Invoices", {"Invoices": [dict(sale, InvoiceNumber=invoice["InvoiceNumber"])]})
    api.post("/Invoices", {"Invoices": [dict(sale, InvoiceNumber="CT-2")]})
    api.post("/Invoices", {"Invoices": [dict(sale, CurrencyCode="JPY")]})
    api.post(f"/Invoices/{iid}", {"Invoices": [{"Reference": "contract"}]})
    api.post(f"/Invoices/{iid}", {"Invoices": [{"Status": "DRAFT"}]})
    api.get("/Invoices"), api.get(f"/Invoices/{iid}")
    api.get(f"/Invoices/{iid}", headers={"Accept": "application/pdf"})
    api.put(f"/Invoices/{iid}/History", {"HistoryRecords": [{"Details": "note"}]})
    api.put(f"/Invoices/{iid}/History", {"HistoryRecords": [{"Details": "n" * 300}]})
    api.get(f"/Invoices/{iid}/History")
    payment = {"Invoice": {"InvoiceID": iid}, "Account": {"Code": "090"}, "Date": "2026-03-15", "Amount": 10}
    pid = api.put("/Payments", {"Payments": [payment]}).get_json()["Payments"][0]["PaymentID"]
    api.put("/Payments", {"Payments": [dict(payment, Amount=10000)]})
    api.post("/Payments", payment)
    api.post("/Payments", dict(payment, Amount=10000))
    api.get("/Payments"), api.get(f"/Payments/{pid}")
    api.post(f"/Payments/{pid}", {"Status": "DELETED"})
    api.post(f"/Payments/{pid}", {"Status": "DELETED"})
    credit = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": cid}, "Status": "AUTHORISED", "LineItems": [line]}
    note = api.put("/CreditNotes", {"CreditNotes": [credit]}).get_json()["CreditNotes"][0]
    nid = note["CreditNoteID"]
    api.put("/CreditNotes", {"CreditNotes": [dict(credit, LineItems=[])]})
    api.get("/CreditNotes"), api.get(f"/CreditNotes/{nid}")
    allocation = {"Invoice": {"InvoiceID": iid}, "Amount": 5, "Date": "2026-03-16"}
    api.put(f"/CreditNotes/{nid}/Allocations", {"Allocations": [allocation]})
    api.put(f"/CreditNotes/{nid}/Allocations", {"Allocations": [dict(allocation, Amount=5000)]})
    connections = api.get("/connections").get_json()
    conn = connections[0]["id"]
    api.call("DELETE", f"/connections/{conn}")
    api.call("DELETE", f"/connections/{conn}")
    seen = {_normalise(e, [cid, iid, pid, nid, conn]) for e in contract.checked[start:]}
    assert EXPECTED <= seen, sorted(EXPECTED - seen)
    assert NZ_TENANT in {c["tenantId"] for c in connections}


SETTINGS_AND_FILES = {
    "GET /api.xro/2.0/TrackingCategories 200", "GET /api.xro/2.0/TrackingCategories/{id} 200",
    "GET /api.xro/2.0/BrandingThemes 200", "GET /api.xro/2.0/BrandingThemes/{id} 200",
    "PUT /api.xro/2.0/Invoices 200", "PUT /api.xro/2.0/Invoices 400", "POST /api.xro/2.0/Invoices/{id} 200",
    "PUT /api.xro/2.0/CreditNotes 200", "PUT /api.xro/2.0/CreditNotes 400",
    "GET /api.xro/2.0/Invoices/{id} 200", "GET /api.xro/2.0/CreditNotes/{id} 200",
    "PUT /api.xro/2.0/Invoices/{id}/Attachments/{FileName} 200",
    "PUT /api.xro/2.0/Invoices/{id}/Attachments/{FileName} 400",
    "POST /api.xro/2.0/Invoices/{id}/Attachments/{FileName} 200",
    "GET /api.xro/2.0/Invoices/{id}/Attachments 200",
    "GET /api.xro/2.0/Invoices/{id}/Attachments/{FileName} 200",
    "GET /api.xro/2.0/Invoices/{id}/Attachments/{AttachmentID} 200",
    "PUT /api.xro/2.0/CreditNotes/{id}/Attachments/{FileName} 200",
    "PUT /api.xro/2.0/CreditNotes/{id}/Attachments/{FileName} 400",
    "POST /api.xro/2.0/CreditNotes/{id}/Attachments/{FileName} 200",
    "GET /api.xro/2.0/CreditNotes/{id}/Attachments 200",
    "GET /api.xro/2.0/CreditNotes/{id}/Attachments/{FileName} 200",
    "GET /api.xro/2.0/CreditNotes/{id}/Attachments/{AttachmentID} 200",
}


def test_tracking_themes_and_attachments_are_validated_against_the_spec(oauth, client, contract):
    """The spec's createInvoices example, with its SDK example's line tracking (ids) and a theme,
    then tracking by names, refusals, and every attachment operation (see contract.py for the
    spec's three faults around attachments and how they are worked around)."""
    from bridge.xero_sandbox.db_settings import stable_id
    from tests.xero_spec import request_example

    from .helpers import ATTACHMENT_SCOPES, Api

    api = Api(client, contract, oauth.connect(scope=ATTACHMENT_SCOPES)["access_token"], NZ_TENANT)
    start = len(contract.checked)
    categories = api.get("/TrackingCategories", query={"where": 'Status=="ACTIVE"', "order": "Name ASC",
                                                      "includeArchived": "true"}).get_json()["TrackingCategories"]
    region = next(c for c in categories if c["Name"] == "Region")
    api.get(f"/TrackingCategories/{region['TrackingCategoryID']}")
    themes = api.get("/BrandingThemes").get_json()["BrandingThemes"]
    api.get(f"/BrandingThemes/{themes[1]['BrandingThemeID']}")
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    example = request_example("/Invoices", "PUT")
    example["Invoices"][0]["Contact"]["ContactID"] = contact
    example["Invoices"][0]["BrandingThemeID"] = themes[1]["BrandingThemeID"]
    example["Invoices"][0]["LineItems"][0]["Tracking"] = [{
        "TrackingCategoryID": region["TrackingCategoryID"],
        "TrackingOptionID": stable_id(NZ_TENANT, "tracking-option", "Region", "North")}]
    invoice = api.put("/Invoices", example).get_json()["Invoices"][0]
    iid = invoice["InvoiceID"]
    by_names = [{"Name": "Region", "Option": "South"}, {"Name": "Department", "Option": "Design"}]
    line = dict(invoice["LineItems"][0], Tracking=by_names)
    api.post(f"/Invoices/{iid}", {"Invoices": [{"Status": "AUTHORISED", "LineItems": [line]}]})
    archived = dict(example["Invoices"][0], LineItems=[dict(line, Tracking=[{"Name": "Region", "Option": "Central"}])])
    api.put("/Invoices", {"Invoices": [archived]})
    api.get(f"/Invoices/{iid}")
    credit = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
              "BrandingThemeID": themes[0]["BrandingThemeID"],
              "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200",
                             "TaxType": "OUTPUT2", "Tracking": by_names}]}
    nid = api.put("/CreditNotes", {"CreditNotes": [credit]}).get_json()["CreditNotes"][0]["CreditNoteID"]
    api.put("/CreditNotes", {"CreditNotes": [dict(credit, BrandingThemeID="00000000-0000-0000-0000-000000000001")]})
    api.get(f"/CreditNotes/{nid}")
    ids = [iid, nid, contact, region["TrackingCategoryID"], themes[1]["BrandingThemeID"]]
    for collection, doc in (("Invoices", iid), ("CreditNotes", nid)):
        made = api.upload(f"/{collection}/{doc}/Attachments/statement.pdf", b"%PDF-1.4\n%%EOF\n",
                          query={"IncludeOnline": "true"}).get_json()["Attachments"][0]
        ids.append(made["AttachmentID"])
        replaced = api.upload(f"/{collection}/{doc}/Attachments/statement.pdf", b"%PDF-1.4\n%%EOF\n\n",
                              method="POST").get_json()["Attachments"][0]
        api.upload(f"/{collection}/{doc}/Attachments/setup.exe", b"MZ")
        api.get(f"/{collection}/{doc}/Attachments")
        api.get(f"/{collection}/{doc}/Attachments/statement.pdf", headers={"contentType": "application/pdf"})
        api.get(f"/{collection}/{doc}/Attachments/{replaced['AttachmentID']}", headers={"contentType": "application/pdf"})
    seen = {_normalise(e, ids) for e in contract.checked[start:]}
    assert SETTINGS_AND_FILES <= seen, sorted(SETTINGS_AND_FILES - seen)
