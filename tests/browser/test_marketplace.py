"""Issue 4 in a real browser against the Xero sandbox over real HTTP: connect in the popup,
tick two organisations, use one (the other not), fill the wizard, see the card, edit with the pencil,
disconnect with the bin; and the Deny path."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bridge.extensions import db
from bridge.xero.settings.connect import DENIED
from bridge.models import ServiceTypeAccount, XeroConnection, XeroPendingConsent, XeroSettings
from tests.browser.conftest import log_in
from tests.conftest import ADMIN, make_app
from tests.live import LiveServer
from tests.marketplace.conftest import AU_TENANT, NZ_TENANT, fresh_budget  # noqa: F401  (autouse)
from tests.workspace.conftest import count, make_service_type


@pytest.fixture
def bridge(app, database_url, xero_sandbox):
    """Bridge on a real port, CSRF on, talking to the sandbox, its callback registered there."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, **xero_sandbox.bridge_config())
    with LiveServer(served) as server:
        xero_sandbox.allow_redirect(f"{server.url}/marketplace/xero/callback")
        yield server


def open_marketplace(page, bridge):
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.click("nav >> text=Settings")
    page.click("text=App Marketplace")
    page.wait_for_url(bridge.url + "/settings/marketplace")
    return page.locator("#app-xero")


def consent_in_popup(page, button: str, tick=()):
    """Click Connect App (or Reconnect), answer the consent in the popup; the popup closes."""
    with page.expect_popup() as popup_info:
        page.click(f"#app-xero >> text={button}")
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.locator("h1")).to_contain_text("wants to access your Xero organisations")
    for tenant in tick:
        popup.check(f"input[name=tenant][value='{tenant}']")
    with popup.expect_event("close"):
        popup.click("button[value=allow]" if tick else "button[value=deny]")


def test_connect_choose_set_up_edit_and_disconnect(page, bridge, users):
    design = make_service_type("Design")
    card = open_marketplace(page, bridge)
    expect(card).to_contain_text("Not connected")

    consent_in_popup(page, "Connect App", tick=[NZ_TENANT, AU_TENANT])
    # The marketplace page moved on by itself, to the organisation choice.
    page.wait_for_url("**/marketplace/xero/organisations/*")
    page.select_option(f"select[name=use-{NZ_TENANT}]", label="Use for My agency")
    page.select_option(f"select[name=use-{AU_TENANT}]", label="Don't use")
    page.click("button:has-text('Connect')")

    page.wait_for_url(bridge.url + "/marketplace/xero/1/setup")
    expect(page.locator(".flash")).to_contain_text("Connected to Demo Company (NZ).")
    page.select_option("select[name=default_revenue_account_code]", "200")
    page.select_option(f"select[name=revenue_account_{design.id}]", "220")
    expenses = page.locator("#expense-fields")
    expect(expenses).to_be_hidden()
    page.check("input[name=export_expenses]")
    expect(expenses).to_be_visible()
    page.select_option("select[name=default_expense_account_code]", "429")
    page.select_option(f"select[name=expense_account_{design.id}]", "463")
    # Refresh from Xero swaps the account cards and keeps what was picked.
    page.click("text=Refresh from Xero")
    expect(page.locator("#xero-reference")).to_contain_text("read from Xero just now")
    expect(page.locator("select[name=default_revenue_account_code]")).to_have_value("200")
    expect(page.locator("#expense-fields")).to_be_visible()
    page.click("text=Finish setup")

    page.wait_for_url(bridge.url + "/settings/marketplace")
    expect(card).to_contain_text("Connected to “Demo Company (NZ)”")
    expect(card).to_contain_text("Ada Admin")
    settings = db.session.get(XeroSettings, 1)
    assert (settings.default_revenue_account_code, settings.export_expenses,
            settings.default_expense_account_code, settings.sync_payments) == ("200", True, "429", False)
    assert db.session.scalar(select(ServiceTypeAccount.revenue_account_code)) == "220"
    assert [r.tenant_id for r in db.session.scalars(select(XeroConnection))] == [NZ_TENANT]

    # The pencil: turn payment sync on later.
    page.click("a[aria-label='Edit the Xero integration of My agency']")
    page.wait_for_url(bridge.url + "/marketplace/xero/1/setup")
    expect(page.locator("select[name=default_revenue_account_code]")).to_have_value("200")
    page.check("text=Synchronize payments from Xero to Bridge")
    page.click("text=Save settings")
    page.wait_for_url(bridge.url + "/settings/marketplace")
    expect(page.locator(".flash")).to_contain_text("They apply from the next copy or sync.")
    db.session.expire_all()
    assert db.session.get(XeroSettings, 1).payments_synced_since is not None

    # The bin: a dialog, then the disconnect.
    page.click("a[aria-label='Disconnect Xero from My agency']")
    dialog = page.locator("#modal")
    expect(dialog).to_contain_text("Disconnect Xero from My agency?")
    dialog.locator("button:has-text('Cancel')").click()
    expect(dialog).to_be_hidden()
    page.click("a[aria-label='Disconnect Xero from My agency']")
    dialog.locator("button:has-text('Disconnect')").click()
    expect(page.locator(".flash").first).to_contain_text("Disconnected from Demo Company (NZ).")
    expect(card).to_contain_text("Not connected")
    assert count(XeroConnection) == 0
    assert db.session.get(XeroSettings, 1).default_revenue_account_code == "200"


def test_deny_in_the_popup(page, bridge, users):
    card = open_marketplace(page, bridge)
    consent_in_popup(page, "Connect App")
    expect(page.locator(".flash-error")).to_contain_text(DENIED)
    expect(card).to_contain_text("Not connected")
    assert count(XeroConnection) == 0 and count(XeroPendingConsent) == 0


def test_blocked_popup_falls_back_to_this_window(page, bridge, users):
    page.add_init_script("window.open = function () { return null; };")
    open_marketplace(page, bridge)
    page.click("#app-xero >> text=Connect App")
    page.check(f"input[name=tenant][value='{NZ_TENANT}']")
    page.uncheck(f"input[name=tenant][value='{AU_TENANT}']")
    page.click("button[value=allow]")
    page.wait_for_url(bridge.url + "/marketplace/xero/1/setup")
    expect(page.locator(".flash")).to_contain_text("Connected to Demo Company (NZ).")
    assert [r.tenant_id for r in db.session.scalars(select(XeroConnection))] == [NZ_TENANT]
