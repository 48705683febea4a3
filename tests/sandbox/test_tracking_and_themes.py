"""Tracking categories and branding themes: the seeded ones (stable ids), GET /TrackingCategories
(where, order, includeArchived, options nested) and GET /BrandingThemes, and Xero's checks of a
line's Tracking and a document's BrandingThemeID on invoices and credit notes, single and batched.
Every exchange goes through the Api helper, so requests and answers are checked against the spec."""
import re

import pytest

from bridge.xero_sandbox.db_settings import stable_id
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT
from tests.invoicing.test_show_and_pdf import pdf_strings

from .helpers import Api, messages

OPTION_INVALID = "The TrackingOption '{}' does not exist or is archived"
CATEGORY_INVALID = "The TrackingCategory '{}' does not exist or is archived"


def names(response) -> list[str]:
    return [c["Name"] for c in response.get_json()["TrackingCategories"]]


def options(category: dict) -> list[tuple[str, str]]:
    return [(o["Name"], o["Status"]) for o in category["Options"]]


def by_name(response, name: str) -> dict:
    return next(c for c in response.get_json()["TrackingCategories"] if c["Name"] == name)


@pytest.fixture
def contact(api) -> str:
    return api.get("/Contacts", query={"where": 'Name=="Northwind Studio"'}).get_json()["Contacts"][0]["ContactID"]


def line(**fields) -> dict:
    return {"Description": "Design", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200",
            "TaxType": "OUTPUT2", **fields}


def sale(contact: str, *lines, **fields) -> dict:
    return {"Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
            "LineItems": list(lines) or [line()], **fields}


def test_each_organisation_has_region_and_department_with_active_options(api):
    listed = api.get("/TrackingCategories")
    assert names(listed) == ["Department", "Region"]  # by name, as Xero's UI lists them
    region, department = by_name(listed, "Region"), by_name(listed, "Department")
    assert options(region) == [("North", "ACTIVE"), ("South", "ACTIVE"), ("International", "ACTIVE")]
    assert options(department) == [("Design", "ACTIVE"), ("Development", "ACTIVE"), ("Marketing", "ACTIVE")]
    assert region["Status"] == "ACTIVE" and set(region) == {"Name", "Status", "TrackingCategoryID", "Options"}
    assert set(region["Options"][0]) == {"TrackingOptionID", "Name", "Status"}
    assert names(api.get("/TrackingCategories", tenant=AU_TENANT)) == ["Department", "Region"]


def test_include_archived_adds_the_archived_option(api):
    region = by_name(api.get("/TrackingCategories", query={"includeArchived": "true"}), "Region")
    assert ("Central", "ARCHIVED") in options(region) and len(region["Options"]) == 4


def test_ids_are_stable_per_organisation_and_survive_a_reset(api, client):
    region = by_name(api.get("/TrackingCategories", query={"includeArchived": "true"}), "Region")
    assert region["TrackingCategoryID"] == stable_id(NZ_TENANT, "tracking-category", "Region")
    central = next(o for o in region["Options"] if o["Name"] == "Central")
    assert central["TrackingOptionID"] == stable_id(NZ_TENANT, "tracking-option", "Region", "Central")
    au_region = by_name(api.get("/TrackingCategories", tenant=AU_TENANT), "Region")
    assert au_region["TrackingCategoryID"] != region["TrackingCategoryID"]
    themes = api.get("/BrandingThemes").get_json()["BrandingThemes"]
    assert client.post(f"/_sandbox/organisations/{NZ_TENANT}/reset").status_code == 200
    again = by_name(api.get("/TrackingCategories", query={"includeArchived": "true"}), "Region")
    assert again == region
    assert api.get("/BrandingThemes").get_json()["BrandingThemes"] == themes


def test_where_and_order(api):
    assert names(api.get("/TrackingCategories", query={"where": 'Name=="Region"'})) == ["Region"]
    assert names(api.get("/TrackingCategories", query={"where": 'Status=="ACTIVE"', "order": "Name DESC"})) == [
        "Region", "Department"]
    bad = api.get("/TrackingCategories", query={"where": 'Colour=="red"'}, check=False)
    assert bad.status_code == 400 and bad.get_json()["Type"] == "QueryParseException"


