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
