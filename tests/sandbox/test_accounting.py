"""Auth and tenant errors, reference data, contacts, history & notes, idempotency, Accept."""
import pytest

from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT

from .helpers import Api, messages


def test_missing_or_bad_bearer_is_401_authorization_unsuccessful(client):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = client.get("/api.xro/2.0/Organisation", headers=dict(headers, **{"xero-tenant-id": NZ_TENANT}))
        assert response.status_code == 401
        body = response.get_json()
        assert body["Title"] == "Unauthorized" and body["Detail"] == "AuthorizationUnsuccessful"
        assert body["Status"] == 401 and body["Type"] is None and "Instance" in body


def test_missing_or_foreign_tenant_is_403(api, client, oauth):
    for tenant in ("", "not-a-tenant"):
        response = client.get("/api.xro/2.0/Organisation", headers=dict(api.headers(), **{"xero-tenant-id": tenant}))
        assert response.status_code == 403
        assert response.get_json() == {**response.get_json(), "Title": "Forbidden", "Status": 403,
                                       "Detail": "AuthenticationUnsuccessful"}
    only_nz = oauth.connect(tenants=(NZ_TENANT,))
    # the user's other consent connected AU too: connections are per user and app
    assert Api(client, api.contract, only_nz["access_token"], AU_TENANT).get("/Organisation").status_code == 200


def test_missing_scope_is_401(client, contract, oauth):
    tokens = oauth.connect(scope="offline_access accounting.settings.read")
    scoped = Api(client, contract, tokens["access_token"], NZ_TENANT)
    assert scoped.get("/Accounts").status_code == 200
    denied = scoped.get("/Invoices", check=False)
    assert denied.status_code == 401 and denied.get_json()["Detail"] == "AuthorizationUnsuccessful"
    write_scope = oauth.connect(scope="accounting.contacts.read")
    reader = Api(client, contract, write_scope["access_token"], NZ_TENANT)
    assert reader.get("/Contacts").status_code == 200
    assert reader.put("/Contacts", {"Contacts": [{"Name": "X"}]}, check=False).status_code == 401


def test_granular_scopes_are_accepted(client, contract, oauth):
    tokens = oauth.connect(scope="accounting.invoices accounting.payments.read accounting.settings.read")
    scoped = Api(client, contract, tokens["access_token"], NZ_TENANT)
    assert scoped.get("/Invoices").status_code == 200
    assert scoped.get("/Payments").status_code == 200
    assert scoped.get("/Contacts", check=False).status_code == 401


def test_organisation(api):
    body = api.get("/Organisation").get_json()
    org = body["Organisations"][0]
    assert org["OrganisationID"] == NZ_TENANT and org["BaseCurrency"] == "NZD"
    assert org["CreatedDateUTC"].startswith("/Date(") and body["Id"]


def test_chart_of_accounts(api):
    accounts = {a["Code"]: a for a in api.get("/Accounts").get_json()["Accounts"]}
    assert accounts["090"]["Type"] == "BANK" and accounts["090"]["BankAccountType"] == "BANK"
    assert accounts["970"]["EnablePaymentsToAccount"] is True
    assert accounts["210"]["Status"] == "ARCHIVED" and accounts["210"]["Class"] == "REVENUE"
    assert accounts["610"]["SystemAccount"] == "DEBTORS"
    assert {accounts[c]["Type"] for c in ("200", "220", "260")} == {"REVENUE", "SALES", "OTHERINCOME"}
    assert {accounts[c]["Type"] for c in ("310", "400", "463")} == {"DIRECTCOSTS", "OVERHEADS", "EXPENSE"}
    revenue = api.get("/Accounts", query={"where": 'Class=="REVENUE" AND Status=="ACTIVE"'}).get_json()["Accounts"]
    assert {a["Code"] for a in revenue} == {"200", "220", "260", "270"}
    expense = api.get("/Accounts", query={"where": 'Class=="EXPENSE" AND Status=="ACTIVE"', "order": "Code DESC"})
    codes = [a["Code"] for a in expense.get_json()["Accounts"]]
    assert codes == sorted(codes, reverse=True) and "400" in codes


