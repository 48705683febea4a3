"""Issue 7 in a real browser: a partial payment recorded in the sandbox's "Xero" UI, "Sync
now" on the Xero card, and the invoice page shows it partially paid with the right amount
due; the payment is listed as from Xero."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import ADMIN, make_app
from tests.live import LiveServer
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    fresh_process_state,
    nz,
    org,
    sandbox_app,
    sleeps,
)


@pytest.fixture
def bridge(database_url, org):
    """Bridge on a real port, CSRF on, talking to the same sandbox."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, **org.sandbox.bridge_config())
    with LiveServer(served) as server:
        yield server


def test_a_partial_payment_in_xero_shows_after_sync_now(page, bridge, org, users):
    invoice, xero_doc = org.invoice("250.00")

    # In "Xero": record a partial payment on the copied invoice.
    page.goto(f"{org.sandbox.url}/_ui/{org.tenant_id}/invoices/{xero_doc['InvoiceID']}")
    page.fill("#amount", "100.00")
    page.fill("#reference", "First tranche")
    page.click("text=Add payment")
    expect(page.locator("#amount-due")).to_have_text("150.00")

    # In Bridge: the Xero card's Sync now.
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(bridge.url + "/settings/marketplace")
    card = page.locator("#app-xero")
    expect(card.locator("#xero-sync")).to_contain_text("Not yet")
    card.locator("button:has-text('Sync now')").click()
    expect(card.locator("[data-sync-message]")).to_have_text("1 payment added, 1 invoice updated")
    expect(card.locator("[data-sync-result]")).to_have_text("1 payment added, 1 invoice updated")

    # The invoice page: partially paid, what is paid and what is still due.
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    payments = page.locator("#payments")
    expect(payments.locator("[data-payment-status]")).to_have_text("Partially paid")
    expect(payments.locator("[data-amount-paid]")).to_have_text("NZ$100.00")
    expect(payments.locator("[data-amount-due]")).to_have_text("NZ$150.00")
    row = payments.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("First tranche")
    expect(row).to_contain_text("From Xero")
