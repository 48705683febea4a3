"""Issue 2's walk-through in a real browser: log in, create a client, create an invoice with
two lines and read the totals the page shows, then edit a custom-field value in the table."""
from decimal import Decimal

from bridge.extensions import db
from bridge.models import CustomField, CustomFieldValue, Invoice, ServiceType, TaxRate
from tests.browser.conftest import log_in
from tests.conftest import ADMIN


def test_client_invoice_totals_and_inline_custom_field(page, live_server, users):
    db.session.add_all([
        ServiceType(name="Design"),
        TaxRate(name="GST 15%", percentage=Decimal("15")),
        CustomField(name="Private note for the accountant", field_type="text", position=0),
    ])
    db.session.commit()
    log_in(page, live_server, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(live_server.url + "/")

    # A new client.
    page.click("nav >> text=Clients")
    page.click("text=New client")
    page.fill("input[name=name]", "Harbour Lights Ltd")
    page.fill("input[name=email]", "accounts@harbour.example")
    page.select_option("select[name=default_currency]", "NZD")
    page.click("button:has-text('Add client')")
    page.locator("td", has_text="Harbour Lights Ltd").wait_for()

    # An invoice with two lines; the totals come from the server as the lines change.
    page.goto(live_server.url + "/invoices/new")
    page.select_option("select[name=client_id]", label="Harbour Lights Ltd")
    page.fill("input[name=subject]", "Brand refresh")
    page.fill("input[name=issue_date]", "2026-11-02")
    page.fill("input[name=due_date]", "2026-12-02")
    page.fill("textarea[name='lines-0-description']", "Logo design")
    page.fill("input[name='lines-0-quantity']", "3")
    page.fill("input[name='lines-0-unit_price']", "33.33")
    page.select_option("select[name='lines-0-tax_rate_id']", label="GST 15%")
    page.click("button:has-text('Add line')")
    second = page.locator("tr.line-row").nth(1)
    second.wait_for()
    second.locator("textarea[name$='-description']").fill("Style guide")
    second.locator("input[name$='-quantity']").fill("1")
    second.locator("input[name$='-unit_price']").fill("250.05")
    second.locator("input[name$='-discount_percent']").fill("10")
    second.locator("select[name$='-tax_rate_id']").select_option(label="GST 15%")
    # Line 1: 99.99 net, 15.00 tax (14.9985 rounded per line). Line 2: 225.05 net (225.045), 33.76 tax.
    totals = page.locator("#totals")
    totals.locator("text=325.04").wait_for()
    assert "48.76" in totals.inner_text()
    assert "NZ$373.80" in totals.inner_text()
    page.click("button:has-text('Create invoice')")
    page.wait_for_url("**/invoices/*")
    assert "NZ$373.80" in page.locator("main").inner_text()
    invoice = db.session.scalar(db.select(Invoice))
    db.session.refresh(invoice)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("325.04"), Decimal("48.76"), Decimal("373.80"))

    # The table view: edit the custom field in place.
    page.click("nav >> text=Invoices")
    row = page.locator("tr", has_text=invoice.number)
    row.locator("button[title='Edit Private note for the accountant']").click()
    cell_input = row.locator("input[name=value]")
    cell_input.fill("Split across two payments")
    row.locator("button:has-text('Save')").click()
    row.locator("button", has_text="Split across two payments").wait_for()
    value = db.session.scalar(db.select(CustomFieldValue.value))
    assert value == "Split across two payments"
