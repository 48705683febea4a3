"""Issue 5 in a real browser against the Xero sandbox over real HTTP: copy with an existing
contact and with a new one, Manual status, Xero's refusal in the modal, Update existing and
Create new from the "Invoice copied" menu, the PDF per setting, Open in Xero, and an
unexpected server error that still reaches the person.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots of the modal."""
import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import Company, Invoice, XeroCopy
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.browser.conftest import log_in
from tests.conftest import ADMIN, make_app
from tests.copy.conftest import configure, connected, invoice, sandbox_invoices, workspace  # noqa: F401
from tests.copy.test_update import change_lines
from tests.invoicing.test_show_and_pdf import pdf_strings
from tests.live import LiveServer
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)

SHOTS = os.environ.get("BRIDGE_SCREENSHOTS")


def snap(page, name: str) -> None:
    """Keep a screenshot when BRIDGE_SCREENSHOTS names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


@pytest.fixture
def bridge(connected, database_url, xero_sandbox):
    """Bridge on a real port (CSRF on) talking to the sandbox the organisation is connected to."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, **xero_sandbox.bridge_config())
    with LiveServer(served) as server:
        yield server


def open_invoice(page, bridge, invoice):
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads


def settled(page, action) -> None:
    """Do `action` and wait until htmx has settled what it swapped in: new content is visible
    a moment (htmx's settle delay) before its hx- attributes work."""
    page.evaluate("window.__settled = false; document.addEventListener('htmx:afterSettle',"
                  " function () { window.__settled = true; }, {once: true})")
    action()
    page.wait_for_function("() => window.__settled === true")


def open_modal(page, button="#xero-copy-state >> text=Copy to Xero"):
    settled(page, lambda: page.click(button))
    modal = page.locator("#modal")
    expect(modal.locator("#modal-title")).to_be_visible()
    return modal


def pick_contact(modal, name: str):
    modal.locator("#contact-search").fill(name[:5])
    option = modal.locator("#contact-results label", has_text=name)
    option.wait_for()
    option.locator("input").check()


def submit(modal, label="Copy to Xero"):
    modal.locator(f"footer button[type=submit]:has-text('{label}')").click()


def copy_to_northwind(page, bridge, invoice):
    """From the invoice page: Copy to Xero for Northwind Studio, then close the modal."""
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    pick_contact(modal, "Northwind Studio")
    submit(modal)
    expect(modal).to_contain_text("Invoice copied")
    modal.locator("button:has-text('Close')").click()
    return modal


def test_copy_with_an_existing_contact(page, bridge, invoice):
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    expect(modal.locator("select[name=tax_type]")).to_have_value("OUTPUT2")
    expect(modal.locator("#copy-preview")).to_contain_text("Matches Bridge's totals to the cent.")
    pick_contact(modal, "Northwind Studio")
    # Another tax rate: the preview says Xero would book another total, before anything is sent.
    modal.locator("select[name=tax_type]").select_option("TAX001")
    expect(modal.locator(".preview-differs")).to_contain_text("a difference of -34.55")
    modal.locator("select[name=tax_type]").select_option("OUTPUT2")
    expect(modal.locator(".preview-matches")).to_be_visible()
    snap(page, "1-modal-new-copy")
    submit(modal)
    expect(modal).to_contain_text("Invoice copied")
    expect(modal).to_contain_text(f"Invoice {invoice.number} copied to Xero as {invoice.number}.")
    modal.locator("button:has-text('Close')").click()
    expect(modal).to_be_hidden()
    state = page.locator("#xero-copy-state")
    expect(state).to_contain_text("Invoice copied")
    expect(state).to_contain_text("Draft")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    (copied,) = sandbox_invoices()
    assert copied["Contact"]["Name"] == "Northwind Studio" and copied["InvoiceNumber"] == invoice.number


def test_copy_creating_a_new_contact(page, bridge, invoice):
    configure(invoice_numbers_by="xero")
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    modal.locator("summary:has-text('Create new')").click()
    expect(modal.locator("input[name=new_contact_name]")).to_have_value("Harbour Lights Ltd")
    modal.locator("button:has-text('Create contact in Xero')").click()
    expect(modal.locator("#contact-picker")).to_contain_text("Created in Xero")
    submit(modal)
    expect(modal).to_contain_text("Invoice copied")
    (copied,) = sandbox_invoices()
    assert copied["Contact"]["Name"] == "Harbour Lights Ltd"
    # Xero numbered it: the page shows Xero's number as the invoice's, without a reload.
    expect(page.locator("#invoice-number")).to_have_text(copied["InvoiceNumber"])
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).number == copied["InvoiceNumber"]
    assert db.session.get(Company, invoice.client_id).xero_contact_name == "Harbour Lights Ltd"


def test_manual_status(page, bridge, invoice):
    configure(initial_status="MANUAL")
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    pick_contact(modal, "Northwind Studio")
    modal.locator("select[name=status]").select_option(label="Approved")
    submit(modal)
    expect(modal).to_contain_text("Awaiting Payment")
    assert sandbox_invoices()[0]["Status"] == "AUTHORISED"


