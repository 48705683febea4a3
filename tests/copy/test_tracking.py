"""Tracking categories and branding themes on copied invoices, against the sandbox over real HTTP.

Region follows the invoice custom field Office (Auckland -> North, Wellington -> South, Sydney
unmapped) and Department the line's service type (Design -> Design). Xero's answer says what it
booked; every request sent keeps to the spec (the `sent` fixture of test_contract)."""
import json

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import CustomField, CustomFieldValue, XeroCopy, XeroTrackingCategory
from bridge.xero.api.ratelimit import call_counts, reset_call_counts
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.invoices.bulk.jobs import run_job
from bridge.xero.settings import reference
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.bulk import bulk_sleeps, many_invoices, queued_job  # noqa: F401  (fixture)
from tests.copy.conftest import copies, northwind, post_copy, recorded, sandbox_invoices, text
from tests.copy.test_contract import sent  # noqa: F401  (fixture)
from tests.copy.tracking import choice, line_tracking, map_tracking, option_id, theme_id
from tests.xero import contract


@pytest.fixture
def office(app):
    field = CustomField(name="Office", field_type="select", options_text="Auckland\nWellington\nSydney")
    db.session.add(field)
    db.session.commit()
    return field


@pytest.fixture
def tracked(connected, workspace, office):
    map_tracking(choice("Region", "custom_field", {"Auckland": "North", "Wellington": "South"}, office.id),
                 choice("Department", "service_type", {workspace["design"].id: "Design"}))
    return connected


def set_office(invoice, office, value: str) -> None:
    db.session.add(CustomFieldValue(invoice_id=invoice.id, field_id=office.id, value=value))
    db.session.commit()


def sent_body(sent, method: str = "PUT") -> dict:
    """The first invoice of the last body Bridge sent to Xero's /Invoices with this method, as sent."""
    (request,) = [r for r in sent if r.method == method and "/api.xro/2.0/Invoices" in r.url
                  and "/History" not in r.url][-1:]
    return json.loads(request.body)["Invoices"][0]


def sent_lines(sent) -> list[dict]:
    return sent_body(sent)["LineItems"]


def test_reference_refresh_reads_categories_with_archived_options_and_themes(connected, sent, app):
    sent.clear()
    reference.refresh(NZ_TENANT)
    urls = [r.url.split("/api.xro/2.0")[-1] for r in sent if "/api.xro/2.0" in r.url]
    assert "/TrackingCategories?includeArchived=true" in urls and "/BrandingThemes" in urls
    assert [p for r in sent for p in contract.problems(r, app.config)] == []
    names = dict(db.session.execute(select(XeroTrackingCategory.name, XeroTrackingCategory.status)).all())
    assert names == {"Region": "ACTIVE", "Department": "ACTIVE"}
    assert option_id("Region", "Central")  # the archived option is cached, to be flagged
    assert theme_id("Standard") and theme_id("Agency")


def test_a_copy_carries_each_lines_mapped_options(tracked, admin, invoice, office, sandbox, sent, app, hx):
    set_office(invoice, office, "Auckland")
    modal = text(admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx))
    assert "Region: North Department: Design" in modal  # the Design line
    sent.clear()
    assert post_copy(admin, invoice, contact=northwind()).status_code == 200
    assert [p for r in sent for p in contract.problems(r, app.config)] == []
    assert sent_lines(sent)[0]["Tracking"] == [{"Name": "Region", "Option": "North"},
                                                   {"Name": "Department", "Option": "Design"}]
    (copied,) = sandbox_invoices()
    # The Hosting line has no service type: Region only.
    assert line_tracking(copied) == [{"Region": "North", "Department": "Design"}, {"Region": "North"}]


def test_an_unmapped_value_sends_no_option_and_the_preview_says_so(tracked, admin, invoice, office, sandbox, sent, hx):
    set_office(invoice, office, "Sydney")
    modal = text(admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx))
    assert "Region: no option is mapped to Sydney of Office, sent without a Region option." in modal
    assert "Department: this line has no service type, sent without a Department option." in modal
    assert "Region: none" in modal
    assert post_copy(admin, invoice, contact=northwind()).status_code == 200
    assert [line.get("Tracking") for line in sent_lines(sent)] == [
        [{"Name": "Department", "Option": "Design"}], []]
    assert line_tracking(sandbox_invoices()[0]) == [{"Department": "Design"}, {}]


def test_an_archived_option_is_refused_before_sending(tracked, admin, invoice, office, workspace, sandbox, hx):
    # Wellington was mapped to Central, archived in Xero since.
    map_tracking(choice("Region", "custom_field", {"Wellington": "Central"}, office.id))
    set_office(invoice, office, "Wellington")
    contact = northwind()
    modal = text(admin.get(f"/invoices/{invoice.id}/xero/copy", headers={"HX-Request": "true"}))
    assert "The tracking option Central (Region), mapped to Wellington of Office, is archived in Xero" in modal
    reset_call_counts()
    response = post_copy(admin, invoice, contact=contact)
    assert response.status_code == 422
    assert "The tracking option Central (Region), mapped to Wellington of Office, is archived" in text(response)
    assert call_counts() == {}
    assert recorded(sandbox, "PUT", "/Invoices") == []
    assert [row.state for row in copies()] == []  # refused before the attempt was recorded
    # The settings flag it at the field, and keep it from being saved as it is.
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    assert "Central (archived)" in page and "is archived in Xero or no longer there" in page
    kept = admin.post("/marketplace/xero/setup", data=setup_fields(page))
    assert kept.status_code == 422 and "Nothing was saved" in text(kept)
    assert "Wellington: Central is archived in Xero or no longer there" in text(kept)  # the error summary
    # Choosing another option saves.
    fixed = {**setup_fields(page), **{name: option_id("Region", "South") for name in setup_fields(page)
                                       if setup_fields(page)[name] == option_id("Region", "Central")}}
    assert admin.post("/marketplace/xero/setup", data=fixed).status_code == 302