def test_tax_rates(api):
    rates = {r["TaxType"]: r for r in api.get("/TaxRates").get_json()["TaxRates"]}
    assert rates["OUTPUT2"]["CanApplyToRevenue"] and not rates["OUTPUT2"]["CanApplyToExpenses"]
    assert rates["INPUT2"]["CanApplyToExpenses"] and not rates["INPUT2"]["CanApplyToRevenue"]
    assert rates["NONE"]["CanApplyToRevenue"] and rates["NONE"]["CanApplyToExpenses"]
    assert rates["TAX001"]["EffectiveRate"] == 5 and rates["TAX002"]["Status"] == "DELETED"
    sales = api.get("/TaxRates", query={"where": 'Status=="ACTIVE" AND CanApplyToRevenue==true'})
    assert "INPUT2" not in {r["TaxType"] for r in sales.get_json()["TaxRates"]}
    assert '"EffectiveRate": 15.0000' in api.get("/TaxRates").get_data(as_text=True)


def test_contacts_search_where_ids_and_archived(api):
    def names(**query):
        return [c["Name"] for c in api.get("/Contacts", query=query).get_json()["Contacts"]]
    assert names(searchTerm="NORTH") == ["Northwind Studio"]
    assert names(searchTerm="acme.example") == ["Acme Ltd"]
    assert names(where='Name=="Acme Ltd"') == ["Acme Ltd"]
    assert names(where='Name=="acme ltd"') == []  # == is case-sensitive here (UNCONFIRMED in Xero)
    assert names(where='Name.ToLower()=="acme ltd"') == ["Acme Ltd"]
    assert "Old Client Ltd" not in names() and "Old Client Ltd" in names(includeArchived="true")
    acme = api.get("/Contacts", query={"where": 'Name=="Acme Ltd"'}).get_json()["Contacts"][0]
    assert names(IDs=acme["ContactID"]) == ["Acme Ltd"]
    single = api.get(f"/Contacts/{acme['ContactID']}").get_json()["Contacts"]
    assert len(single) == 1 and single[0]["IsCustomer"] is True
    paged = api.get("/Contacts", query={"page": 2, "pageSize": 2}).get_json()
    assert paged["pagination"] == {"page": 2, "pageSize": 2, "pageCount": 3, "itemCount": 5}


