"""The Expenses page in a real browser against the Xero sandbox over real HTTP: tick two expenses
of two budgets, send them, and see both bills' numbers in the Xero column; and the table's
layout (numbers and dates on one line at 1280 px; at 390 px the table scrolls in its own box and
the page never sideways).

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots."""
import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import Budget
from tests.bills.conftest import connected, make_expense, sandbox_bills, workspace  # noqa: F401  (fixtures)
from tests.browser.conftest import log_in
from tests.browser.test_copy_to_xero import snap
from tests.conftest import ADMIN, make_app
from tests.live import LiveServer
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)


@pytest.fixture
def bridge(connected, database_url, xero_sandbox):
    """Bridge on a real port (CSRF on), connected, set up, expense export on."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, **xero_sandbox.bridge_config())
    with LiveServer(served) as server:
        yield server


def trade_fair() -> Budget:
    budget = Budget(name="Trade fair stand, Auckland convention centre", currency="NZD")
    db.session.add(budget)
    db.session.commit()
    return budget


def test_tick_two_expenses_send_them_and_see_their_bills(page, bridge, workspace, sandbox):
    flyers = make_expense(workspace, reference="EX-101", description="Flyers, 500 copies")
    stand = make_expense(workspace, budget_id=trade_fair().id, reference="EX-202", description="Stand build",
                         amount=Decimal("1450.00"), date=dt.date(2026, 3, 9))
    posters = make_expense(workspace, reference="EX-303", description="Posters")
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.click("nav.mainnav >> text=Expenses")
    page.wait_for_url(bridge.url + "/expenses")
    for expense in (flyers, stand):
        page.check(f"#expense-row-{expense.id} input[name=expense_ids]")
    page.click("text=Send selected to Xero")
    expect(page.locator("#bulk-progress")).to_contain_text("2 of 2 done: finished. 2 sent as bills.")
    # The Xero column follows without a reload, then from the ledger after one.
    expect(page.locator(f"#expense-row-{flyers.id} .bill-cell")).to_contain_text("EX-101")
    expect(page.locator(f"#expense-row-{stand.id} .bill-cell")).to_contain_text("EX-202")
    snap(page, "expenses-1-sent")
    page.reload()
    for expense, number in ((flyers, "EX-101"), (stand, "EX-202")):
        cell = page.locator(f"#expense-row-{expense.id} .bill-cell")
        expect(cell).to_contain_text(number)
        expect(cell).to_contain_text("Awaiting Payment")
    expect(page.locator(f"#expense-row-{posters.id} .bill-cell button")).to_have_text("Send to Xero")
    assert sorted(bill["InvoiceNumber"] for bill in sandbox_bills()) == ["EX-101", "EX-202"]


# Cells whose text spans more than one line (a rectangle lower than the first by half a line).
WRAPPED = """(selector) => [...document.querySelectorAll(selector)].filter((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top);
  return tops.length && Math.max(...tops) - Math.min(...tops) > 10;
}).map((cell) => cell.textContent.trim())"""


def test_numbers_and_dates_never_wrap_and_the_phone_scrolls_only_the_table(page, bridge, workspace):
    fair = trade_fair()
    for n in range(6):
        make_expense(workspace, budget_id=fair.id if n % 2 else workspace["budget"].id, reference=f"SUPPLIER-INV-{n:05}",
                     description=f"Stand lighting, rigging and on-site electrician, day {n + 1}",
                     amount=Decimal("123456.78") + n, date=dt.date(2026, 11, 20 + n), due_date=dt.date(2026, 12, 30))
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(bridge.url + "/expenses")
    # Dates, amounts, references, payment badges, and each bill's number and status in Xero.
    columns = ("#expense-table td.num, #expense-table td.nowrap, #expense-table .bill-cell .sent-to-xero, "
               "#expense-table .bill-cell .badge, #expense-table .bill-cell button")
    assert page.locator(columns).count() >= 6 * 6
    assert page.evaluate(WRAPPED, columns) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.locator("#expense-table .table-wrap").evaluate("(el) => el.scrollWidth <= el.clientWidth")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(bridge.url + "/expenses")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("#expense-table .table-wrap")
    assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert page.evaluate(WRAPPED, "#expense-table td.num, #expense-table td.nowrap") == []
    snap(page, "expenses-2-phone")
