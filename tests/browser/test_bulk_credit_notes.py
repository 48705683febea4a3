"""Bulk Copy to Xero of credit notes in a real browser, against the sandbox over real HTTP, with
the in-app scheduler running the job: on the list of credit notes tick two, copy, watch the bar
reach 100%, see both copied and applied to their invoices' copies in the sandbox. Also a voided
invoice's page (Voided, nothing owed, no upload). Screenshots at 1280x800 and 390x844 go to
BRIDGE_SCREENSHOTS when it names a folder."""
from playwright.sync_api import expect
from sqlalchemy import select

from bridge.billing.service import void_invoice
from bridge.extensions import db
from bridge.models import CreditNote, Invoice, XeroCopy
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.browser.conftest import log_in
from tests.browser.test_bulk_copy import bridge_with_scheduler  # noqa: F401  (fixture)
from tests.browser.test_credit_notes import snap
from tests.conftest import ADMIN
from tests.copy.conftest import connected, make_invoice, workspace  # noqa: F401  (fixtures)
from tests.credit_notes.conftest import copy_invoice_approved, credit_lines
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)


def test_tick_two_credit_notes_copy_them_and_see_them_applied(page, bridge_with_scheduler, admin, workspace):
    bridge = bridge_with_scheduler
    invoices = [make_invoice(workspace) for _ in range(3)]
    for each in invoices[:2]:
        copy_invoice_approved(admin, each)
    notes = [credit_lines(each, 1) for each in invoices]  # the third invoice is not in Xero
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.goto(bridge.url + "/credit-notes")
    expect(page.locator("h1")).to_have_text("Credit notes")
    expect(page.locator("nav.mainnav a[aria-current=page]")).to_have_text("Credit notes")
    rows = page.locator('input[name="credit_note_ids"]')
    expect(rows).to_have_count(3)
    page.check(f'input[name="credit_note_ids"][value="{notes[0].id}"]')
    page.check(f'input[name="credit_note_ids"][value="{notes[1].id}"]')
    snap(page, "bulk-1-list")
    page.click("#bulk-copy-notes button[type=submit]")
    modal = page.locator("#modal")
    expect(modal).to_contain_text("2 credit notes selected")
    expect(modal).to_contain_text("2 new copies in Xero")
    snap(page, "bulk-2-modal")
    modal.locator("button:has-text('Copy 2 credit notes to Xero')").click()
    expect(modal.locator("[data-percent]")).to_have_text("100%", timeout=30_000)
    expect(modal.locator("#modal-title")).to_have_text("Copied to Xero")
    results = modal.locator(".bulk-results tbody tr")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="Applied")).to_have_count(2)
    snap(page, "bulk-3-done")

    db.session.expire_all()
    copied = [db.session.get(CreditNote, n.id) for n in notes[:2]]
    assert [n.allocation_state for n in copied] == ["done", "done"]
    with XeroClient(NZ_TENANT) as client:
        in_xero = [n for n in client.get_credit_notes(where='Type=="ACCRECCREDIT"')
                   if n.get("CreditNoteNumber") in {c.number for c in copied}]
        assert sorted(n["Status"] for n in in_xero) == ["PAID", "PAID"]  # all their credit applied
        for note in copied:
            invoice = client.get_invoice(db.session.scalar(select(XeroCopy.xero_id).where(
                XeroCopy.invoice_id == note.invoice_id, XeroCopy.state == "done")))
            assert str(invoice["AmountCredited"]) == "52.33"
    modal.locator("button:has-text('Close')").click()
    page.reload()
    expect(page.locator(".badge-copying")).to_have_count(0)
    expect(page.locator("tbody tr").filter(has_text="Applied")).to_have_count(2)
    expect(page.locator("tbody tr").filter(has_text=notes[2].number)).to_contain_text("Not copied")


def test_a_voided_invoice_page_says_voided_and_offers_no_upload(page, bridge_with_scheduler, workspace):
    bridge = bridge_with_scheduler
    invoice = make_invoice(workspace)
    void_invoice(db.session.get(Invoice, invoice.id))
    db.session.commit()
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.goto(bridge.url + f"/invoices/{invoice.id}")
    payments = page.locator("#payments")
    expect(payments.locator("[data-payment-status]")).to_have_text("Voided")
    expect(payments).not_to_contain_text("Unpaid")
    expect(payments.locator("[data-amount-due]")).to_have_text("Nothing (voided)")
    files = page.locator("#document-files")
    expect(files.locator('input[type="file"]')).to_have_count(0)
    expect(files).to_contain_text("This invoice is voided")
    snap(page, "voided-invoice")
