"""Invoices and bills: create, totals, numbering, validation messages, status machine, lists."""
import pytest

from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT

from .helpers import messages

CONTACTS: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _northwind(api):
    """Remember the seeded customer's ContactID for the payload helper."""
    CONTACTS["default"] = contact_id(api)


def contact_id(api, name="Northwind Studio"):
    body = api.get("/Contacts", query={"where": f'Name=="{name}"'}).get_json()
    return body["Contacts"][0]["ContactID"]


def invoice(**fields):
    """A valid AUTHORISED sales invoice payload, with overrides."""
    payload = {
        "Type": "ACCREC", "Contact": {"ContactID": CONTACTS["default"]}, "Date": "2026-03-01",
        "DueDate": "2026-03-31", "LineAmountTypes": "Exclusive", "Reference": "PO 5521",
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "Campaign design", "Quantity": 1, "UnitAmount": 1500.00,
                       "AccountCode": "200", "TaxType": "OUTPUT2"}],
    }
    payload.update(fields)
    return payload


def create(api, payload, **kw):
    return api.put("/Invoices", {"Invoices": [payload]}, **kw)


def test_create_returns_200_envelope_with_xero_shapes(api):
    response = create(api, invoice())
    assert response.status_code == 200
    body = response.get_json()
    assert body["Status"] == "OK" and body["ProviderName"] == "Bridge tests"
    assert body["DateTimeUTC"].startswith("/Date(") and "+" not in body["DateTimeUTC"]
    created = body["Invoices"][0]
    assert created["InvoiceNumber"] == "INV-0005"  # the seed used INV-0001..0004
    assert created["Date"] == "/Date(1772323200000+0000)/" and created["DateString"] == "2026-03-01T00:00:00"
    assert created["DueDateString"] == "2026-03-31T00:00:00"
    assert created["UpdatedDateUTC"].endswith("+0000)/") and created["UpdatedDateUTCString"].endswith("Z")
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (1500.0, 225.0, 1725.0)
    assert created["AmountDue"] == 1725.0 and created["AmountPaid"] == 0 and created["AmountCredited"] == 0
    assert created["StatusAttributeString"] == "OK"
    assert created["LineItems"][0]["LineItemID"]


def test_money_is_written_with_two_decimals(api):
    raw = create(api, invoice()).get_data(as_text=True)
    assert '"Total": 1725.00' in raw and '"Quantity": 1.0000' in raw and '"CurrencyRate": 1.000000' in raw


def test_single_get_is_a_one_element_array_and_number_works_as_id(api):
    created = create(api, invoice()).get_json()["Invoices"][0]
    by_id = api.get(f"/Invoices/{created['InvoiceID']}").get_json()["Invoices"]
    assert len(by_id) == 1 and by_id[0]["InvoiceID"] == created["InvoiceID"]
    by_number = api.get(f"/Invoices/{created['InvoiceNumber']}", check=False).get_json()["Invoices"]
    assert by_number[0]["InvoiceID"] == created["InvoiceID"]


def test_per_line_rounding_exclusive_inclusive_notax(api):
    lines = [{"Description": "a", "Quantity": 3, "UnitAmount": 0.33, "AccountCode": "200", "TaxType": "OUTPUT2"},
             {"Description": "b", "Quantity": 1, "UnitAmount": 10.05, "AccountCode": "200", "TaxType": "OUTPUT2"}]
    exclusive = create(api, invoice(LineItems=lines)).get_json()["Invoices"][0]
    # 0.99 * 15% = 0.1485 -> 0.15 ; 10.05 * 15% = 1.5075 -> 1.51 (per line, half up)
    assert [l["TaxAmount"] for l in exclusive["LineItems"]] == [0.15, 1.51]
    assert (exclusive["SubTotal"], exclusive["TotalTax"], exclusive["Total"]) == (11.04, 1.66, 12.70)
    inclusive = create(api, invoice(LineItems=lines, LineAmountTypes="Inclusive")).get_json()["Invoices"][0]
    # 0.99 * 15/115 = 0.1291 -> 0.13 ; 10.05 * 15/115 = 1.3109 -> 1.31
    assert (inclusive["Total"], inclusive["TotalTax"], inclusive["SubTotal"]) == (11.04, 1.44, 9.60)
    notax = create(api, invoice(LineItems=lines, LineAmountTypes="NoTax")).get_json()["Invoices"][0]
    assert (notax["Total"], notax["TotalTax"]) == (11.04, 0)
    assert {l["TaxType"] for l in notax["LineItems"]} == {"NONE"}


