"""Tracking categories and branding themes: GET /TrackingCategories (archived ones asked for) and
GET /BrandingThemes on Xero-shaped answers (the spec's examples, with options), cached with the
accounts, and the rules that give each line its tracking. Every request sent is checked against
the spec (the xero_http fixture); the bodies with Tracking and BrandingThemeID too."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from uuid import uuid4

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroBrandingTheme, XeroTrackingCategory, XeroTrackingOption
from bridge.xero.api.ratelimit import call_counts
from bridge.xero.bills import mapping as bill_mapping
from bridge.xero.invoices import mapping
from bridge.xero.settings import reference, tracking
from bridge.xero.settings.tracking_rules import CategoryRule, OptionTarget, TrackingRules
from tests.copy.test_contract import prepared, sample_invoice
from tests.xero import contract
from tests.xero.payloads import API, REAL_XERO, TENANT_ID, envelope
from tests.xero.test_currencies import reference_data

REGION, NORTH, CENTRAL = "22f10184-0deb-44ae-a312-b1f6ea70e51f", "161ad543-97ab-4436-8213-e0d794e1b008", \
    "dc54c220-0140-495a-b925-3246adc0075f"
STANDARD = "dabc7637-62c1-4941-8a6e-ee44fa5090e7"
# The spec's example answers, with options (one archived) and a second theme.
CATEGORIES = envelope("TrackingCategories", [{
    "Name": "Region", "Status": "ACTIVE", "TrackingCategoryID": REGION, "Options": [
        {"TrackingOptionID": NORTH, "Name": "North", "Status": "ACTIVE"},
        {"TrackingOptionID": CENTRAL, "Name": "Central", "Status": "ARCHIVED"}]}])
THEMES = envelope("BrandingThemes", [
    {"BrandingThemeID": STANDARD, "Name": "Standard", "SortOrder": 0, "CreatedDateUTC": "/Date(1464967643813+0000)/"},
    {"BrandingThemeID": "5a8b1e71-6c3e-4d0a-9f27-8e4c1b2d3f40", "Name": "Agency", "SortOrder": 1}])


def test_the_client_asks_for_archived_categories_and_the_themes(xero, xero_http):
    xero_http.get(f"{API}/TrackingCategories", json=CATEGORIES)
    xero_http.get(f"{API}/BrandingThemes", json=THEMES)
    (region,) = xero.get_tracking_categories(include_archived=True)
    assert [o["Name"] for o in region["Options"]] == ["North", "Central"]
    assert [t["Name"] for t in xero.get_branding_themes()] == ["Standard", "Agency"]
    assert [c.request.url for c in xero_http.calls] == [f"{API}/TrackingCategories?includeArchived=true",
                                                        f"{API}/BrandingThemes"]
    assert call_counts() == {(TENANT_ID, "GET /TrackingCategories"): 1, (TENANT_ID, "GET /BrandingThemes"): 1}


def test_refresh_caches_categories_options_and_themes(xero_http, connection):
    reference_data(xero_http)
    xero_http.replace("GET", f"{API}/TrackingCategories", json=CATEGORIES)
    xero_http.replace("GET", f"{API}/BrandingThemes", json=THEMES)
    reference.refresh(TENANT_ID)
    assert db.session.scalar(select(XeroTrackingCategory.name)) == "Region"
    options = dict(db.session.execute(select(XeroTrackingOption.name, XeroTrackingOption.status)).all())
    assert options == {"North": "ACTIVE", "Central": "ARCHIVED"}
    assert [(t.value, t.label) for t in tracking.themes(TENANT_ID)][0] == (STANDARD, "Standard")
    # The organisation serves no entity any more: its cache goes.
    reference.forget(TENANT_ID)
    assert db.session.scalar(select(XeroBrandingTheme)) is None and db.session.scalar(select(XeroTrackingOption)) is None


RULES = TrackingRules((
    CategoryRule("Region", "client", "client", "client", {"7": OptionTarget("North"),
                                                          "8": OptionTarget("Central", archived=True)}),
    CategoryRule("Department", "service_type", "service_type", "service type", {"1": OptionTarget("Design")}),
))


def test_rules_give_names_leave_unmapped_out_and_refuse_archived():
    mapped = RULES.line({"client": ("7", "Harbour"), "service_type": ("1", "Design")})
    assert mapped.entries == ({"Name": "Region", "Option": "North"}, {"Name": "Department", "Option": "Design"})
    unmapped = RULES.line({"client": ("9", "Kiwi Ltd")})
    assert unmapped.entries == () and unmapped.shown == (("Region", None), ("Department", None))
    assert unmapped.unmapped == ("Region: no option is mapped to the client Kiwi Ltd, sent without a Region option.",
                                 "Department: this line has no service type, sent without a Department option.")
    archived = RULES.line({"client": ("8", "Old Co"), "service_type": ("1", "Design")})
    assert archived.entries == ({"Name": "Department", "Option": "Design"},)
    assert archived.refused[0].startswith("The tracking option Central (Region), mapped to the client Old Co, is archived")


def test_bodies_with_tracking_and_a_theme_keep_the_contract():
    invoice = sample_invoice()
    invoice.client_id, invoice.client, invoice.custom_values = 7, SimpleNamespace(name="Harbour"), []
    invoice.lines[0].service_type = SimpleNamespace(name="Design")
    choices = mapping.CopyChoices(contact_id=str(uuid4()), tax_type="OUTPUT2", tax_percent=Decimal("15"),
                                  status="AUTHORISED", default_account="200", tracking=RULES,
                                  branding_theme_id=STANDARD)
    create = mapping.invoice_payload(invoice, choices)
    assert create["BrandingThemeID"] == STANDARD
    assert create["LineItems"][0]["Tracking"] == [{"Name": "Region", "Option": "North"},
                                                  {"Name": "Department", "Option": "Design"}]
    assert contract.problems(prepared("PUT", "/Invoices?summarizeErrors=false", {"Invoices": [create]}), REAL_XERO) == []
    update = mapping.update_payload(invoice, choices, {"Status": "DRAFT", "LineItems": [{"LineItemID": str(uuid4())}]})
    assert contract.problems(prepared("POST", f"/Invoices/{uuid4()}", {"Invoices": [update]}), REAL_XERO) == []
    budget = SimpleNamespace(id=3, name="Launch", client_id=7, client=SimpleNamespace(name="Harbour"))
    expense = SimpleNamespace(description="Flyers", reference="SUP-1", supplier_id=1, service_type_id=1,
                              service_type=SimpleNamespace(name="Design"), budget=budget, quantity=Decimal("1"),
                              amount=Decimal("100.00"), currency="NZD", date=dt.date(2026, 3, 2),
                              due_date=dt.date(2026, 4, 1))
    bill = bill_mapping.bill_payload(expense, bill_mapping.BillChoices(
        contact_id=str(uuid4()), status="DRAFT", default_account="429", tracking=RULES))
    assert bill["LineItems"][0]["Tracking"][0] == {"Name": "Region", "Option": "North"}
    assert contract.problems(prepared("PUT", "/Invoices", {"Invoices": [bill]}), REAL_XERO) == []
    # The checker would catch a malformed Tracking (not an array of LineItemTracking).
    bad = {**create, "LineItems": [{**create["LineItems"][0], "Tracking": {"Name": "Region"}}]}
    assert contract.problems(prepared("PUT", "/Invoices", {"Invoices": [bad]}), REAL_XERO) != []


def test_xeros_tracking_and_theme_refusals_say_what_to_do():
    from bridge.xero.sending import explain

    for document in ("invoice", "bill"):
        assert "Refresh from Xero" in explain.hint("The TrackingOption 'Central' does not exist or is archived", document)
    assert "choose another theme" in explain.hint(
        "The BrandingThemeID 'x' does not match a branding theme of this organisation.")
