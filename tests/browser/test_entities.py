"""Billing entities in a real browser: a second entity added in Settings (its number example
follows the typed pattern), then a new invoice whose entity select names the picked client's
default entity, saved under that entity's numbering. Screenshots at 1280x800 and 390x844 go to
BRIDGE_SCREENSHOTS when it is set."""
import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.models import BillingEntity, Company, Invoice, TaxRate
from tests.browser.conftest import log_in
from tests.conftest import ADMIN

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def shoot(page, name: str) -> None:
    """Both sizes of the page as it is now, when BRIDGE_SCREENSHOTS names a folder."""
    folder = os.environ.get("BRIDGE_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(Path(folder) / f"entities-{size}-{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_second_entity_and_an_invoice_of_it(page, live_server, users):
    first_entity().name = "Harbour & Pine Studio"
    db.session.add_all([Company(name="Northwind Studio", default_currency="NZD"),
                        TaxRate(name="Zero rated", percentage=Decimal("0"))])
    db.session.commit()
    log_in(page, live_server, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/settings/entities/new")
    page.fill("input[name=name]", "Harbour & Pine Ltd")
    page.fill("textarea[name=address]", "4 Mill Lane\nBristol BS1 4DJ")
    page.select_option("select[name=base_currency]", "GBP")
    page.fill("input[name=invoice_number_pattern]", "UK-{year}-{seq:04}")
    page.locator("#number-example", has_text=f"UK-{dt.date.today().year}-0001").wait_for()
    page.fill("input[name=credit_note_number_pattern]", "CN-{year}-{seq:04}")  # the first entity's
    page.click("button:has-text('Add entity')")
    error = page.locator(".field.has-error .error")
    error.wait_for()
    assert error.inner_text() == ("Harbour & Pine Studio already numbers with this pattern: give each entity "
                                  "its own, e.g. HPL-CN-{year}-{seq:04}")
    assert page.input_value("textarea[name=address]") == "4 Mill Lane\nBristol BS1 4DJ"  # kept
    shoot(page, "entity-refused")
    page.fill("input[name=credit_note_number_pattern]", "UK-CN-{year}-{seq:04}")
    page.click("button:has-text('Add entity')")
    page.wait_for_url(live_server.url + "/settings/entities")
    page.locator("td", has_text="UK-CN-").wait_for()
    shoot(page, "list")
    uk = db.session.scalar(db.select(BillingEntity).filter_by(name="Harbour & Pine Ltd"))

    page.goto(live_server.url + "/clients/new")
    page.fill("input[name=name]", "Kettle & Co")
    page.select_option("select[name=default_currency]", "GBP")
    page.select_option("select[name=default_entity_id]", label="Harbour & Pine Ltd")
    page.click("button:has-text('Add client')")
    page.locator("td", has_text="Kettle & Co").wait_for()

    page.goto(live_server.url + "/invoices/new")
    entity = page.locator("select[name=entity_id]")
    assert entity.locator("option").first.inner_text() == "The client's default"
    page.select_option("select[name=client_id]", label="Kettle & Co")
    assert entity.locator("option").first.inner_text() == "Harbour & Pine Ltd (the client's default)"
    page.select_option("select[name=client_id]", label="Northwind Studio")
    assert entity.locator("option").first.inner_text() == "Harbour & Pine Studio (the client's default)"
    page.select_option("select[name=client_id]", label="Kettle & Co")
    page.fill("input[name=subject]", "Packaging design")
    page.fill("textarea[name='lines-0-description']", "Label artwork")
    page.fill("input[name='lines-0-unit_price']", "450")
    page.press("input[name='lines-0-unit_price']", "Tab")
    page.locator("#totals", has_text="450.00").wait_for()
    shoot(page, "editor")
    page.click("button:has-text('Create invoice')")
    page.wait_for_url("**/invoices/*")
    invoice = db.session.scalar(db.select(Invoice))
    assert (invoice.entity_id, invoice.number) == (uk.id, f"UK-{dt.date.today().year}-0001")
    assert page.locator("#invoice-entity").inner_text() == "Harbour & Pine Ltd"
    shoot(page, "invoice")
    page.goto(live_server.url + f"/invoices/{invoice.id}/edit")
    shoot(page, "editor-edit")
    page.goto(live_server.url + "/")
    page.locator("th", has_text="Entity").wait_for()
    shoot(page, "table")