def test_discount_rate_on_sales_invoice(api):
    lines = [{"Description": "x", "Quantity": 2, "UnitAmount": 100, "DiscountRate": 10,
              "AccountCode": "200", "TaxType": "OUTPUT2"}]
    created = create(api, invoice(LineItems=lines)).get_json()["Invoices"][0]
    assert created["LineItems"][0]["LineAmount"] == 180.0
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (180.0, 27.0, 207.0)
    assert created["TotalDiscount"] == 20.0 and created["IsDiscounted"] is True


def test_discount_on_a_bill_is_refused(api):
    bill = invoice(Type="ACCPAY", Reference=None, InvoiceNumber="SUP-1", LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 100, "DiscountRate": 10,
         "AccountCode": "400", "TaxType": "INPUT2"}])
    bill.pop("Reference")
    response = create(api, bill)
    assert response.status_code == 400
    assert messages(response.get_json()) == ["Discounts can only be applied to sales invoices (ACCREC)."]


def test_auto_numbering_and_unique_sales_numbers(api):
    first = create(api, invoice()).get_json()["Invoices"][0]
    second = create(api, invoice()).get_json()["Invoices"][0]
    assert (first["InvoiceNumber"], second["InvoiceNumber"]) == ("INV-0005", "INV-0006")
    duplicate = create(api, invoice(InvoiceNumber="INV-0005"))
    assert duplicate.status_code == 400
    body = duplicate.get_json()
    assert body["Type"] == "ValidationException" and body["ErrorNumber"] == 10
    assert body["Message"] == "A validation exception occurred"
    assert messages(body) == ["Invoice # must be unique."]
    element = body["Elements"][0]
    assert element["HasErrors"] is True and element["InvoiceNumber"] == "INV-0005"


def test_bill_numbers_need_not_be_unique_and_bills_have_no_reference(api):
    bill = invoice(Type="ACCPAY", InvoiceNumber="SUP-77", LineItems=[
        {"Description": "Paper", "Quantity": 1, "UnitAmount": 50, "AccountCode": "453", "TaxType": "INPUT2"}])
    bill.pop("Reference")
    first = create(api, bill).get_json()["Invoices"][0]
    second = create(api, bill).get_json()["Invoices"][0]
    assert first["InvoiceNumber"] == second["InvoiceNumber"] == "SUP-77"
    assert "Reference" not in first and first["Type"] == "ACCPAY"


def test_deleted_draft_frees_its_number_but_voided_keeps_it(api):
    draft = create(api, invoice(Status="DRAFT", InvoiceNumber="X-1")).get_json()["Invoices"][0]
    api.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    assert create(api, invoice(InvoiceNumber="X-1")).status_code == 200
    approved = create(api, invoice(InvoiceNumber="X-2")).get_json()["Invoices"][0]
    api.post(f"/Invoices/{approved['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    assert messages(create(api, invoice(InvoiceNumber="X-2")).get_json()) == ["Invoice # must be unique."]


BAD_LINES = [
    ({"AccountCode": "9999"}, "Account code '9999' is not a valid code for this document."),
    ({"AccountCode": "090"}, "Account code '090' is not a valid code for this document."),
    ({"AccountCode": "610"}, "Account code '610' is not a valid code for this document."),
    ({"AccountCode": "210"}, "Account must be valid."),
    ({"TaxType": "OUTPUT9"},
     "The TaxType code OUTPUT9 does not exist or cannot be used for this type of transaction."),
    ({"TaxType": "INPUT2"},
     "The TaxType code INPUT2 does not exist or cannot be used for this type of transaction."),
    ({"TaxType": "TAX002"}, "Tax rate must be valid."),
    ({"AccountCode": "400", "TaxType": "OUTPUT2"},
     "The TaxType code 'OUTPUT2' cannot be used with account code '400'."),
    ({"AccountCode": None}, "Account code or ID must be specified"),
]


@pytest.mark.parametrize("change, message", BAD_LINES)
def test_line_validation_messages(api, change, message):
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200", "TaxType": "OUTPUT2"}
    line.update(change)
    line = {k: v for k, v in line.items() if v is not None}
    response = create(api, invoice(LineItems=[line]))
    assert response.status_code == 400
    assert messages(response.get_json()) == [message]


def test_draft_lines_need_no_account(api):
    response = create(api, invoice(Status="DRAFT", LineItems=[{"Description": "Heading only"}]))
    assert response.status_code == 200
    assert response.get_json()["Invoices"][0]["Total"] == 0


def test_expense_tax_on_a_bill_and_sales_tax_refused_on_a_bill(api):
    bill = invoice(Type="ACCPAY", LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "400", "TaxType": "OUTPUT2"}])
    bill.pop("Reference")
    assert messages(create(api, bill).get_json()) == [
        "The TaxType code OUTPUT2 does not exist or cannot be used for this type of transaction."]


