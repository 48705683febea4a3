"""Issue 20 in a real browser against the Xero sandbox over real HTTP: credit two lines of a
copied invoice, copy the credit note to Xero (allocated to the invoice's copy in the same action),
and see the invoice reduced in the sandbox's Xero UI and in Bridge. A refused form keeps what was
typed. Screenshots of the form, the page and the modal at 1280x800 and 390x844 go to
BRIDGE_SCREENSHOTS when it names a folder."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import CreditNote, Invoice, XeroCopy
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.browser.conftest import log_in
from tests.conftest import ADMIN, make_app
from tests.copy.conftest import configure, connected, invoice, northwind, post_copy, workspace  # noqa: F401
from tests.live import LiveServer
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)

SHOTS = os.environ.get("BRIDGE_SCREENSHOTS")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def snap(page, name: str) -> None:
    """Screenshots at both sizes (when BRIDGE_SCREENSHOTS names a folder); the page never scrolls sideways."""
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"credit-{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.fixture
def bridge(connected, database_url, xero_sandbox):
    """Bridge on a real port (CSRF on) talking to the sandbox the organisation is connected to."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, **xero_sandbox.bridge_config())
    with LiveServer(served) as server:
        yield server


def test_credit_two_lines_copy_allocated_and_see_the_invoice_reduced(page, bridge, admin, invoice, sandbox):
    configure(initial_status="AUTHORISED")
    assert post_copy(admin, invoice, contact=northwind()).status_code == 200
    invoice_copy = db.session.scalar(select(XeroCopy).where(XeroCopy.invoice_id == invoice.id))

    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    page.locator("#credit-notes a:has-text('Credit note')").click()
    page.wait_for_url(f"**/invoices/{invoice.id}/credit-notes/new")
    # Refused first (no line ticked): the reason typed stays.
    page.check("input[name=kind][value=lines]")
    page.fill("textarea[name=reason]", "Design sprint and hosting cancelled")
    page.click("button:has-text('Create credit note')")
    expect(page.locator("#credit-lines .error")).to_contain_text("Tick at least one of the invoice's lines")
    expect(page.locator("textarea[name=reason]")).to_have_value("Design sprint and hosting cancelled")
    snap(page, "form-refused")
    for line in ("Design sprint", "Hosting, March"):
        page.locator("#credit-lines tr", has_text=line).locator("input[type=checkbox]").check()
    page.click("button:has-text('Create credit note')")
    expect(page.locator("h1")).to_contain_text("Credit note CN-2026-0001")
    expect(page.locator("[data-credit-total]")).to_have_text("NZ$397.33")
    snap(page, "page-before-copy")

    page.locator("#credit-note-xero a:has-text('Copy to Xero')").click()
    modal = page.locator("#modal")
    expect(modal.locator("#modal-title")).to_contain_text("Copy credit note to Xero")
    expect(modal).to_contain_text("its credit is applied to 2026-0001 in the same action")
    snap(page, "modal")
    modal.locator("footer button[type=submit]").click()
    expect(modal).to_contain_text("Credit note copied")
    expect(modal.locator("[data-allocation]")).to_contain_text(
        "Applied NZ$397.33 of credit note CN-2026-0001 to invoice 2026-0001 in Xero.")
    expect(modal.locator("dd", has_text="Paid")).to_be_visible()  # Xero's status after the allocation
    snap(page, "modal-copied")
    modal.locator("a:has-text('Done')").click()
    expect(page.locator("#credit-note-xero")).to_contain_text("Its credit is applied to the invoice's copy in Xero.")
    snap(page, "page-copied")

    # The sandbox's Xero UI: the invoice's amount due fell by the credit.
    page.goto(f"{sandbox.url}/_ui/{NZ_TENANT}/invoices/{invoice_copy.xero_id}")
    expect(page.locator("#amount-due")).to_contain_text("0.00")
    expect(page.locator("body")).to_contain_text("CN-2026-0001")

    # Bridge: the invoice shows the credit applied and nothing due.
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    expect(page.locator("[data-amount-credited]")).to_have_text("NZ$397.33")
    expect(page.locator("[data-amount-due]")).to_have_text("NZ$0.00")
    expect(page.locator("#credit-notes")).to_contain_text("CN-2026-0001")
    snap(page, "invoice-after")
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).payment_status == "credited"
    assert db.session.scalars(select(CreditNote)).one().allocation_state == "done"
