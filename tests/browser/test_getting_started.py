"""Getting started in a real browser against the Xero sandbox: from the home page, connect Xero
in the popup and choose the settings; each step ticks on the home page; hiding it (HTMX) leaves
the calm line of what needs attention."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_marketplace import bridge, consent_in_popup  # noqa: F401  (fixture)
from tests.conftest import ADMIN
from tests.invoicing import factories
from tests.marketplace.conftest import NZ_TENANT, fresh_budget  # noqa: F401  (autouse)


def test_connect_and_set_up_from_getting_started(page, bridge, users):
    invoice = factories.invoice(factories.company("Harbour Lights Ltd", currency="NZD"))
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    guide = page.locator("#getting-started")
    expect(guide).to_contain_text("0 of 5 done.")
    expect(guide.locator("[data-step=connect]")).to_have_class(re.compile("step-current"))

    guide.get_by_role("link", name="Connect Xero").click()
    page.wait_for_url(bridge.url + "/settings/marketplace")
    consent_in_popup(page, "Connect App", tick=[NZ_TENANT])
    page.wait_for_url(bridge.url + "/marketplace/xero/1/setup")

    page.click("nav >> text=Invoices")
    page.wait_for_url(bridge.url + "/")
    expect(guide.locator("[data-step=connect]")).to_have_class(re.compile("step-done"))
    expect(guide.locator("[data-step=connect]")).to_contain_text("Connected to Demo Company (NZ).")
    expect(guide).to_contain_text("1 of 5 done.")

    guide.get_by_role("link", name="Open the setup").click()
    page.wait_for_url(bridge.url + "/marketplace/xero/setup")
    page.select_option("select[name=default_revenue_account_code]", "200")
    page.click("text=Finish setup")
    page.wait_for_url(bridge.url + "/settings/marketplace")

    page.goto(bridge.url + "/")
    expect(guide).to_contain_text("2 of 5 done.")
    expect(guide.locator("[data-step=settings]")).to_have_class(re.compile("step-done"))
    copy_step = guide.locator("[data-step=copy]")
    expect(copy_step).to_have_class(re.compile("step-current"))
    expect(copy_step.get_by_role("link", name=f"Copy {invoice.number}")).to_have_attribute(
        "href", f"/invoices/{invoice.id}?xero=copy")

    guide.get_by_role("button", name="Hide getting started").click()
    expect(page.locator("#getting-started")).to_have_count(0)
    expect(page.locator("#attention")).to_contain_text("Nothing needs your attention.")
    page.reload()
    expect(page.locator("#getting-started")).to_have_count(0)
