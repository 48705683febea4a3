"""Issue 21 end to end in a real browser, against the Xero sandbox over real HTTP: two billing
entities and two sandbox organisations connected in one consent (NZ for My agency, AU for
Harbour & Pine Ltd), each entity's wizard (payment sync on, invoices Approved), an invoice of
each copied to its own organisation through its Copy to Xero modal, a payment recorded in each
organisation and synced with each card's Sync now; then My agency disconnected while Harbour &
Pine keeps copying.

Demo Company (AU) takes AUD and NZD only, so the second entity bills in AUD.
Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots (1280x800; the two cards also at 390x844)."""
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.models import XeroConnection, XeroCopy, XeroSettings
from tests.browser.conftest import log_in
from tests.browser.test_copy_to_xero import open_modal, submit
from tests.browser.test_marketplace import bridge  # noqa: F401  (fixture)
from tests.browser.test_marketplace_entities import consent_to_both
from tests.conftest import ADMIN
from tests.copy.conftest import make_invoice, workspace  # noqa: F401  (fixture)
from tests.copy.entities import AU_TENANT, NZ_TENANT, entity_invoice, invoices_in, second_entity, zero_rate
from tests.marketplace.conftest import fresh_budget  # noqa: F401  (autouse)

SHOTS = os.environ.get("BRIDGE_SCREENSHOTS")
HARBOUR = "Harbour & Pine Ltd"