def test_an_invalid_account_code_shows_xeros_error_in_the_modal(page, bridge, invoice):
    configure(default_revenue_account_code="090")
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    pick_contact(modal, "Northwind Studio")
    submit(modal)
    errors = modal.locator(".copy-errors")
    expect(errors).to_contain_text("Account code '090' is not a valid code for this document.")
    expect(errors).to_contain_text("Check the revenue account mapping in Settings > App Marketplace > Xero")
    expect(modal).to_be_visible()  # still open, to try again
    snap(page, "2-modal-error")
    assert sandbox_invoices() == []
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).number == invoice.number
    expect(page.locator("#xero-copy-state")).not_to_contain_text("Invoice copied")


def test_update_existing_then_create_new(page, bridge, invoice, workspace):
    modal = copy_to_northwind(page, bridge, invoice)
    change_lines(invoice, workspace)

    # Hovering "Invoice copied" offers Update existing and Create new.
    page.hover("#xero-copy-state .copied-button")
    menu = page.locator(".copy-menu-items")
    expect(menu).to_be_visible()
    snap(page, "3-invoice-copied-menu")
    settled(page, lambda: menu.locator("text=Update existing").click())
    expect(modal.locator("#modal-title")).to_contain_text("Update the copy in Xero")
    expect(modal.locator("#contact-picker input[type=radio]:checked")).to_have_count(1)
    submit(modal, "Update in Xero")
    expect(modal).to_contain_text("updated in Xero")
    modal.locator("button:has-text('Close')").click()
    (copied,) = sandbox_invoices()
    assert [line["Description"] for line in copied["LineItems"]][-1] == "Support"

    # Create new, while Bridge numbers: the earlier copy is listed with what happens to it (a draft is
    # deleted in Xero first, in the same action), so Xero's "must be unique" never comes back.
    page.locator("#xero-copy-state .copied-button").focus()  # the menu opens for the keyboard too
    expect(menu).to_be_visible()
    settled(page, lambda: menu.locator("text=Create new").click())
    earlier = modal.locator(".earlier-copies")
    expect(earlier).to_contain_text(invoice.number)
    expect(earlier).to_contain_text("Deleted")
    expect(earlier.locator("input[name=earlier][value=end]")).to_be_checked()
    submit(modal)
    expect(modal.locator("#modal-title")).to_have_text("Invoice copied")
    modal.locator("button:has-text('Close')").click()
    newest, = [copy for copy in sandbox_invoices() if copy["Status"] != "DELETED"]
    assert newest["InvoiceNumber"] == invoice.number and newest["InvoiceID"] != copied["InvoiceID"]
    state = page.locator("#xero-copy-state")
    expect(state).to_contain_text("2 invoices in Xero")
    expect(state.locator("tr", has_text="Deleted")).to_have_count(1)


@pytest.mark.parametrize("pdfs_by", ["xero", "bridge"])
def test_download_the_pdf(page, bridge, invoice, pdfs_by):
    configure(pdfs_by=pdfs_by)
    copy_to_northwind(page, bridge, invoice)
    label = "Download Xero's PDF" if pdfs_by == "xero" else "Download Bridge's PDF"
    with page.expect_download() as download_info:
        page.click(f"#xero-copy-state >> text={label}")
    data = Path(download_info.value.path()).read_bytes()
    drawn = pdf_strings(data)
    assert data.startswith(b"%PDF") and invoice.number in drawn
    assert ("Rendered by the Xero sandbox" in drawn) is (pdfs_by == "xero")


def test_open_the_copy_in_xero(page, bridge, invoice):
    copy_to_northwind(page, bridge, invoice)
    with page.expect_popup() as popup_info:
        page.click("#xero-copy-state >> text=Open in Xero")
    xero_page = popup_info.value
    xero_page.wait_for_load_state()
    row = db.session.scalar(db.select(XeroCopy))
    assert xero_page.url.endswith(f"/_ui/{NZ_TENANT}/invoices/{row.xero_id}")
    expect(xero_page.locator("body")).to_contain_text(invoice.number)
    expect(xero_page.locator("body")).to_contain_text("Northwind Studio")


def test_an_unexpected_error_still_reaches_the_person(page, bridge, invoice, monkeypatch):
    release = threading.Event()

    def broken(*args, **kwargs):
        release.wait(5)  # long enough to see the button disabled while the request runs
        raise RuntimeError("a bug")

    monkeypatch.setattr("bridge.invoicing.copy_views.copy_invoice", broken)
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    pick_contact(modal, "Northwind Studio")
    button = modal.locator("footer button[type=submit]")
    button.click()
    expect(button).to_be_disabled()  # a second click cannot send it again
    release.set()
    toast = page.locator("#modal .toast-error")  # in the dialog's top layer, not behind its backdrop
    expect(toast).to_be_visible()
    snap(page, "4-modal-server-error")
    expect(toast).to_contain_text("Something went wrong, and nothing was saved. Please try again.")
    expect(button).to_be_enabled()  # not a dead button: try again, or close