def test_one_category_by_id_shows_all_its_options(api):
    region_id = stable_id(NZ_TENANT, "tracking-category", "Region")
    found = api.get(f"/TrackingCategories/{region_id}").get_json()["TrackingCategories"]
    assert [c["Name"] for c in found] == ["Region"] and len(found[0]["Options"]) == 4
    assert api.get("/TrackingCategories/00000000-0000-0000-0000-000000000000").status_code == 404
    # Another organisation's category is not found either.
    assert api.get(f"/TrackingCategories/{region_id}", tenant=AU_TENANT).status_code == 404


def test_branding_themes(api):
    body = api.get("/BrandingThemes").get_json()
    themes = body["BrandingThemes"]
    assert [(t["Name"], t["SortOrder"], t["Type"]) for t in themes] == [("Standard", 0, "INVOICE"),
                                                                      ("Agency", 1, "INVOICE")]
    assert all(re.fullmatch(r"/Date\(\d+\+0000\)/", t["CreatedDateUTC"]) for t in themes)
    assert themes[0]["BrandingThemeID"] == stable_id(NZ_TENANT, "branding-theme", "Standard")
    one = api.get(f"/BrandingThemes/{themes[1]['BrandingThemeID']}").get_json()["BrandingThemes"]
    assert one == [themes[1]]
    assert api.get("/BrandingThemes/00000000-0000-0000-0000-000000000000").status_code == 404


def test_settings_scopes_cover_tracking_and_themes(oauth, client, contract):
    token = oauth.connect(scope="openid offline_access accounting.contacts")["access_token"]
    scoped = Api(client, contract, token, NZ_TENANT)
    assert scoped.get("/TrackingCategories", check=False).status_code == 401
    assert scoped.get("/BrandingThemes", check=False).status_code == 401
    reader = Api(client, contract, oauth.connect(scope="openid accounting.settings.read")["access_token"], NZ_TENANT)
    assert reader.get("/TrackingCategories").status_code == 200 and reader.get("/BrandingThemes").status_code == 200


def test_tracking_by_names_is_stored_with_ids_and_answered_as_the_spec_has_it(api, contact):
    tracking = [{"Name": "Region", "Option": "North"}, {"Name": "department", "Option": "DESIGN"}]
    created = api.put("/Invoices", {"Invoices": [sale(contact, line(Tracking=tracking))]}).get_json()["Invoices"][0]
    expected = [
        {"TrackingCategoryID": stable_id(NZ_TENANT, "tracking-category", "Region"), "Name": "Region",
         "TrackingOptionID": stable_id(NZ_TENANT, "tracking-option", "Region", "North"), "Option": "North"},
        {"TrackingCategoryID": stable_id(NZ_TENANT, "tracking-category", "Department"), "Name": "Department",
         "TrackingOptionID": stable_id(NZ_TENANT, "tracking-option", "Department", "Design"), "Option": "Design"},
    ]
    assert created["LineItems"][0]["Tracking"] == expected
    fetched = api.get(f"/Invoices/{created['InvoiceID']}").get_json()["Invoices"][0]
    assert fetched["LineItems"][0]["Tracking"] == expected
    listed = api.get("/Invoices", query={"IDs": created["InvoiceID"], "page": "1"}).get_json()["Invoices"][0]
    assert listed["LineItems"][0]["Tracking"] == expected


def test_tracking_by_ids_as_in_the_spec_example(api, contact):
    sent = [{"TrackingCategoryID": stable_id(NZ_TENANT, "tracking-category", "Department"),
             "TrackingOptionID": stable_id(NZ_TENANT, "tracking-option", "Department", "Marketing")}]
    created = api.put("/Invoices", {"Invoices": [sale(contact, line(Tracking=sent))]}).get_json()["Invoices"][0]
    assert [(t["Name"], t["Option"]) for t in created["LineItems"][0]["Tracking"]] == [("Department", "Marketing")]


def test_a_line_without_tracking_has_an_empty_list(api, contact):
    created = api.put("/Invoices", {"Invoices": [sale(contact)]}).get_json()["Invoices"][0]
    assert created["LineItems"][0]["Tracking"] == []


