"""Reconcile in a real browser: documents that differ for known reasons and one without,
reached from the Xero card; each row links to what resolves it; Sync now comes back to the
list. Screenshots at desktop and phone sizes go to the test's tmp_path (look at them with
--basetemp)."""
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import Expense
from tests.browser.conftest import log_in
from tests.browser.test_payment_sync import bridge  # noqa: F401  (fixture: Bridge on a real port)
from tests.conftest import ADMIN
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    fresh_process_state,
    nz,
    org,
    sandbox_app,
    sleeps,
    turn_sync_on,
)
from tests.payments.test_reconcile import second_copy, void_in_xero


def test_the_reconcile_page_lists_each_difference_with_what_resolves_it(page, bridge, org, users, tmp_path):
    turn_sync_on(org.tenant_id, on=False)
    late, late_doc = org.invoice("90.00")
    org.pay(late_doc, "30.00")
    turn_sync_on(org.tenant_id)
    twice, first = org.invoice("100.00")
    second_copy(org, twice)
    org.pay(first, "40.00")
    voided, voided_doc = org.invoice("75.00")
    void_in_xero(org, voided_doc)
    expense, _ = org.expense("480.00")
    org.sync()
    expense = db.session.get(Expense, expense.id)
    expense.amount = expense.amount + 20  # changed in Bridge after its bill was sent
    db.session.commit()

    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(bridge.url + "/settings/marketplace")
    page.locator("#app-xero").get_by_role("link", name="Reconcile").click()
    expect(page.get_by_role("heading", name="Reconcile with Xero")).to_be_visible()
    expect(page.locator("#xero-reconcile [role=status]")).to_have_text(
        "4 documents differ: 1 without a known reason.")
    rows = page.locator("[data-reconcile]")
    expect(rows).to_have_count(4)
    expect(page.locator(f"[data-reconcile=invoice-{twice.id}]")).to_contain_text("the client may be billed twice")
    expect(page.locator(f"[data-reconcile=invoice-{voided.id}]")).to_contain_text("Voided in Xero on")
    unexplained = page.locator(f"[data-reconcile=expense-{expense.id}]")
    expect(unexplained).to_contain_text("No known reason")
    expect(unexplained).to_contain_text("The total differs, and Bridge knows no reason for it.")
    page.screenshot(path=str(tmp_path / "reconcile-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "reconcile-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(tmp_path / "reconcile-1280x800.png"))

    stale = page.locator(f"[data-reconcile=invoice-{late.id}]")
    expect(stale).to_contain_text("Paid amounts differ")
    stale.get_by_role("button", name="Sync now").click()
    page.wait_for_url(bridge.url + "/settings/marketplace/xero/1/reconcile")
    expect(page.locator(".flash")).to_contain_text("Payment sync:")
    page.locator(f"[data-reconcile=invoice-{voided.id}]").get_by_role("link", name=voided.number).click()
    page.wait_for_url(f"{bridge.url}/invoices/{voided.id}")