def test_the_modal_offers_the_theme_and_the_copy_sends_it(tracked, admin, invoice, sandbox, sent, hx):
    map_tracking(theme="Agency")
    contact = northwind()
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx).get_data(as_text=True)
    assert f'<option selected value="{theme_id("Agency")}">Agency</option>' in modal
    # This copy: Standard instead.
    response = post_copy(admin, invoice, contact=contact, branding_theme_id=theme_id("Standard"))
    assert response.status_code == 200, text(response)
    assert sandbox_invoices()[0]["BrandingThemeID"] == theme_id("Standard")
    # Xero's default (none chosen): no BrandingThemeID sent.
    assert post_copy(admin, invoice, contact=contact, action="update",
                     branding_theme_id="").status_code == 200
    assert "BrandingThemeID" not in sent_body(sent, "POST")
    # A theme Xero no longer has is refused at the field, before any call.
    reset_call_counts()
    gone = post_copy(admin, invoice, contact=contact, action="update",
                     branding_theme_id="9d6b1a35-4c1e-4a43-a8d6-3c0a5c0f5b7e")
    assert gone.status_code == 422 and "The branding theme chosen is no longer in Xero" in text(gone)
    assert call_counts() == {}


def test_bulk_copy_carries_tracking_and_the_default_theme(tracked, workspace, office, sandbox, users, bulk_sleeps):
    map_tracking(choice("Region", "custom_field", {"Auckland": "North", "Wellington": "Central"}, office.id),
                 choice("Department", "service_type", {workspace["design"].id: "Design"}), theme="Agency")
    ids = many_invoices(workspace, 3)
    for invoice_id, value in zip(ids, ("Auckland", "Sydney", "Wellington")):
        db.session.add(CustomFieldValue(invoice_id=invoice_id, field_id=office.id, value=value))
    db.session.commit()
    job = bulk_plan.select_invoices(ids, user_id=users["admin"].id, link_template="http://bridge.test/invoices/{id}")
    plan = bulk_plan.plan_job(job.id)
    # Wellington -> Central (archived): that invoice cannot go, and the plan says why.
    assert [b.invoice.id for b in plan.blocked] == [ids[2]]
    assert "The tracking option Central (Region)" in plan.blocked[0].reason
    job_id = queued_job(ids[:2], users["admin"].id)
    assert run_job(job_id).done == 2
    made = {i["Reference"]: i for i in sandbox_invoices()}
    assert line_tracking(made["Month end 1"]) == [{"Region": "North", "Department": "Design"}]
    assert line_tracking(made["Month end 2"]) == [{"Department": "Design"}]
    assert {i["BrandingThemeID"] for i in made.values()} == {theme_id("Agency")}
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1


def test_the_settings_map_a_select_field_and_the_service_type(connected, admin, workspace, office):
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    assert "Tracking categories" in page and "Region" in page and "Department" in page
    assert page.index("Expenses") < page.index("Branding theme") < page.index("Tracking categories")
    form = setup_fields(page)
    # Region follows Office: the card comes back with Office's options (HTMX, nothing saved).
    form.update({"tracking_1_source": f"custom_field:{office.id}"})
    card = admin.post("/marketplace/xero/setup/tracking", data=form, headers={"HX-Request": "true"})
    assert card.status_code == 200 and "Auckland" in card.get_data(as_text=True)
    form.update({"tracking_1_value_0": option_id("Region", "North"), "tracking_0_source": "service_type",
                 "tracking_0_value_0": option_id("Department", "Design"), "branding_theme_id": theme_id("Agency")})
    saved = admin.post("/marketplace/xero/setup", data=form)
    assert saved.status_code == 302, text(saved)
    from bridge.xero.settings import setup as settings_setup

    answers = settings_setup.load()
    assert answers.branding_theme_id == theme_id("Agency")
    mapped = {c.category_name: (c.source, c.custom_field_id, c.options) for c in answers.tracking}
    assert mapped == {"Department": ("service_type", None, {str(workspace["design"].id): option_id("Department", "Design")}),
                      "Region": ("custom_field", office.id, {"Auckland": option_id("Region", "North")})}
    # Three categories cannot be mapped: Xero takes two per line (only two exist here: fine).
    assert db.session.scalar(select(XeroCopy)) is None


def setup_fields(page: str) -> dict:
    """The setup form's fields as the page fills them (inputs checked or with a value, selects' selected option)."""
    import re

    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*checked', page):
        data[name] = value
    for name, value in re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_an_option_archived_since_the_last_read_shows_xeros_refusal_and_what_to_do(
        tracked, admin, invoice, office, sandbox):
    # Bridge's cache still says Central is active (archived in Xero after the last read).
    from bridge.models import XeroTrackingOption

    db.session.execute(XeroTrackingOption.__table__.update().where(XeroTrackingOption.name == "Central")
                       .values(status="ACTIVE"))
    db.session.commit()
    map_tracking(choice("Region", "custom_field", {"Wellington": "Central"}, office.id))
    set_office(invoice, office, "Wellington")
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 422
    said = text(response)
    assert "The TrackingOption 'Central' does not exist or is archived" in said  # Xero's words, verbatim
    assert "use Refresh from Xero in Settings > App Marketplace > Xero, then map the values" in said
    assert sandbox_invoices() == []