BAD_TRACKING = [
    ([{"Name": "Region", "Option": "Central"}], [OPTION_INVALID.format("Central")]),
    ([{"Name": "Region", "Option": "Atlantis"}], [OPTION_INVALID.format("Atlantis")]),
    ([{"Name": "Colour", "Option": "Red"}], [CATEGORY_INVALID.format("Colour")]),
    ([{"TrackingCategoryID": "00000000-0000-0000-0000-000000000001", "TrackingOptionID":
      "00000000-0000-0000-0000-000000000002"}], [CATEGORY_INVALID.format("00000000-0000-0000-0000-000000000001")]),
    ([{"Name": "Region", "Option": "North"}, {"Name": "Region", "Option": "South"}],
     ["The TrackingCategory 'Region' can only be used once on a line item"]),
    ([{"Name": "Region", "Option": "North"}, {"Name": "Department", "Option": "Design"},
      {"Name": "Colour", "Option": "Red"}],
     ["A line item can have at most 2 tracking categories", CATEGORY_INVALID.format("Colour")]),
]


@pytest.mark.parametrize("tracking, expected", BAD_TRACKING)
def test_tracking_refusals(api, contact, tracking, expected):
    response = api.put("/Invoices", {"Invoices": [sale(contact, line(Tracking=tracking))]})
    assert response.status_code == 400
    body = response.get_json()
    assert body["Type"] == "ValidationException" and messages(body) == expected
    assert body["Elements"][0]["LineItems"][0]["Tracking"] == tracking  # echoed as sent


def test_an_archived_option_is_refused_by_id_too(api, contact):
    central = [{"TrackingCategoryID": stable_id(NZ_TENANT, "tracking-category", "Region"),
                "TrackingOptionID": stable_id(NZ_TENANT, "tracking-option", "Region", "Central")}]
    response = api.put("/Invoices", {"Invoices": [sale(contact, line(Tracking=central))]})
    assert messages(response.get_json()) == [OPTION_INVALID.format(central[0]["TrackingOptionID"])]


@pytest.mark.parametrize("tracking", [{"Name": "Region"}, [{"TrackingCategoryID": "Region", "Option": "North"}]])
def test_tracking_that_cannot_be_read_is_refused_whole(api, contact, tracking):
    response = api.put("/Invoices", {"Invoices": [sale(contact, line(Tracking=tracking))]},
                       validate_request=False)
    assert response.status_code == 400 and response.get_json()["Type"] == "PostDataInvalidException"


def test_a_batch_with_summarize_errors_false_says_which_element_failed(api, contact):
    good = sale(contact, line(Tracking=[{"Name": "Region", "Option": "South"}]))
    bad = sale(contact, line(Tracking=[{"Name": "Region", "Option": "Central"}]))
    themed = sale(contact, BrandingThemeID="00000000-0000-0000-0000-000000000009")
    response = api.put("/Invoices", {"Invoices": [good, bad, themed]}, query={"summarizeErrors": "false"})
    assert response.status_code == 200
    elements = response.get_json()["Invoices"]
    assert [e["StatusAttributeString"] for e in elements] == ["OK", "ERROR", "ERROR"]
    assert [m["Message"] for m in elements[1]["ValidationErrors"]] == [OPTION_INVALID.format("Central")]
    assert [m["Message"] for m in elements[2]["ValidationErrors"]] == [
        "The BrandingThemeID '00000000-0000-0000-0000-000000000009' does not match a branding theme "
        "of this organisation."]
    assert elements[0]["LineItems"][0]["Tracking"][0]["Option"] == "South"
    # POST batches check the same way.
    posted = api.post("/Invoices", {"Invoices": [bad]}, query={"summarizeErrors": "false"}).get_json()["Invoices"]
    assert posted[0]["StatusAttributeString"] == "ERROR"


def test_branding_theme_is_kept_returned_changed_and_cleared(api, contact):
    agency = stable_id(NZ_TENANT, "branding-theme", "Agency")
    standard = stable_id(NZ_TENANT, "branding-theme", "Standard")
    created = api.put("/Invoices", {"Invoices": [sale(contact, BrandingThemeID=agency.upper())]})
    created = created.get_json()["Invoices"][0]
    assert created["BrandingThemeID"] == agency
    invoice_id = created["InvoiceID"]
    assert api.get(f"/Invoices/{invoice_id}").get_json()["Invoices"][0]["BrandingThemeID"] == agency
    changed = api.post(f"/Invoices/{invoice_id}", {"Invoices": [{"BrandingThemeID": standard}]}).get_json()
    assert changed["Invoices"][0]["BrandingThemeID"] == standard
    unknown = "00000000-0000-0000-0000-00000000abcd"
    refused = api.post(f"/Invoices/{invoice_id}", {"Invoices": [{"BrandingThemeID": unknown}]})
    assert messages(refused.get_json()) == [
        f"The BrandingThemeID '{unknown}' does not match a branding theme of this organisation."]
    unreadable = api.post(f"/Invoices/{invoice_id}", {"Invoices": [{"BrandingThemeID": "Agency"}]},
                          validate_request=False)
    assert unreadable.status_code == 400 and unreadable.get_json()["Type"] == "PostDataInvalidException"
    assert api.get(f"/Invoices/{invoice_id}").get_json()["Invoices"][0]["BrandingThemeID"] == standard
    cleared = api.post(f"/Invoices/{invoice_id}", {"Invoices": [{"BrandingThemeID": None}]},
                       validate_request=False).get_json()["Invoices"][0]
    assert "BrandingThemeID" not in cleared