def test_create_contact_and_duplicate_name(api):
    created = api.put("/Contacts", {"Contacts": [{"Name": "Fresh Co", "EmailAddress": "a@fresh.example",
                                                  "Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "555"}]}]})
    assert created.status_code == 200
    contact = created.get_json()["Contacts"][0]
    assert contact["Phones"] == [{"PhoneType": "MOBILE", "PhoneNumber": "555"}]
    duplicate = api.put("/Contacts", {"Contacts": [{"Name": "Fresh Co"}]})
    assert duplicate.status_code == 400
    assert messages(duplicate.get_json()) == [
        "The contact name Fresh Co is already assigned to another contact. "
        "The contact name must be unique across all active contacts."]
    assert duplicate.get_json()["Elements"][0]["HasValidationErrors"] is True


def test_contacts_where_names_joined_with_or(api):
    """One look-up of several names (what a client sending bills of many suppliers asks)."""
    def names(where):
        return [c["Name"] for c in api.get("/Contacts", query={"where": where}).get_json()["Contacts"]]
    assert names('Name=="Acme Ltd" OR Name=="Northwind Studio" OR Name=="Nobody"') == ["Acme Ltd", "Northwind Studio"]
    assert names('Name=="Acme Ltd" || Name=="City Print Co"') == ["Acme Ltd", "City Print Co"]
    assert names('Name=="Old Client Ltd" OR Name=="Acme Ltd"') == ["Acme Ltd"]  # archived left out
    assert names('(Name=="Acme Ltd" OR Name=="Bayside Wholesale") AND EmailAddress=="ap@acme.example"') == ["Acme Ltd"]
    assert names('Name=="Say \\"hi\\"" OR Name=="Acme Ltd"') == ["Acme Ltd"]


def test_create_several_contacts_with_errors_per_element(api):
    """PUT /Contacts?summarizeErrors=false: 200, each element OK or ERROR with its messages; the
    valid ones are created; a repeat with the same Idempotency-Key is answered from the cache."""
    body = {"Contacts": [{"Name": "Kauri Paper Ltd"}, {"Name": "acme ltd"}, {"Name": "Tui Couriers"},
                         {"Name": "Kauri Paper Ltd"}]}
    key = {"Idempotency-Key": "contacts-batch-1"}
    answer = api.put("/Contacts", body, query={"summarizeErrors": "false"}, headers=key)
    assert answer.status_code == 200
    elements = answer.get_json()["Contacts"]
    assert [e["StatusAttributeString"] for e in elements] == ["OK", "ERROR", "OK", "ERROR"]
    assert messages({"Elements": [elements[1]]}) == [
        "The contact name acme ltd is already assigned to another contact. "
        "The contact name must be unique across all active contacts."]
    assert elements[0]["ContactID"] and elements[2]["ContactID"]
    repeat = api.put("/Contacts", body, query={"summarizeErrors": "false"}, headers=key)
    assert repeat.headers["Idempotent-Replayed"] == "true" and repeat.get_json()["Contacts"] == elements
    found = api.get("/Contacts", query={"where": 'Name=="Kauri Paper Ltd" OR Name=="Tui Couriers"'})
    assert [c["ContactID"] for c in found.get_json()["Contacts"]] == [elements[0]["ContactID"], elements[2]["ContactID"]]


def test_post_contacts_updates_or_creates(api):
    acme = api.get("/Contacts", query={"where": 'Name=="Acme Ltd"'}).get_json()["Contacts"][0]
    updated = api.post("/Contacts", {"Contacts": [{"ContactID": acme["ContactID"], "EmailAddress": "new@acme.example"}]})
    assert updated.get_json()["Contacts"][0]["EmailAddress"] == "new@acme.example"
    by_name = api.post("/Contacts", {"Contacts": [{"Name": "Acme Ltd", "FirstName": "Ann"}]}).get_json()["Contacts"][0]
    assert by_name["ContactID"] == acme["ContactID"] and by_name["FirstName"] == "Ann"
    new = api.post("/Contacts", {"Contacts": [{"Name": "Posted New"}]}).get_json()["Contacts"][0]
    assert new["ContactID"] != acme["ContactID"]
    one = api.post(f"/Contacts/{acme['ContactID']}", {"Contacts": [{"LastName": "Smith"}]})
    assert one.get_json()["Contacts"][0]["LastName"] == "Smith"


def test_history_and_notes(api):
    invoice = api.get("/Invoices", query={"Statuses": "AUTHORISED"}).get_json()["Invoices"][0]
    path = f"/Invoices/{invoice['InvoiceID']}/History"
    added = api.put(path, {"HistoryRecords": [{"Details": "Synced from Bridge (job 77)"}]})
    assert added.status_code == 200
    record = added.get_json()["HistoryRecords"][0]
    assert record["Details"] == "Synced from Bridge (job 77)" and record["ValidationErrors"] == []
    assert api.post(path, {"HistoryRecords": [{"Details": "second"}]}, check=False).status_code == 200
    history = api.get(path).get_json()["HistoryRecords"]
    assert [h["Details"] for h in history][-2:] == ["Synced from Bridge (job 77)", "second"]
    assert history[-1]["User"] == "System Generated" and history[0]["Changes"] == "Created"
    too_long = api.put(path, {"HistoryRecords": [{"Details": "x" * 251}]})
    assert too_long.status_code == 400
    assert messages(too_long.get_json()) == ["The Details field must be 250 characters or fewer."]
    assert api.put(path, {"HistoryRecords": [{"Details": "y" * 250}]}).status_code == 200


def test_history_on_unknown_document(api):
    response = api.put("/Invoices/00000000-0000-0000-0000-000000000000/History",
                       {"HistoryRecords": [{"Details": "Hello World"}]})
    assert response.status_code == 400
    assert messages(response.get_json()) == ["The document with the supplied id was not found for this endpoint."]


def _invoice(contact_id, number):
    return {"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "InvoiceNumber": number,
                          "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 10,
                                         "AccountCode": "200", "TaxType": "OUTPUT2"}]}]}


