"""GET /Currencies: each organisation's enabled currencies, {Code, Description} as the spec's
Currency schema has them, and the same list decides which documents are refused
("Organisation is not subscribed to currency X", as Xero answers)."""
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT
from tests.sandbox.helpers import messages


def codes(response) -> list[str]:
    return [c["Code"] for c in response.get_json()["Currencies"]]


def sale(contact_id: str, currency: str, tax_type: str = "OUTPUT2") -> dict:
    return {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "CurrencyCode": currency,
            "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200",
                           "TaxType": tax_type}]}


def test_each_organisation_lists_its_own_currencies(api):
    body = api.get("/Currencies").get_json()
    assert body["Currencies"] == [{"Code": "AUD", "Description": "Australian Dollar"},
                                  {"Code": "EUR", "Description": "Euro"},
                                  {"Code": "GBP", "Description": "British Pound"},
                                  {"Code": "NZD", "Description": "New Zealand Dollar"},
                                  {"Code": "USD", "Description": "United States Dollar"}]
    assert body["Id"] and body["DateTimeUTC"].startswith("/Date(")
    assert codes(api.get("/Currencies", tenant=AU_TENANT)) == ["AUD", "NZD"]


def test_where_and_order(api):
    assert codes(api.get("/Currencies", query={"where": 'Code=="USD"'})) == ["USD"]
    assert codes(api.get("/Currencies", query={"order": "Code DESC"})) == ["USD", "NZD", "GBP", "EUR", "AUD"]


def test_a_document_in_a_currency_not_listed_is_refused_and_a_listed_one_is_not(api):
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    for code in codes(api.get("/Currencies")):
        assert api.put("/Invoices", {"Invoices": [sale(contact, code)]}).status_code == 200, code
    refused = api.put("/Invoices", {"Invoices": [sale(contact, "JPY")]})
    assert refused.status_code == 400
    assert messages(refused.get_json()) == ["Organisation is not subscribed to currency JPY"]


def test_usd_is_enabled_in_nz_but_not_in_au(api):
    au_contact = api.get("/Contacts", tenant=AU_TENANT).get_json()["Contacts"][0]["ContactID"]
    refused = api.put("/Invoices", {"Invoices": [sale(au_contact, "USD", "OUTPUT")]}, tenant=AU_TENANT)
    assert messages(refused.get_json()) == ["Organisation is not subscribed to currency USD"]
    assert "USD" in codes(api.get("/Currencies", tenant=NZ_TENANT))


def test_currencies_need_a_settings_scope(oauth, client, contract):
    from tests.sandbox.helpers import Api

    token = oauth.connect(scope="openid offline_access accounting.contacts")["access_token"]
    scoped = Api(client, contract, token, NZ_TENANT)
    assert scoped.get("/Currencies", check=False).status_code == 401
    read_only = oauth.connect(scope="openid offline_access accounting.settings.read")["access_token"]
    assert Api(client, contract, read_only, NZ_TENANT).get("/Currencies").status_code == 200
