"""Issue 21 in a real browser against the Xero sandbox over real HTTP: two billing entities, both
organisations granted in one consent and assigned on one screen (a refusal first), two cards,
then one entity disconnected while the other keeps working; a member sees the cards only.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots (1280x800 and 390x844)."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.models import BillingEntity, XeroConnection
from bridge.xero.api.client import XeroClient
from tests.browser.conftest import log_in
from tests.browser.test_marketplace import bridge, consent_in_popup, open_marketplace  # noqa: F401  (fixture)
from tests.conftest import MEMBER
from tests.marketplace.conftest import AU_TENANT, NZ_TENANT, fresh_budget  # noqa: F401  (autouse)

SHOTS = os.environ.get("BRIDGE_SCREENSHOTS")


def snap(page, name: str) -> None:
    """Keep the page at a desktop and a phone width when BRIDGE_SCREENSHOTS names a folder."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.fixture
def studio(app):
    first_entity()
    entity = BillingEntity(name="Studio AU", base_currency="AUD")
    db.session.add(entity)
    db.session.commit()
    return entity



def consent_to_both(page, card) -> None:
    """Connect App on the card, tick NZ and AU in the consent popup; on to the assignment screen."""
    with page.expect_popup() as popup_info:
        card.locator("text=Connect App").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    for tenant in (NZ_TENANT, AU_TENANT):
        popup.check(f"input[name=tenant][value='{tenant}']")
    with popup.expect_event("close"):
        popup.click("button[value=allow]")
    page.wait_for_url("**/marketplace/xero/organisations/*")


def test_two_entities_connected_in_one_consent_then_one_disconnected(page, bridge, users, studio, app,  # noqa: F811
                                                                     xero_sandbox):
    open_marketplace(page, bridge)
    agency_card, studio_card = page.locator("#app-xero"), page.locator(f"#app-xero-{studio.id}")
    expect(agency_card).to_contain_text("My agency")
    expect(studio_card).to_contain_text("Studio AU")
    expect(studio_card).to_contain_text("Not connected")

    # Connect from the studio's card, ticking both organisations.
    consent_to_both(page, studio_card)
    expect(page.locator("h1")).to_contain_text("Which entity uses each Xero organisation?")

    # Both for the studio: refused at the field, the choices kept.
    page.select_option(f"select[name=use-{NZ_TENANT}]", label="Use for Studio AU")
    page.select_option(f"select[name=use-{AU_TENANT}]", label="Use for Studio AU")
    page.click("button:has-text('Connect')")
    expect(page.locator(".error-summary")).to_contain_text("an entity uses one organisation")
    expect(page.locator(f"select[name=use-{AU_TENANT}]")).to_have_value(str(studio.id))
    snap(page, "assign-refused")
    assert db.session.scalar(select(db.func.count()).select_from(XeroConnection)) == 0

    page.select_option(f"select[name=use-{NZ_TENANT}]", label="Use for My agency")
    snap(page, "assign")
    page.click("button:has-text('Connect')")
    page.wait_for_url(bridge.url + "/settings/marketplace")
    expect(agency_card).to_contain_text("Connected to “Demo Company (NZ)”")
    expect(studio_card).to_contain_text("Connected to “Demo Company (AU)”")
    expect(page.locator(".flash", has_text="Connected to Demo Company (NZ) for My agency.")).to_be_visible()
    expect(page.locator(".flash", has_text="Connected to Demo Company (AU) for Studio AU.")).to_be_visible()
    snap(page, "marketplace-two-cards")

    # The bin on My agency's card only.
    agency_card.locator("a[aria-label='Disconnect Xero from My agency']").click()
    dialog = page.locator("#modal")
    expect(dialog).to_contain_text("Disconnect Xero from My agency?")
    expect(dialog).to_contain_text("Other entities' organisations stay connected.")
    dialog.locator("button:has-text('Disconnect')").click()
    expect(page.locator(".flash").first).to_contain_text("Disconnected from Demo Company (NZ).")
    expect(agency_card).to_contain_text("Not connected")
    expect(studio_card).to_contain_text("Connected to “Demo Company (AU)”")
    snap(page, "marketplace-one-disconnected")
    db.session.expire_all()
    assert [(r.entity_id, r.tenant_id) for r in db.session.scalars(select(XeroConnection))] == [(studio.id, AU_TENANT)]
    # The studio's organisation still answers (a call from this process, on the same database).
    app.config.update(xero_sandbox.bridge_config())
    with XeroClient(AU_TENANT) as client:
        assert client.get_organisation()["Name"] == "Demo Company (AU)"
    # And its wizard opens from its pencil.
    studio_card.locator("a[aria-label='Edit the Xero integration of Studio AU']").click()
    page.wait_for_url(bridge.url + f"/marketplace/xero/{studio.id}/setup")
    expect(page.locator("h1")).to_contain_text("Studio AU")
    snap(page, "setup-studio")

    # A member sees both cards, without their controls.
    page.context.clear_cookies()
    log_in(page, bridge, MEMBER["email"], MEMBER["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(bridge.url + "/settings/marketplace")
    expect(studio_card).to_contain_text("Connected to “Demo Company (AU)”")
    expect(agency_card).to_contain_text("An admin connects My agency's Xero organisation.")
    expect(page.locator(".app-tools")).to_have_count(0)
    snap(page, "marketplace-member")
