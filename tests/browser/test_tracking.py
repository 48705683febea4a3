"""Issue 19 in a real browser against the Xero sandbox over real HTTP: in the Xero settings, map a
select custom field (Office) to the Region tracking category and the service type to Department,
and choose the Agency branding theme; copy an invoice; see the options and the theme in the
sandbox's own UI, and the theme's name on Xero's PDF.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots (1280 and 390 px wide)."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import CustomField, CustomFieldValue, XeroCopy
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.browser.test_copy_to_xero import bridge, open_invoice, open_modal, pick_contact, settled, submit  # noqa: F401
from tests.copy.conftest import connected, invoice, sandbox_invoices, workspace  # noqa: F401  (fixtures)
from tests.copy.tracking import line_tracking, option_id, theme_id
from tests.invoicing.test_show_and_pdf import pdf_strings
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)

SHOTS = os.environ.get("BRIDGE_SCREENSHOTS")


def snap(page, name: str) -> None:
    """Full-page screenshots at 1280 and 390 px wide when BRIDGE_SCREENSHOTS names a folder; the
    page never scrolls sideways at either width."""
    size = page.viewport_size
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"tracking-{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)


@pytest.fixture
def office(app, invoice):
    field = CustomField(name="Office", field_type="select", options_text="Auckland\nWellington\nSydney")
    db.session.add(field)
    db.session.flush()
    db.session.add(CustomFieldValue(invoice_id=invoice.id, field_id=field.id, value="Auckland"))
    db.session.commit()
    return field


def test_map_tracking_and_a_theme_then_see_them_in_xero(page, bridge, invoice, office, xero_sandbox):
    open_invoice(page, bridge, invoice)
    page.goto(f"{bridge.url}/marketplace/xero/setup")
    card = page.locator("#tracking-card")
    expect(card).to_contain_text("Department")
    expect(card).to_contain_text("Region")
    region = card.locator(".tracking-category", has_text="Region")
    department = card.locator(".tracking-category", has_text="Department")
    # Choosing a source brings its values, each with the category's options (Central is archived: not offered).
    settled(page, lambda: region.locator("select[name$=_source]").select_option(label="Custom field: Office (invoices only)"))
    region = page.locator("#tracking-card .tracking-category", has_text="Region")
    expect(region.locator("tbody tr")).to_have_count(3)
    auckland = region.locator("tr", has_text="Auckland").locator("select")
    expect(auckland.locator("option", has_text="Central")).to_have_count(0)
    auckland.select_option(label="North")
    department = page.locator("#tracking-card .tracking-category", has_text="Department")
    settled(page, lambda: department.locator("select[name$=_source]").select_option("service_type"))
    department = page.locator("#tracking-card .tracking-category", has_text="Department")
    department.locator("tr", has_text="Design").locator("select").select_option(label="Design")
    # The Office choice made before survived the Department card's re-render.
    expect(page.locator("#tracking-card tr", has_text="Auckland").locator("select")).to_have_value(
        option_id("Region", "North"))
    page.locator("select[name=branding_theme_id]").select_option(label="Agency")
    snap(page, "settings")
    page.click("#setup-actions button[type=submit]")
    page.wait_for_url(bridge.url + "/settings/marketplace")

    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    modal = open_modal(page)
    expect(modal.locator("select[name=branding_theme_id]")).to_have_value(theme_id("Agency"))
    preview = modal.locator("#copy-preview")
    expect(preview.locator("tbody tr").first).to_contain_text("Region: North")
    expect(preview.locator("tbody tr").first).to_contain_text("Department: Design")
    expect(preview).to_contain_text("Department: this line has no service type")  # the Hosting line
    pick_contact(modal, "Northwind Studio")
    snap(page, "modal")
    if SHOTS:  # the preview's end: each line's options, and the note on what goes untracked
        page.locator("#copy-preview > :last-child").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SHOTS) / "tracking-modal-preview-1280.png"))
    submit(modal)
    expect(modal).to_contain_text("Invoice copied")

    (copied,) = sandbox_invoices()
    assert line_tracking(copied) == [{"Region": "North", "Department": "Design"}, {"Region": "North"}]
    # The sandbox's own UI (the "Xero" side) shows the options and the theme.
    page.goto(f"{xero_sandbox.url}/_ui/{NZ_TENANT}/invoices/{copied['InvoiceID']}")
    body = page.locator("body")
    for words in ("Region", "North", "Department", "Design", "Agency"):
        expect(body).to_contain_text(words)
    snap(page, "sandbox-ui")
    with XeroClient(NZ_TENANT) as client:
        assert "Agency" in pdf_strings(client.get_invoice_pdf(copied["InvoiceID"]))
    assert db.session.query(XeroCopy).count() == 1