def test_another_organisations_theme_is_refused(api, contact):
    au_theme = stable_id(AU_TENANT, "branding-theme", "Standard")
    response = api.put("/Invoices", {"Invoices": [sale(contact, BrandingThemeID=au_theme)]})
    assert response.status_code == 400 and len(messages(response.get_json())) == 1


def test_credit_notes_take_tracking_and_a_theme(api, contact):
    agency = stable_id(NZ_TENANT, "branding-theme", "Agency")
    note = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
            "BrandingThemeID": agency, "LineItems": [line(Tracking=[{"Name": "Department", "Option": "Marketing"}])]}
    created = api.put("/CreditNotes", {"CreditNotes": [note]}).get_json()["CreditNotes"][0]
    assert created["BrandingThemeID"] == agency
    fetched = api.get(f"/CreditNotes/{created['CreditNoteID']}").get_json()["CreditNotes"][0]
    assert fetched["BrandingThemeID"] == agency
    assert [(t["Name"], t["Option"]) for t in fetched["LineItems"][0]["Tracking"]] == [("Department", "Marketing")]
    bad = dict(note, LineItems=[line(Tracking=[{"Name": "Region", "Option": "Central"}])])
    refused = api.put("/CreditNotes", {"CreditNotes": [bad]})
    assert refused.status_code == 400 and messages(refused.get_json()) == [OPTION_INVALID.format("Central")]


def test_an_update_replaces_a_lines_tracking(api, contact):
    north = line(Tracking=[{"Name": "Region", "Option": "North"}])
    invoice = api.put("/Invoices", {"Invoices": [sale(contact, north)]}).get_json()["Invoices"][0]
    kept = dict(line(Tracking=[{"Name": "Region", "Option": "International"}]),
                LineItemID=invoice["LineItems"][0]["LineItemID"])
    updated = api.post(f"/Invoices/{invoice['InvoiceID']}",
                       {"Invoices": [{"Status": "AUTHORISED", "LineItems": [kept]}]})
    assert updated.get_json()["Invoices"][0]["LineItems"][0]["Tracking"][0]["Option"] == "International"


def test_the_pdf_prints_the_theme_or_the_default_one(api, contact):
    agency = stable_id(NZ_TENANT, "branding-theme", "Agency")
    themed = api.put("/Invoices", {"Invoices": [sale(contact, BrandingThemeID=agency)]}).get_json()["Invoices"][0]
    plain = api.put("/Invoices", {"Invoices": [sale(contact)]}).get_json()["Invoices"][0]
    assert "BrandingThemeID" not in plain  # none sent, none answered
    themed_pdf = pdf_strings(api.get(f"/Invoices/{themed['InvoiceID']}", headers={"Accept": "application/pdf"}).data)
    plain_pdf = pdf_strings(api.get(f"/Invoices/{plain['InvoiceID']}", headers={"Accept": "application/pdf"}).data)
    assert "(Agency)" in themed_pdf and "(Standard)" in plain_pdf


def test_a_database_made_before_tracking_and_themes_gets_them_at_the_next_start(app, tmp_path):
    from bridge.xero_sandbox import create_app
    from bridge.xero_sandbox.db import db
    from bridge.xero_sandbox.db_settings import BrandingTheme, TrackingCategory, TrackingOption

    from .helpers import sandbox_config

    with app.app_context():
        for model in (TrackingOption, TrackingCategory, BrandingTheme):
            db.session.execute(db.delete(model))
        db.session.commit()
        db.engine.dispose()
    again = create_app(sandbox_config(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    with again.app_context():
        assert db.session.scalar(db.select(db.func.count(TrackingCategory.id))) == 4  # two per organisation
        assert db.session.get(BrandingTheme, stable_id(NZ_TENANT, "branding-theme", "Agency")).sort_order == 1
        db.engine.dispose()
