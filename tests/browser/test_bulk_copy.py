"""Bulk Copy to Xero in a real browser, against the sandbox over real HTTP, with the in-app
scheduler running the job: tick 10 invoices, copy, watch the bar reach 100%, open one result
in the sandbox's Xero UI.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots."""
import pytest
from playwright.sync_api import expect

from bridge.xero.scheduling import scheduler
from tests.browser.conftest import log_in
from tests.browser.test_copy_to_xero import snap
from tests.conftest import ADMIN, make_app
from tests.copy.bulk import many_invoices
from tests.copy.conftest import connected, workspace  # noqa: F401  (fixtures)
from tests.live import LiveServer
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)


@pytest.fixture
def bridge_with_scheduler(connected, database_url, xero_sandbox):
    """Bridge on a real port whose scheduler runs copy jobs, as in production."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, XERO_SCHEDULER_ENABLED=True,
                      XERO_POLL_SECONDS=3600, **xero_sandbox.bridge_config())
    runner = scheduler.running()
    assert runner is not None and runner.app is served
    try:
        with LiveServer(served) as server:
            yield server
    finally:
        runner.shutdown()


def test_select_ten_copy_watch_the_bar_and_open_a_result(page, bridge_with_scheduler, workspace, xero_sandbox):
    bridge = bridge_with_scheduler
    many_invoices(workspace, 12)
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    rows = page.locator('input[name="invoice_ids"]')
    expect(rows).to_have_count(12)
    for index in range(10):
        rows.nth(index).check()
    snap(page, "bulk-1-selected")
    page.click("#bulk-copy button[type=submit]")
    modal = page.locator("#modal")
    expect(modal).to_contain_text("10 invoices selected")
    expect(modal).to_contain_text("10 new copies in Xero")
    snap(page, "bulk-2-plan")
    # Xero is slow to answer the batch (2 s, then a 504 and a retry): time to watch it work.
    xero_sandbox.control("faults", kind="timeout", count=1, seconds=2, method="PUT",
                         path_prefix="/api.xro/2.0/Invoices")
    modal.locator("button:has-text('Copy 10 invoices to Xero')").click()
    expect(modal.locator("progress")).to_be_visible()
    expect(modal.locator("#modal-title")).to_have_text("Copying to Xero…")
    snap(page, "bulk-3-progress")
    expect(modal.locator("[data-percent]")).to_have_text("100%", timeout=30_000)
    expect(modal.locator("#modal-title")).to_have_text("Copied to Xero")
    expect(modal.locator("progress")).to_have_attribute("value", "10")
    results = modal.locator(".bulk-results tbody tr")
    expect(results).to_have_count(10)
    snap(page, "bulk-4-done")
    first = results.first.locator("td").nth(1).locator("a")
    number = first.inner_text()
    with page.context.expect_page() as opened:
        first.click()
    xero_page = opened.value
    xero_page.wait_for_load_state()
    expect(xero_page.locator("body")).to_contain_text(number)
    snap(xero_page, "bulk-5-in-xero")
    modal.locator("button:has-text('Close')").click()
    page.reload()
    expect(page.locator(".badge-copying")).to_have_count(0)


def test_closing_the_modal_does_not_stop_the_copy(page, bridge_with_scheduler, workspace, xero_sandbox):
    bridge = bridge_with_scheduler
    many_invoices(workspace, 4)
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.check("input[data-select-matching]")
    page.click("#bulk-copy button[type=submit]")
    modal = page.locator("#modal")
    expect(modal).to_contain_text("4 invoices selected")
    xero_sandbox.control("faults", kind="timeout", count=1, seconds=3, method="PUT",
                         path_prefix="/api.xro/2.0/Invoices")
    modal.locator("button:has-text('Copy 4 invoices to Xero')").click()
    expect(modal.locator("progress")).to_be_visible()
    modal.locator("button[data-close-modal]").first.click()
    page.reload()
    expect(page.locator(".badge-copying")).to_have_count(4)
    snap(page, "bulk-6-copying-in-table")
    page.goto(bridge.url + "/settings/marketplace")
    page.click("text=Copy of 4 invoices")
    expect(page.locator("[data-percent]")).to_have_text("100%", timeout=30_000)
    expect(page.locator(".bulk-results tbody tr")).to_have_count(4)
    snap(page, "bulk-7-reopened-from-the-card")
    page.goto(bridge.url + "/")
    expect(page.locator(".badge-copying")).to_have_count(0)
