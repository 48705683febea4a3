"""Issue 16 in a real browser against the Xero sandbox over real HTTP: once copied, Xero is the
ledger. A copy whose Xero total differs must be confirmed; paid in full in the sandbox's UI and
synced, the invoice reads Paid against Xero's total; Create new voids the earlier approved copy
in the same action; an invoice already sent keeps its number under Xero numbering.

Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots."""
from playwright.sync_api import expect

from bridge.extensions import db
from bridge.models import Invoice
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.browser.test_copy_to_xero import (  # noqa: F401  (bridge is a fixture)
    bridge, open_invoice, open_modal, pick_contact, settled, snap, submit)
from tests.copy.conftest import configure, connected, invoice, sandbox_invoices, workspace  # noqa: F401
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)


def copy_approved(page, modal, tax_type: str | None = None) -> None:
    """In the open modal: Northwind Studio, optionally another Xero tax rate; sent Approved."""
    pick_contact(modal, "Northwind Studio")
    if tax_type:
        settled(page, lambda: modal.locator("select[name=tax_type]").select_option(tax_type))


def test_a_different_total_is_confirmed_then_paid_in_xero_and_read_back(page, bridge, invoice, sandbox):
    configure(initial_status="AUTHORISED", sync_payments=True)
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    copy_approved(page, modal, tax_type="ZERORATED")
    differs = modal.locator(".preview-differs")
    expect(differs).to_contain_text("Xero will book a total of NZ$345.50")
    expect(differs).to_contain_text("Bridge's invoice says NZ$397.33")
    snap(page, "ledger-1-difference")

    submit(modal)  # not confirmed: refused at the checkbox, nothing sent, nothing lost
    confirm = modal.locator(".confirm-difference")
    expect(confirm).to_have_class("check confirm-difference has-error")
    expect(modal.locator("select[name=tax_type]")).to_have_value("ZERORATED")
    assert sandbox_invoices() == []
    confirm.locator("input").check()
    submit(modal)
    expect(modal.locator("#modal-title")).to_have_text("Invoice copied")
    (copied,) = sandbox_invoices()
    assert (copied["Total"], copied["Status"]) == (345.50, "AUTHORISED")

    # In "Xero": paid in full, Xero's total.
    page.goto(f"{sandbox.url}/_ui/{NZ_TENANT}/invoices/{copied['InvoiceID']}")
    page.fill("#amount", "345.50")
    page.fill("#reference", "Paid in full")
    page.click("text=Add payment")
    expect(page.locator("#amount-due")).to_have_text("0.00")

    # In Bridge: Sync now, and the invoice reads as Xero has it.
    page.goto(bridge.url + "/settings/marketplace")
    page.locator("#app-xero button:has-text('Sync now')").click()
    expect(page.locator("#app-xero [data-sync-message]")).to_have_text("1 payment added, 1 invoice updated")
    page.goto(f"{bridge.url}/invoices/{invoice.id}")
    state = page.locator("#xero-copy-state")
    expect(state.locator(".xero-status")).to_have_text("Paid")
    expect(state).to_contain_text("NZ$345.50")
    expect(state).to_contain_text("Bridge's invoice says NZ$397.33")
    payments = page.locator("#payments")
    expect(payments.locator("[data-payment-status]")).to_have_text("Paid")
    expect(payments.locator("[data-amount-due]")).to_have_text("NZ$0.00")
    snap(page, "ledger-2-paid-in-xero")
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "sent"  # an approved copy sends the draft


def test_create_new_voids_the_earlier_approved_copy_in_the_same_action(page, bridge, invoice):
    configure(initial_status="AUTHORISED")
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    copy_approved(page, modal)
    submit(modal)
    expect(modal.locator("#modal-title")).to_have_text("Invoice copied")
    modal.locator("button:has-text('Close')").click()
    (first,) = sandbox_invoices()

    page.hover("#xero-copy-state .copied-button")
    menu = page.locator(".copy-menu-items")
    expect(menu).to_contain_text(f"Xero refuses a second invoice numbered {invoice.number}")
    settled(page, lambda: menu.locator("text=Create new").click())
    earlier = modal.locator(".earlier-copies")
    expect(earlier.locator("tbody tr")).to_have_count(1)
    expect(earlier).to_contain_text("Awaiting Payment")
    expect(earlier).to_contain_text("Voided")
    snap(page, "ledger-3-create-new-earlier")
    submit(modal)
    expect(modal.locator("#modal-title")).to_have_text("Invoice copied")

    by_id = {copy["InvoiceID"]: copy for copy in sandbox_invoices()}
    assert by_id[first["InvoiceID"]]["Status"] == "VOIDED"
    assert by_id[first["InvoiceID"]]["InvoiceNumber"] == f"{invoice.number}-VOID"
    (newest,) = [copy for copy in by_id.values() if copy["Status"] == "AUTHORISED"]
    assert newest["InvoiceNumber"] == invoice.number


def test_an_invoice_already_sent_keeps_its_number_under_xero_numbering(page, bridge, workspace, invoice):
    configure(invoice_numbers_by="xero")
    invoice.status = "sent"
    db.session.commit()
    number = invoice.number
    open_invoice(page, bridge, invoice)
    modal = open_modal(page)
    pick_contact(modal, "Northwind Studio")
    submit(modal)
    expect(modal.locator("#modal-title")).to_have_text("Invoice copied")
    (copied,) = sandbox_invoices()
    assert copied["InvoiceNumber"] == number
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).number == number
    expect(page.locator("h1")).to_have_text(f"Invoice {number}")
