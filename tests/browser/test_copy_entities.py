"""Issue 21 in a real browser: the copy modal of the second billing entity's invoice names
its organisation (Demo Company (AU)), offers AU's tax rates with the entity's mapping
preselected, and copies there. Set BRIDGE_SCREENSHOTS=<folder> to keep screenshots of the
modal at 1280x800 and 390x844."""
import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Budget, Company, Expense, XeroCopy
from bridge.xero.settings import setup
from tests.browser.conftest import log_in
from tests.conftest import ADMIN

from tests.browser.test_copy_to_xero import bridge, open_invoice, open_modal, snap, submit  # noqa: F401
from tests.copy.conftest import configure, connected, post_copy, workspace  # noqa: F401  (fixtures)
from tests.copy.entities import (
    AU_TENANT, configure_both, connect_entity, contact_in, entity_invoice, invoices_in, second_entity,
)
from tests.credit_notes.conftest import credit_lines
from tests.marketplace.conftest import fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin  # noqa: F401  (fixture)


@pytest.fixture
def au_invoice(app, connected, sandbox, workspace):
    entity = second_entity()
    connect_entity(app, sandbox, entity)
    configure_both()
    return entity_invoice(workspace, entity)


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_second_entitys_invoice_copies_to_its_organisation(page, bridge, au_invoice, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_invoice(page, bridge, au_invoice)
    modal = open_modal(page)
    expect(modal.locator(".copy-organisation")).to_contain_text("Xero organisation: Demo Company (AU)")
    expect(modal.locator(".copy-organisation")).to_contain_text("for Southern Cross Pty")
    expect(modal.locator("select[name=tax_type]")).to_have_value("EXEMPTOUTPUT")
    expect(modal.locator("#copy-preview")).to_contain_text("Matches Bridge's totals to the cent.")
    modal.locator("#contact-search").fill("Koala")
    option = modal.locator("#contact-results label", has_text="Koala Creative")
    option.wait_for()
    option.click()  # the label: on a phone the radio itself may be scrolled under the sticky footer
    expect(option.locator("input")).to_be_checked()
    snap(page, f"entity-2-copy-modal-{size[0]}x{size[1]}")
    submit(modal)
    expect(modal).to_contain_text("Invoice copied")
    (copied,) = invoices_in(AU_TENANT)
    assert copied["InvoiceNumber"] == au_invoice.number



@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_second_entitys_credit_note_goes_to_its_organisation(page, bridge, admin, au_invoice, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    configure_both(initial_status="AUTHORISED")
    assert post_copy(admin, au_invoice, contact=contact_in(AU_TENANT, "Koala Creative"),
                     tax_type="EXEMPTOUTPUT").status_code == 200
    note = credit_lines(au_invoice, 1)
    open_invoice(page, bridge, au_invoice)
    page.goto(f"{bridge.url}/credit-notes/{note.id}")
    page.locator("#credit-note-xero a:has-text('Copy to Xero')").click()
    modal = page.locator("#modal")
    expect(modal.locator(".copy-organisation")).to_contain_text("Xero organisation: Demo Company (AU)")
    snap(page, f"entity-2-credit-note-modal-{size[0]}x{size[1]}")
    modal.locator("footer button[type=submit]").click()
    expect(modal).to_contain_text("Credit note copied")
    db.session.expire_all()
    row = db.session.scalar(select(XeroCopy).where(XeroCopy.credit_note_id == note.id))
    assert row.tenant_id == AU_TENANT


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_expenses_page_offers_only_what_an_entitys_organisation_can_take(page, bridge, size):
    configure(export_expenses=True, default_expense_account_code="429", expense_tax_type="INPUT2")
    third = second_entity("Third Studio Ltd", "NZD")
    supplier = Company(name="Paper & Ink Co", default_currency="NZD")
    ours, theirs = Budget(name="Launch campaign", currency="NZD"), Budget(name="Unconnected work", currency="NZD",
                                                                           entity_id=third.id)
    db.session.add_all([supplier, ours, theirs])
    db.session.flush()
    for budget, description in ((ours, "Flyers, 500 copies"), (theirs, "Posters, 20 copies")):
        db.session.add(Expense(budget_id=budget.id, description=description, supplier_id=supplier.id,
                               amount=Decimal("200.00"), currency="NZD", date=dt.date(2026, 3, 2),
                               due_date=dt.date(2026, 4, 1)))
    db.session.commit()
    assert setup.settings_row().export_expenses
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in(page, bridge, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(bridge.url + "/")
    page.goto(f"{bridge.url}/expenses")
    flyers = page.locator("tr", has_text="Flyers, 500 copies")
    posters = page.locator("tr", has_text="Posters, 20 copies")
    expect(flyers.locator("input[type=checkbox]")).to_have_count(1)
    expect(posters.locator("input[type=checkbox]")).to_have_count(0)
    expect(posters).to_contain_text("Not sent")
    snap(page, f"entities-expenses-page-{size[0]}x{size[1]}")
