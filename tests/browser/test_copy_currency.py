"""Issue 16.6 in a real browser against the Xero sandbox over real HTTP: the copy modal of an
invoice in a currency Demo Company (NZ) has not enabled (JPY) says so as it opens, with how to
enable it, and sending it is refused without any Xero call.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots (1280x800 and 390x844)."""
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.xero.api.ratelimit import call_counts, reset_call_counts
from tests.browser.test_copy_to_xero import bridge, open_invoice, open_modal, snap, submit  # noqa: F401
from tests.copy.conftest import connected, copies, make_invoice, northwind, recorded, workspace  # noqa: F401
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)

NOT_ENABLED = "The Xero organisation has not enabled JPY"
HOW = "Enable it in Xero (Settings > Currencies), then use Refresh from Xero in Settings > App Marketplace > Xero."


def test_the_modal_refuses_a_currency_the_organisation_lacks(page, bridge, workspace, sandbox):
    client = workspace["client"]
    client.xero_contact_id, client.xero_contact_name = northwind().split("|")
    db.session.commit()
    yen = make_invoice(workspace, currency="JPY")
    page.set_viewport_size({"width": 1280, "height": 800})
    open_invoice(page, bridge, yen)
    reset_call_counts()
    modal = open_modal(page)
    warning = modal.locator(".notice-warn", has_text=NOT_ENABLED)
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(HOW)
    snap(page, "currency-1-modal-1280x800")
    page.set_viewport_size({"width": 390, "height": 844})
    warning.scroll_into_view_if_needed()
    expect(warning).to_be_in_viewport()
    snap(page, "currency-2-modal-390x844")
    page.set_viewport_size({"width": 1280, "height": 800})
    submit(modal)
    refusal = modal.locator("[role=alert]", has_text=NOT_ENABLED)
    expect(refusal).to_be_visible()
    expect(modal.locator(".notice-warn", has_text=NOT_ENABLED)).to_have_count(0)  # said once, not twice
    snap(page, "currency-3-refused-1280x800")
    assert call_counts() == {}  # opening, previewing and refusing: all from Bridge's tables
    assert copies() == [] and recorded(sandbox, "PUT", "/Invoices") == []