def snap(page, name: str, phone: bool = False) -> None:
    """Keep the page at 1280x800 (and at 390x844 when `phone`) when BRIDGE_SCREENSHOTS names a folder."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800),) + (((390, 844),) if phone else ()):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(SHOTS) / f"two-orgs-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.fixture
def two_entities(app, workspace):  # noqa: F811
    """My agency (NZD) with Harbour Lights Ltd's invoice; Harbour & Pine Ltd (AUD) with
    Kookaburra Media (defaulting to it) and its invoice."""
    agency = first_entity()  # before the second: My agency is entity 1
    harbour = second_entity(HARBOUR, "AUD")
    agency_invoice = make_invoice(workspace)
    harbour_invoice = entity_invoice(workspace, harbour)
    assert (agency_invoice.entity_id, agency_invoice.currency) == (agency.id, "NZD")
    assert (harbour_invoice.entity_id, harbour_invoice.currency) == (harbour.id, "AUD")
    return agency, harbour, agency_invoice, harbour_invoice


def set_up(page, bridge, entity, design_account: str, tax_types: dict) -> None:  # noqa: F811
    """The entity's wizard from its card's pencil: payment sync on, invoices Approved, accounts
    and tax rates mapped ({Bridge tax rate id: Xero tax type})."""
    page.goto(bridge.url + "/settings/marketplace")
    page.click(f"a[aria-label='Edit the Xero integration of {entity.name}']")
    page.wait_for_url(bridge.url + f"/marketplace/xero/{entity.id}/setup")
    page.check("text=Synchronize payments from Xero to Bridge")
    page.check("input[name=initial_status][value=AUTHORISED]")
    page.select_option("select[name=default_revenue_account_code]", "200")
    page.select_option("select[name^=revenue_account_]", design_account)
    for rate_id, tax_type in tax_types.items():
        page.select_option(f"select[name=tax_type_{rate_id}]", tax_type)
    snap(page, f"setup-{entity.id}")
    page.click("button:has-text('Finish setup'), button:has-text('Save settings')")
    page.wait_for_url(bridge.url + "/settings/marketplace")


def copy_through_modal(page, bridge, invoice, organisation: str, contact: str, tax_type: str) -> None:
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    modal = open_modal(page)
    expect(modal.locator(".copy-organisation")).to_contain_text(f"Xero organisation: {organisation}")
    expect(modal.locator("select[name=tax_type]")).to_have_value(tax_type)
    expect(modal.locator("#copy-preview")).to_contain_text("Matches Bridge's totals to the cent.")
    modal.locator("#contact-search").fill(contact[:5])
    option = modal.locator("#contact-results label", has_text=contact)
    option.wait_for()
    option.click()
    expect(option.locator("input")).to_be_checked()
    snap(page, f"copy-modal-{invoice.id}")
    submit(modal)
    expect(modal).to_contain_text("Invoice copied")
    modal.locator("button:has-text('Close')").click()
    expect(page.locator("#xero-copy-state .xero-status")).to_have_text("Awaiting Payment")


def sync_now(page, bridge, card_id: str, expected: str) -> None:
    page.goto(bridge.url + "/settings/marketplace")
    card = page.locator(card_id)
    card.locator("button:has-text('Sync now')").click()
    expect(card.locator("[data-sync-message]")).to_have_text(expected)


def expect_paid(page, bridge, invoice, paid: str, due: str, reference: str) -> None:
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    payments = page.locator("#payments")
    expect(payments.locator("[data-payment-status]")).to_have_text("Partially paid")
    expect(payments.locator("[data-amount-paid]")).to_have_text(paid)
    expect(payments.locator("[data-amount-due]")).to_have_text(due)
    row = payments.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(reference)
    expect(row).to_contain_text("From Xero")


def copy_of(invoice) -> XeroCopy:
    db.session.expire_all()
    return db.session.scalar(select(XeroCopy).where(XeroCopy.invoice_id == invoice.id, XeroCopy.state == "done")
                             .order_by(XeroCopy.id.desc()))


def test_two_entities_two_organisations_copy_sync_and_disconnect_one(page, bridge, users, app, xero_sandbox,  # noqa: F811
                                                                     two_entities, workspace):  # noqa: F811
    agency, harbour, agency_invoice, harbour_invoice = two_entities
    app.config.update(xero_sandbox.bridge_config())  # XeroClient in this process reads the same sandbox
    free = zero_rate().id
    assert agency_invoice.total == Decimal("397.33") and harbour_invoice.total == Decimal("345.50")

    # 1. One consent from My agency's card, NZ and AU ticked; NZ for My agency, AU for Harbour & Pine.
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(bridge.url + "/settings/marketplace")
    agency_card, harbour_card = page.locator("#app-xero"), page.locator(f"#app-xero-{harbour.id}")
    consent_to_both(page, agency_card)
    page.select_option(f"select[name=use-{NZ_TENANT}]", label="Use for My agency")
    page.select_option(f"select[name=use-{AU_TENANT}]", label=f"Use for {HARBOUR}")
    snap(page, "assign")
    page.click("button:has-text('Connect')")
    page.wait_for_url(bridge.url + "/settings/marketplace")
    expect(agency_card).to_contain_text("Connected to “Demo Company (NZ)”")
    expect(harbour_card).to_contain_text("Connected to “Demo Company (AU)”")

    # 2. Each entity's wizard: Design to 220 in NZ and 260 in AU; GST 15% OUTPUT2, No GST EXEMPTOUTPUT in AU.
    set_up(page, bridge, agency, "220", {workspace["gst"].id: "OUTPUT2", free: "ZERORATED"})
    set_up(page, bridge, harbour, "260", {free: "EXEMPTOUTPUT"})
    db.session.expire_all()
    settings = {s.entity_id: (s.tenant_id, s.sync_payments, s.initial_status)
                for s in db.session.scalars(select(XeroSettings))}
    assert settings == {agency.id: (NZ_TENANT, True, "AUTHORISED"), harbour.id: (AU_TENANT, True, "AUTHORISED")}
    snap(page, "marketplace-two-cards", phone=True)

    # 3. Each invoice through its own Copy to Xero modal, to its own organisation only.
    copy_through_modal(page, bridge, agency_invoice, "Demo Company (NZ)", "Northwind Studio", "OUTPUT2")
    copy_through_modal(page, bridge, harbour_invoice, "Demo Company (AU)", "Koala Creative", "EXEMPTOUTPUT")
    snap(page, "harbour-invoice-copied")
    (in_nz,), (in_au,) = invoices_in(NZ_TENANT), invoices_in(AU_TENANT)
    assert (in_nz["InvoiceNumber"], in_nz["CurrencyCode"], Decimal(str(in_nz["Total"])), in_nz["Status"]) == (
        agency_invoice.number, "NZD", Decimal("397.33"), "AUTHORISED")
    assert (in_au["InvoiceNumber"], in_au["CurrencyCode"], Decimal(str(in_au["Total"])), in_au["Status"]) == (
        harbour_invoice.number, "AUD", Decimal("345.50"), "AUTHORISED")
    assert (copy_of(agency_invoice).tenant_id, copy_of(harbour_invoice).tenant_id) == (NZ_TENANT, AU_TENANT)

    # 4. A payment in each organisation, as a person records it in Xero; each card's Sync now.
    xero_sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=in_nz["InvoiceID"], amount="100.00",
                         reference="NZ first tranche")
    xero_sandbox.control(f"organisations/{AU_TENANT}/payments", invoice=in_au["InvoiceID"], amount="45.50",
                         reference="AU hosting")
    sync_now(page, bridge, "#app-xero", "1 payment added, 1 invoice updated")
    sync_now(page, bridge, f"#app-xero-{harbour.id}", "1 payment added, 1 invoice updated")
    snap(page, "marketplace-synced")
    expect_paid(page, bridge, agency_invoice, "NZ$100.00", "NZ$297.33", "NZ first tranche")
    snap(page, "agency-invoice-paid")
    expect_paid(page, bridge, harbour_invoice, "A$45.50", "A$300.00", "AU hosting")
    snap(page, "harbour-invoice-paid")

    # 5. My agency's bin: Harbour & Pine stays connected and still copies (a second invoice).
    page.goto(bridge.url + "/settings/marketplace")
    agency_card.locator("a[aria-label='Disconnect Xero from My agency']").click()
    page.locator("#modal button:has-text('Disconnect')").click()
    expect(page.locator(".flash").first).to_contain_text("Disconnected from Demo Company (NZ).")
    expect(agency_card).to_contain_text("Not connected")
    expect(harbour_card).to_contain_text("Connected to “Demo Company (AU)”")
    snap(page, "marketplace-one-disconnected", phone=True)
    db.session.expire_all()
    assert [(r.entity_id, r.tenant_id) for r in db.session.scalars(select(XeroConnection))] == [(harbour.id, AU_TENANT)]

    second = entity_invoice(workspace, harbour)  # a second invoice for Kookaburra Media
    copy_through_modal(page, bridge, second, "Demo Company (AU)", "Koala Creative", "EXEMPTOUTPUT")
    snap(page, "harbour-second-copied-after-disconnect")
    assert sorted(i["InvoiceNumber"] for i in invoices_in(AU_TENANT)) == [harbour_invoice.number, second.number]
    assert copy_of(second).tenant_id == AU_TENANT

    # My agency's invoice: its copy stays on record, and the page says its Xero is not connected.
    page.goto(f"{bridge.url}/invoices/{agency_invoice.id}")
    state = page.locator("#xero-copy-state")
    expect(state).to_contain_text("Invoice copied")
    expect(state.locator(".xero-unavailable")).to_have_text(
        "Xero is not connected for My agency. An admin can connect it in Settings > App Marketplace.")
    snap(page, "agency-invoice-disconnected", phone=True)