CONTACT_CASES = [
    ({"ContactID": "00000000-0000-0000-0000-000000000000"},
     "The Contact must contain at least 1 of the following elements to identify the contact: "
     "Name, ContactID, ContactNumber"),
    ({}, "The Contact must contain at least 1 of the following elements to identify the contact: "
         "Name, ContactID, ContactNumber"),
    ("archived", "The contact with the specified contact details has been archived. The contact "
                 "must be un-archived before creating new invoices or credit notes."),
]


@pytest.mark.parametrize("contact, message", CONTACT_CASES)
def test_contact_messages(api, contact, message):
    if contact == "archived":
        archived = api.get("/Contacts", query={"includeArchived": "true", "where": 'ContactStatus=="ARCHIVED"'})
        contact = {"ContactID": archived.get_json()["Contacts"][0]["ContactID"]}
    response = create(api, invoice(Contact=contact))
    assert messages(response.get_json()) == [message]


def test_contact_by_new_name_is_created_with_the_invoice(api):
    created = create(api, invoice(Contact={"Name": "Brand New Client"})).get_json()["Invoices"][0]
    found = api.get("/Contacts", query={"where": 'Name=="Brand New Client"'}).get_json()["Contacts"]
    assert found[0]["ContactID"] == created["Contact"]["ContactID"] and found[0]["IsCustomer"] is True


def test_no_line_items_and_currency_not_enabled(api):
    assert messages(create(api, invoice(LineItems=[])).get_json()) == ["At least one line item must be specified."]
    assert messages(create(api, invoice(CurrencyCode="JPY")).get_json()) == [
        "Organisation is not subscribed to currency JPY"]
    usd = create(api, invoice(CurrencyCode="USD", CurrencyRate=0.59)).get_json()["Invoices"][0]
    assert usd["CurrencyCode"] == "USD" and usd["CurrencyRate"] == 0.59


def test_several_errors_on_one_element_are_all_listed(api):
    lines = [{"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "9999", "TaxType": "OUTPUT9"}]
    found = messages(create(api, invoice(LineItems=lines)).get_json())
    assert found == ["Account code '9999' is not a valid code for this document.",
                     "The TaxType code OUTPUT9 does not exist or cannot be used for this type of transaction."]


def test_summarize_errors_true_is_400_but_valid_elements_are_saved(api):
    good, bad = invoice(InvoiceNumber="B-1"), invoice(InvoiceNumber="B-2", LineItems=[])
    response = api.put("/Invoices", {"Invoices": [good, bad]})
    assert response.status_code == 400
    assert [e["InvoiceNumber"] for e in response.get_json()["Elements"]] == ["B-2"]
    listed = api.get("/Invoices", query={"InvoiceNumbers": "B-1,B-2"}).get_json()["Invoices"]
    assert [i["InvoiceNumber"] for i in listed] == ["B-1"]  # not transactional, as in Xero


def test_summarize_errors_false_reports_each_element(api):
    good, bad = invoice(InvoiceNumber="C-1"), invoice(InvoiceNumber="C-2", CurrencyCode="JPY")
    bill = invoice(Type="ACCPAY", InvoiceNumber="SUP-9", LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "453", "TaxType": "INPUT2"}])
    response = api.put("/Invoices", {"Invoices": [good, bad, bill]}, query={"summarizeErrors": "false"})
    assert response.status_code == 200
    elements = response.get_json()["Invoices"]
    assert [e["StatusAttributeString"] for e in elements] == ["OK", "ERROR", "WARNING"]
    assert elements[1]["ValidationErrors"] == [{"Message": "Organisation is not subscribed to currency JPY"}]
    assert elements[1]["HasErrors"] is True
    assert "Reference is ignored on bills" in elements[2]["Warnings"][0]["Message"]