def test_idempotency_replays_the_same_answer(api):
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    key = {"Idempotency-Key": "bridge-inv-1"}
    first = api.put("/Invoices", _invoice(contact, "IDEM-1"), headers=key)
    second = api.put("/Invoices", _invoice(contact, "IDEM-1"), headers=key)
    assert second.status_code == 200 and second.get_data() == first.get_data()
    assert len(api.get("/Invoices", query={"InvoiceNumbers": "IDEM-1"}).get_json()["Invoices"]) == 1


def test_idempotency_replays_errors_too_and_expires_after_six_minutes(api, client):
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    key = {"Idempotency-Key": "bridge-inv-2"}
    bad = _invoice(contact, "INV-0001")  # a taken number
    assert api.put("/Invoices", bad, headers=key).status_code == 400
    assert api.put("/Invoices", bad, headers=key).status_code == 400
    client.post("/_sandbox/clock/advance", json={"seconds": 361})
    good = _invoice(contact, "IDEM-2")
    mismatch_after_expiry = api.put("/Invoices", good, headers=key)
    assert mismatch_after_expiry.status_code == 200  # an expired key is a new key


def test_idempotency_key_with_a_different_request(api):
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    key = {"Idempotency-Key": "bridge-inv-3"}
    api.put("/Invoices", _invoice(contact, "IDEM-3"), headers=key)
    other = api.put("/Invoices", _invoice(contact, "IDEM-4"), headers=key)
    assert other.status_code == 400
    assert other.get_json()["Message"] == "Idempotency Key: bridge-inv-3 is used with a different request."


def test_requests_without_accept_json_are_recorded(api, client):
    client.delete("/_sandbox/requests")
    api.get("/Organisation")
    api.get("/Accounts", headers={"Accept": "*/*"}, check=False)
    flagged = client.get("/_sandbox/requests", query_string={"missing_accept": "true"}).get_json()["requests"]
    assert [r["path"] for r in flagged] == ["/api.xro/2.0/Accounts"]
    everything = client.get("/_sandbox/requests").get_json()["requests"]
    assert [r["path"] for r in everything] == ["/api.xro/2.0/Organisation", "/api.xro/2.0/Accounts"]


def test_unknown_accounting_route_is_404_json(api):
    response = api.get("/Nothing", check=False)
    assert response.status_code == 404 and response.get_json()["Status"] == 404


def test_malformed_json_body(api):
    response = api.client.put("/api.xro/2.0/Invoices", data=b"{not json", headers=api.headers(
        {"Content-Type": "application/json"}))
    assert response.status_code == 400
    assert response.get_json()["Type"] == "PostDataInvalidException"


@pytest.mark.parametrize("path", ["/Organisation", "/Accounts", "/TaxRates", "/Contacts", "/Invoices", "/Payments", "/CreditNotes"])
def test_every_accounting_answer_has_rate_limit_headers(api, path):
    response = api.get(path)
    for header in ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining"):
        assert header in response.headers
    assert NZ_TENANT
