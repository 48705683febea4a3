"""Issue 20 point 4 in a real browser against the Xero sandbox over real HTTP: voiding a sent
invoice voids its approved copy in Xero in the same action (seen in the sandbox's UI), and
deleting a draft invoice deletes its draft copy; the dialog lists each copy and its fate first,
at desktop and phone widths, without scrolling sideways.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots at 1280x800 and 390x844."""
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import Invoice
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.browser.test_copy_to_xero import (  # noqa: F401  (bridge is a fixture)
    SHOTS, bridge, copy_to_northwind, settled)
from tests.copy.conftest import configure, connected, invoice, sandbox_invoices, workspace  # noqa: F401
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def look(page, name: str) -> None:
    """At both widths: the page never scrolls sideways; screenshots kept with BRIDGE_SCREENSHOTS."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{name}-{size}.png")
    page.set_viewport_size({"width": 1280, "height": 900})


def open_dialog(page):
    settled(page, lambda: page.click("#void-invoice"))
    dialog = page.locator("#modal")
    expect(dialog.locator("#modal-title")).to_be_visible()
    return dialog


def test_void_a_sent_invoice_with_its_approved_copy(page, bridge, invoice, sandbox):
    configure(initial_status="AUTHORISED")
    copy_to_northwind(page, bridge, invoice)
    (copy,) = sandbox_invoices()
    page.reload()
    expect(page.locator("#invoice-status")).to_contain_text("Sent")  # an approved copy sends it
    dialog = open_dialog(page)
    expect(dialog.locator("#modal-title")).to_have_text(f"Void invoice {invoice.number}?")
    expect(dialog.locator(".void-copies")).to_contain_text(f"{invoice.number} Awaiting Payment will be voided in Xero")
    look(page, "void-1-dialog")
    dialog.locator("button[type=submit]", has_text="Void with its copy in Xero").click()

    expect(page.locator("#invoice-status .badge").first).to_have_text("Voided")
    expect(page.locator(".flash-success")).to_contain_text(f"Invoice {invoice.number} is voided, with its copies in Xero.")
    expect(page.locator("#void-invoice")).to_have_count(0)
    expect(page.locator("#xero-copy-state .xero-status")).to_have_text("Voided")
    look(page, "void-2-invoice-page")
    page.goto(f"{bridge.url}/?status=voided")
    expect(page.locator("table.invoices")).to_contain_text(invoice.number)
    expect(page.locator("table.invoices .badge-voided")).to_have_text("Voided")
    look(page, "void-3-table")

    # In "Xero": the copy is voided, once.
    page.goto(f"{sandbox.url}/_ui/{NZ_TENANT}/invoices/{copy['InvoiceID']}")
    expect(page.locator("h1 .status")).to_have_text("Voided")
    assert [i["Status"] for i in sandbox_invoices()] == ["VOIDED"]
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "voided"


def test_delete_a_draft_invoice_with_its_draft_copy(page, bridge, invoice, sandbox):
    number, invoice_id = invoice.number, invoice.id
    copy_to_northwind(page, bridge, invoice)
    (copy,) = sandbox_invoices()
    assert copy["Status"] == "DRAFT"
    page.reload()
    dialog = open_dialog(page)
    expect(dialog.locator("#modal-title")).to_have_text(f"Delete invoice {number}?")
    expect(dialog.locator(".void-copies")).to_contain_text(f"{number} Draft will be deleted in Xero")
    look(page, "delete-1-dialog")
    dialog.locator("button[type=submit]", has_text="Delete with its copy in Xero").click()

    page.wait_for_url(bridge.url + "/")
    expect(page.locator(".flash-success")).to_contain_text(f"Invoice {number} was deleted, with its copies in Xero.")
    page.goto(f"{sandbox.url}/_ui/{NZ_TENANT}/invoices/{copy['InvoiceID']}")
    expect(page.locator("h1 .status")).to_have_text("Deleted")
    db.session.expire_all()
    assert db.session.get(Invoice, invoice_id) is None


def test_paid_in_xero_refuses_then_voids_in_bridge_only(page, bridge, invoice, sandbox):
    configure(initial_status="AUTHORISED")
    copy_to_northwind(page, bridge, invoice)
    (copy,) = sandbox_invoices()
    # In "Xero": part-paid; Bridge has not synced it, so it still offers to void the copy.
    page.goto(f"{sandbox.url}/_ui/{NZ_TENANT}/invoices/{copy['InvoiceID']}")
    page.fill("#amount", "50.00")
    page.click("text=Add payment")
    expect(page.locator("#amount-due")).to_have_text("347.33")

    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    dialog = open_dialog(page)
    settled(page, lambda: dialog.locator("button[type=submit]", has_text="Void with its copy in Xero").click())
    expect(dialog.locator(".refusal")).to_contain_text(
        f"Xero did not end the copy {invoice.number}, so nothing changed in Bridge.")
    expect(dialog.locator(".void-copies")).to_contain_text("has payments in Xero, so Xero cannot void it: refund or credit it in Xero")
    look(page, "void-4-refused")
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "sent"

    dialog.locator("button[type=submit]", has_text="Void in Bridge only").click()
    expect(page.locator("#invoice-status .badge").first).to_have_text("Voided")
    expect(page.locator(".flash-success")).to_contain_text("its copies in Xero were left as they are")
    assert [i["Status"] for i in sandbox_invoices()] == ["AUTHORISED"]