def test_put_is_create_only_and_post_updates_by_id_and_by_number(api):
    created = create(api, invoice(InvoiceNumber="P-1")).get_json()["Invoices"][0]
    again = create(api, invoice(InvoiceNumber="P-1"))
    assert messages(again.get_json()) == ["Invoice # must be unique."]
    by_id = api.post("/Invoices", {"Invoices": [{"InvoiceID": created["InvoiceID"], "Reference": "by id"}]})
    assert by_id.get_json()["Invoices"][0]["Reference"] == "by id"
    by_number = api.post("/Invoices", {"Invoices": [invoice(InvoiceNumber="P-1", Reference="by number")]})
    updated = by_number.get_json()["Invoices"][0]
    assert updated["InvoiceID"] == created["InvoiceID"] and updated["Reference"] == "by number"
    new = api.post("/Invoices", {"Invoices": [invoice(InvoiceNumber="P-2")]}).get_json()["Invoices"][0]
    assert new["InvoiceID"] != created["InvoiceID"]


def test_post_by_number_onto_a_deleted_invoice_fails(api):
    draft = create(api, invoice(Status="DRAFT", InvoiceNumber="D-1")).get_json()["Invoices"][0]
    api.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    response = api.post("/Invoices", {"Invoices": [invoice(InvoiceNumber="D-1")]})
    assert messages(response.get_json()) == ["Invoice not of valid status for modification"]


STATUS_CASES = [
    ("DRAFT", "SUBMITTED", None), ("DRAFT", "AUTHORISED", None), ("DRAFT", "DELETED", None),
    ("SUBMITTED", "AUTHORISED", None), ("SUBMITTED", "DELETED", None), ("SUBMITTED", "DRAFT", None),
    ("AUTHORISED", "VOIDED", None),
    ("AUTHORISED", "DRAFT", "Invoice not of valid status for modification"),
    ("AUTHORISED", "DELETED", "Invoice not of valid status for modification"),
    ("AUTHORISED", "PAID", "Invoice not of valid status for modification"),
    ("DRAFT", "PAID", "Invoice not of valid status for modification"),
    ("DRAFT", "VOIDED", "Invoice not of valid status for modification"),
]


@pytest.mark.parametrize("start, target, message", STATUS_CASES)
def test_status_machine(api, start, target, message):
    created = create(api, invoice(Status=start)).get_json()["Invoices"][0]
    response = api.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": target}]})
    if message is None:
        assert response.status_code == 200 and response.get_json()["Invoices"][0]["Status"] == target
    else:
        assert messages(response.get_json()) == [message]


def test_terminal_documents_accept_no_change(api):
    created = create(api, invoice()).get_json()["Invoices"][0]
    api.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    response = api.post(f"/Invoices/{created['InvoiceID']}", {"Invoices": [{"Reference": "late"}]})
    assert messages(response.get_json()) == ["Invoice not of valid status for modification"]


def test_authorised_invoice_with_nothing_applied_can_be_edited(api):
    created = create(api, invoice()).get_json()["Invoices"][0]
    line = dict(created["LineItems"][0], UnitAmount=2000)
    line = {k: line[k] for k in ("LineItemID", "Description", "Quantity", "UnitAmount", "AccountCode", "TaxType")}
    response = api.post(f"/Invoices/{created['InvoiceID']}",
                        {"Invoices": [{"Status": "AUTHORISED", "LineItems": [line]}]})
    updated = response.get_json()["Invoices"][0]
    assert updated["Total"] == 2300.0 and updated["LineItems"][0]["LineItemID"] == line["LineItemID"]
    assert updated["UpdatedDateUTC"] >= created["UpdatedDateUTC"]


def test_unknown_invoice_is_404_and_pdf_suffix_is_404(api):
    assert api.get("/Invoices/00000000-0000-0000-0000-000000000000", check=False).status_code == 404
    created = create(api, invoice()).get_json()["Invoices"][0]
    assert api.get(f"/Invoices/{created['InvoiceID']}/pdf", check=False).status_code == 404


def test_invoice_pdf(api):
    created = create(api, invoice()).get_json()["Invoices"][0]
    response = api.get(f"/Invoices/{created['InvoiceID']}", headers={"Accept": "application/pdf"})
    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert response.data.startswith(b"%PDF-") and b"%%EOF" in response.data[-1024:]


