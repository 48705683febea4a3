"""Issue 6 in a real browser against the Xero sandbox over real HTTP: turn expense export on in
the Xero settings, send one expense and see it as a bill in the sandbox's UI with the mapped
account, then send five expenses of a budget at once, one of which Xero refuses.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots."""
import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import Budget, ServiceType, XeroSettings
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.bills.conftest import configure, connected, make_expense, workspace  # noqa: F401  (fixtures)
from tests.browser.conftest import log_in
from tests.browser.test_copy_to_xero import snap
from tests.copy.conftest import forget_currencies
from tests.conftest import ADMIN, make_app
from tests.live import LiveServer
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)


@pytest.fixture
def bridge(connected, database_url, xero_sandbox):
    """Bridge on a real port (CSRF on), connected and set up with expense export still off."""
    configure(export_expenses=False, default_expense_account_code=None, expense_tax_type=None,
              expense_accounts={})
    served = make_app(database_url, WTF_CSRF_ENABLED=True, **xero_sandbox.bridge_config())
    with LiveServer(served) as server:
        yield server


def test_turn_export_on_and_send_one_expense_as_a_bill(page, bridge, workspace, sandbox):
    expense = make_expense(workspace)
    printing = db.session.get(ServiceType, workspace["printing"].id)
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/expenses/{expense.id}")
    expect(page.locator("text=Send to Xero")).to_have_count(0)

    page.goto(f"{bridge.url}/marketplace/xero/setup")
    page.check("input[name=export_expenses]")
    page.select_option("select[name=default_expense_account_code]", "429")
    page.select_option(f"select[name=expense_account_{printing.id}]", "310")
    page.select_option("select[name=expense_tax_type]", "INPUT2")
    expect(page.locator("#expense-fields")).to_contain_text("Every bill line gets this Xero tax rate")
    snap(page, "bills-1-settings")
    page.click("text=Save settings")
    page.wait_for_url(bridge.url + "/settings/marketplace")
    db.session.expire_all()
    settings = db.session.get(XeroSettings, 1)
    assert (settings.export_expenses, settings.expense_tax_type) == (True, "INPUT2")

    page.goto(f"{bridge.url}/expenses/{expense.id}")
    box = page.locator("#xero-bill-state")
    box.locator("button:has-text('Send to Xero')").click()
    expect(box).to_contain_text("Sent to Xero")
    expect(box).to_contain_text("PI-1001")
    expect(box).to_contain_text("230.00")
    snap(page, "bills-2-sent")
    with page.expect_popup() as popup_info:
        box.locator("text=Open in Xero").click()
    bill = popup_info.value
    bill.wait_for_load_state()
    expect(bill.locator("h1")).to_contain_text("Bill PI-1001")
    line = bill.locator("tr", has_text="Flyers, 500 copies")
    expect(line).to_contain_text("310")
    expect(line).to_contain_text("INPUT2")
    snap(bill, "bills-3-sandbox-bill")
    bill.goto(f"{sandbox.url}/_ui/{NZ_TENANT}/")
    expect(bill.locator("tr", has_text="PI-1001").locator("td.accounts")).to_have_text("310")

    # Update existing, from the "Sent to Xero" menu.
    page.goto(f"{bridge.url}/expenses/{expense.id}")
    box.locator(".copied-button").hover()
    box.locator("button:has-text('Update existing')").click()
    expect(box).to_contain_text("Updated")


def test_send_five_one_refused(page, bridge, workspace, sandbox):
    configure()
    forget_currencies()  # Bridge does not know Xero's currencies: Xero refuses the JPY bill
    budget = Budget(name="Trade fair", currency="NZD")
    db.session.add(budget)
    db.session.commit()
    for n in range(5):
        osaka = n == 2
        make_expense(workspace, budget_id=budget.id, reference=f"TF-{n}",
                     description="Paper from Osaka" if osaka else f"Stand part {n}",
                     currency="JPY" if osaka else "NZD", amount=Decimal("50.00") + n,
                     date=dt.date(2026, 3, 2 + n))
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/budgets/{budget.id}")
    boxes = page.locator("input[name=expense_ids]")
    expect(boxes).to_have_count(5)
    for index in range(5):
        boxes.nth(index).check()
    page.click("text=Send selected to Xero")
    progress = page.locator("#bulk-progress")
    expect(progress).to_contain_text("5 of 5 done: finished.")
    results = page.locator(".bulk-results")
    expect(results.locator(".bulk-done")).to_have_count(4)
    refused = results.locator(".bulk-failed")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Paper from Osaka")
    expect(refused).to_contain_text("Organisation is not subscribed to currency JPY")
    expect(refused).to_contain_text("does not use the expense's currency")
    # The table's Xero cells follow without a reload: four bills, Osaka still to send.
    expect(page.locator("table .sent-to-xero")).to_have_count(4)
    expect(page.locator("table button:has-text('Send to Xero')")).to_have_count(1)
    snap(page, "bills-4-bulk")
    page.reload()
    expect(page.locator(".sent-to-xero")).to_have_count(4)


def test_send_one_from_the_budget_list(page, bridge, workspace, sandbox):
    configure()
    first, second = make_expense(workspace, reference="ROW-1"), make_expense(workspace, reference="ROW-2")
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/budgets/{workspace['budget'].id}")
    page.locator(f"#expense-row-{second.id} button:has-text('Send to Xero')").click()
    expect(page.locator("#bulk-progress")).to_contain_text("1 of 1 done: finished.")
    expect(page.locator(".bulk-done")).to_contain_text("ROW-2")
    expect(page.locator(".bulk-item")).to_have_count(1)
    expect(page.locator(f"#expense-row-{second.id} .sent-to-xero")).to_contain_text("ROW-2")
    page.reload()
    expect(page.locator(f"#expense-row-{second.id} .sent-to-xero")).to_contain_text("ROW-2")
    expect(page.locator(f"#expense-row-{first.id} button:has-text('Send to Xero')")).to_be_visible()
