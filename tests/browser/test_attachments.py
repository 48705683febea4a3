"""Issue 19 point 3 in a real browser against the Xero sandbox over real HTTP: upload a supporting
file on an invoice's page, copy the invoice with "show with the online invoice" chosen in the
modal, and see the file in the sandbox's UI; upload a receipt on an expense's page, send it as
a bill, and see the receipt on the bill in the sandbox's UI. A file that is not what its name
says is refused at the field.

Screenshots of the pages and the modal at 1280x800 and 390x844 go to BRIDGE_SCREENSHOTS."""
import pytest
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import DocumentFile
from tests.bills.conftest import configure as configure_bills, make_expense
from tests.bills.conftest import workspace as bills_workspace  # noqa: F401  (fixture)
from tests.browser.conftest import log_in
from tests.browser.test_copy_to_xero import open_modal, pick_contact, settled, snap, submit
from tests.conftest import ADMIN, make_app
from tests.copy.conftest import connected, invoice, workspace  # noqa: F401  (fixtures)
from tests.live import LiveServer
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def bridge(connected, database_url, xero_sandbox):
    """Bridge on a real port (CSRF on) talking to the sandbox the organisation is connected to."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, **xero_sandbox.bridge_config())
    with LiveServer(served) as server:
        yield server


def both_sizes(page, name: str) -> None:
    """Screenshots at both sizes; the page never scrolls sideways."""
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} overflows at {size}"
        snap(page, f"files-{name}-{size}")
    page.set_viewport_size(DESKTOP)


def add_file(page, name: str, content: bytes, mime: str):
    section = page.locator("#document-files")
    settled(page, lambda: (section.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": mime, "buffer": content}), section.locator("button:has-text('Upload')").click()))
    return page.locator("#document-files")


def test_copy_an_invoice_with_a_supporting_file_and_see_it_in_the_sandbox(page, bridge, invoice):
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    # A text file named .pdf is refused at the field; nothing is kept.
    section = add_file(page, "notes.pdf", b"plain text", "application/pdf")
    expect(section.locator(".error")).to_contain_text("Choose a PDF, PNG or JPEG file")
    assert db.session.scalar(db.select(DocumentFile.id)) is None
    both_sizes(page, "refused")
    section = add_file(page, "Timesheet March.pdf", PDF, "application/pdf")
    expect(section.locator("table")).to_contain_text("Timesheet March.pdf")
    expect(section.locator("table")).to_contain_text("Not copied yet")
    both_sizes(page, "invoice-page")

    modal = open_modal(page)
    files = modal.locator(".copy-files")
    expect(files).to_contain_text("Timesheet March.pdf")
    expect(files.locator("input[name=online_file]")).to_be_checked()
    pick_contact(modal, "Northwind Studio")
    files.scroll_into_view_if_needed()
    both_sizes(page, "copy-modal")
    submit(modal)
    expect(modal).to_contain_text("Invoice copied")
    modal.locator("button:has-text('Close')").click()
    expect(page.locator("#document-files")).to_contain_text("In Xero")
    expect(page.locator("#xero-copy-state")).to_contain_text("Uploaded Timesheet March.pdf to Xero")
    both_sizes(page, "invoice-copied")

    with page.expect_popup() as popup_info:
        page.locator("#xero-copy-state >> text=Open in Xero").click()
    in_xero = popup_info.value
    in_xero.wait_for_load_state()
    attachments = in_xero.locator("#attachments")
    expect(attachments).to_contain_text("Timesheet March.pdf")
    expect(attachments.locator("tr", has_text="Timesheet March.pdf")).to_contain_text("Shown")
    snap(in_xero, "files-sandbox-invoice")


def test_send_a_bill_with_a_receipt_and_see_it_in_the_sandbox(page, bridge, bills_workspace):
    configure_bills()  # expense export on, Printing mapped to its expense account
    expense = make_expense(bills_workspace)
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/expenses/{expense.id}")
    section = add_file(page, "receipt.jpg", JPEG, "image/jpeg")
    expect(section.locator("table")).to_contain_text("receipt.jpg")
    both_sizes(page, "expense-page")

    box = page.locator("#xero-bill-state")
    settled(page, lambda: box.locator("button:has-text('Send to Xero')").click())
    expect(box).to_contain_text("Sent to Xero")
    expect(page.locator("#document-files")).to_contain_text("In Xero")
    both_sizes(page, "expense-sent")
    with page.expect_popup() as popup_info:
        box.locator("text=Open in Xero").click()
    bill = popup_info.value
    bill.wait_for_load_state()
    expect(bill.locator("#attachments")).to_contain_text("receipt.jpg")
    expect(bill.locator("#attachments")).to_contain_text("image/jpeg")
    snap(bill, "files-sandbox-bill")


def test_a_file_xero_did_not_take_is_retried_from_the_modal(page, bridge, invoice, xero_sandbox):
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    add_file(page, "Timesheet March.pdf", PDF, "application/pdf")
    # Xero fails every try of the upload (the invoice's PUT /Invoices does not match the prefix).
    xero_sandbox.control("faults", kind="503", count=4, method="PUT", path_prefix="/api.xro/2.0/Invoices/")
    modal = open_modal(page)
    pick_contact(modal, "Northwind Studio")
    submit(modal)
    # The transport retries the upload with its backoff (real sleeps here) before giving up.
    expect(modal).to_contain_text("Invoice copied", timeout=40_000)
    notice = modal.locator(".files-waiting")
    expect(notice).to_contain_text("1 file not uploaded to Xero yet: Timesheet March.pdf")
    both_sizes(page, "modal-retry")
    settled(page, lambda: notice.locator("button:has-text('Retry')").click())
    expect(page.locator("#modal")).not_to_be_visible()
    expect(page.locator("#document-files")).to_contain_text("In Xero")
    expect(page.locator("#xero-copy-state")).not_to_contain_text("not uploaded to Xero yet")
    expect(page.locator("#xero-copy-state")).to_contain_text("Uploaded Timesheet March.pdf to Xero")


def test_a_file_over_the_limit_is_stopped_in_the_browser_before_it_is_sent(page, bridge, invoice):
    bridge.app.config["ATTACHMENT_MAX_BYTES"] = 1000
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    field = page.locator("#document-files input[type=file]")
    field.set_input_files({"name": "big.pdf", "mimeType": "application/pdf", "buffer": PDF + b"x" * 2000})
    page.locator("#document-files button:has-text('Upload')").click()
    expect(page.locator("#document-files")).to_contain_text("No supporting files yet")
    assert "larger than 1000 bytes" in field.evaluate("input => input.validationMessage")
    assert posts == [] and db.session.scalar(db.select(DocumentFile.id)) is None