def test_list_filters(api):
    northwind = contact_id(api)
    acme = contact_id(api, "Acme Ltd")
    mine = create(api, invoice(InvoiceNumber="F-1", Date="2030-05-02")).get_json()["Invoices"][0]
    create(api, invoice(InvoiceNumber="F-2", Contact={"ContactID": acme}, Status="DRAFT"))
    def numbers(**query):
        return {i["InvoiceNumber"] for i in api.get("/Invoices", query=query).get_json()["Invoices"]}
    assert numbers(IDs=mine["InvoiceID"]) == {"F-1"}
    assert numbers(InvoiceNumbers="F-1,F-2") == {"F-1", "F-2"}
    assert "F-2" in numbers(ContactIDs=acme) and "F-1" not in numbers(ContactIDs=acme)
    assert "F-2" in numbers(Statuses="DRAFT") and "F-1" not in numbers(Statuses="DRAFT")
    assert numbers(where=f'Type=="ACCREC" AND Contact.ContactID==Guid("{northwind}") AND Date>=DateTime(2030,05,01)') == {"F-1"}
    assert numbers(where='Status=="DRAFT" AND Type=="ACCREC"') >= {"F-2", "INV-0004"}
    assert numbers(where='Type=="ACCPAY"') == {"BILL-015", "BILL-016"}
    assert numbers(createdByMyApp="true") == {"F-1", "F-2"}
    assert numbers(searchTerm="f-") == {"F-1", "F-2"}


def test_bad_where_is_a_query_parse_error(api):
    response = api.get("/Invoices", query={"where": 'Nope=="x"'}, check=False)
    assert response.status_code == 400
    assert response.get_json()["Type"] == "QueryParseException"


def test_paging_and_order(api):
    api.put("/Invoices", {"Invoices": [invoice(InvoiceNumber=f"PG-{n:02d}") for n in range(7)]})
    page = api.get("/Invoices", query={"page": 2, "pageSize": 5, "order": "InvoiceNumber ASC"}).get_json()
    assert page["pagination"] == {"page": 2, "pageSize": 5, "pageCount": 3, "itemCount": 13}
    assert [i["InvoiceNumber"] for i in page["Invoices"]] == ["INV-0004", "PG-00", "PG-01", "PG-02", "PG-03"]
    capped = api.get("/Invoices", query={"pageSize": 5000}).get_json()["pagination"]
    assert capped["pageSize"] == 1000
    default = api.get("/Invoices").get_json()["pagination"]
    assert default["pageSize"] == 100 and default["page"] == 1


def test_if_modified_since(client, api):
    first = create(api, invoice(InvoiceNumber="M-1")).get_json()["Invoices"][0]
    client.post("/_sandbox/clock/advance", json={"seconds": 60})
    now = client.get("/_sandbox/clock").get_json()["now"]
    since = now[:19] + "Z"
    second = create(api, invoice(InvoiceNumber="M-2")).get_json()["Invoices"][0]
    listed = api.get("/Invoices", headers={"If-Modified-Since": since}).get_json()["Invoices"]
    assert [i["InvoiceNumber"] for i in listed] == ["M-2"]
    no_zone = api.get("/Invoices", headers={"If-Modified-Since": now[:19]}, check=False).get_json()["Invoices"]
    assert [i["InvoiceID"] for i in no_zone] == [second["InvoiceID"]]
    api.post(f"/Invoices/{first['InvoiceID']}", {"Invoices": [{"Reference": "touched"}]})
    touched = api.get("/Invoices", headers={"If-Modified-Since": since}).get_json()["Invoices"]
    assert {i["InvoiceNumber"] for i in touched} == {"M-1", "M-2"}


def test_tenant_isolation(api):
    created = create(api, invoice()).get_json()["Invoices"][0]
    other = api.get(f"/Invoices/{created['InvoiceID']}", tenant=AU_TENANT, check=False)
    assert other.status_code == 404
    assert api.get("/Organisation", tenant=AU_TENANT).get_json()["Organisations"][0]["BaseCurrency"] == "AUD"
    assert NZ_TENANT != AU_TENANT


def test_request_dates_as_msdate_and_where_strings_with_quotes(api):
    created = create(api, invoice(Date="/Date(1772323200000+0000)/", Reference='Say "hi" café')).get_json()
    body = created["Invoices"][0]
    assert body["DateString"] == "2026-03-01T00:00:00"
    found = api.get("/Invoices", query={"where": 'Reference=="Say \\"hi\\" café"'}).get_json()["Invoices"]
    assert [i["InvoiceID"] for i in found] == [body["InvoiceID"]]


def test_correlation_id_header(api):
    assert api.get("/Organisation").headers["Xero-Correlation-Id"]
