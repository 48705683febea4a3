"""Invoices of several billing entities: the editor's entity select (shown only when there are
several), each entity's own numbering, moving an invoice (refused while Xero holds a live copy),
the invoice page, the PDF, and the table's Entity column and filter."""
import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from bridge.billing.entities import first_entity
from bridge.billing.numbering import next_credit_note_number, next_invoice_number
from bridge.extensions import db
from bridge.invoicing.document import invoice_pdf
from bridge.invoicing.pdf import issuer
from bridge.billing.service import get_invoice
from bridge.models import BillingEntity, Invoice
from tests.invoicing import factories
from tests.invoicing.test_editor import form_data
from tests.invoicing.test_show_and_pdf import pdf_strings
from tests.workspace.conftest import field_errors


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def two(app):
    """Two entities (NZ studio first, UK company second), a client of each, a service type and a tax rate."""
    nz = first_entity()
    nz.name, nz.address, nz.bank_details = "Harbour & Pine Studio", "18 Customhouse Quay\nWellington", "ANZ 01-0505"
    uk = BillingEntity(name="Harbour & Pine Ltd", base_currency="GBP", address="4 Mill Lane\nBristol BS1 4DJ",
                       tax_number="GB 987 6543 21", bank_details="Sort code 20-00-00, account 12345678",
                       invoice_number_pattern="UK-{year}-{seq:04}", credit_note_number_pattern="UK-CN-{year}-{seq:04}")
    db.session.add(uk)
    db.session.commit()
    return {
        "nz": nz, "uk": uk,
        "client": factories.company("Northwind Studio", "NZD"),
        "uk_client": factories.company("Kettle & Co", "GBP", default_entity_id=uk.id),
        "design": factories.service_type("Design"),
        "vat": factories.tax_rate("VAT 20%", "20"),
    }


def entity_select(page: str) -> str | None:
    found = re.search(r'<select[^>]*name="entity_id".*?</select>', page, re.S)
    return found.group(0) if found else None


def test_one_entity_shows_no_choice_anywhere(client, auth, app):
    refs = {"client": factories.company("Acme Ltd", "GBP"), "design": factories.service_type("Design"),
            "vat": factories.tax_rate("VAT 20%", "20")}
    auth.login("member")
    assert entity_select(text(client.get("/invoices/new"))) is None
    assert client.post("/invoices/new", data=form_data(refs)).status_code == 302
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.entity_id == first_entity().id
    assert "Billing entity" not in text(client.get(f"/invoices/{invoice.id}"))
    page = text(client.get("/"))
    assert "<th>Entity</th>" not in page and 'name="entity"' not in page


def test_new_invoice_offers_the_entities_and_names_the_clients_default(client, auth, two):
    auth.login("member")
    page = text(client.get("/invoices/new"))
    select_html = entity_select(page)
    assert select_html and '<option selected value="">The client\'s default</option>' in select_html
    assert f'value="{two["uk"].id}">Harbour & Pine Ltd</option>' in select_html
    # bridge.js renames the empty option from the client option's data-entity.
    assert f'data-entity="Harbour & Pine Ltd" value="{two["uk_client"].id}">Kettle & Co' in page
    assert f'data-entity="Harbour & Pine Studio" value="{two["client"].id}">Northwind Studio' in page
    # A refused form keeps the client, and names its default entity.
    refused = client.post("/invoices/new", data=form_data(two, client_id=str(two["uk_client"].id), subject=""))
    assert refused.status_code == 422
    assert "Harbour & Pine Ltd (the client's default)" in entity_select(text(refused))


def test_a_new_invoice_takes_the_clients_default_entity_and_its_numbering(client, auth, two):
    auth.login("member")
    client.post("/invoices/new", data=form_data(two, client_id=str(two["uk_client"].id)))
    client.post("/invoices/new", data=form_data(two))
    rows = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
    year = 2026  # form_data's issue date
    assert [(i.number, i.entity_id) for i in rows] == [(f"UK-{year}-0001", two["uk"].id), (f"{year}-0001", two["nz"].id)]


def test_the_person_may_pick_another_entity(client, auth, two):
    auth.login("member")
    response = client.post("/invoices/new", data=form_data(two, entity_id=str(two["uk"].id)))
    assert response.status_code == 302
    invoice = db.session.scalars(select(Invoice)).one()
    assert (invoice.entity_id, invoice.number) == (two["uk"].id, "UK-2026-0001")
    assert invoice.client_id == two["client"].id  # the NZ client, billed by the UK entity


def test_an_unknown_entity_is_refused_at_the_field_and_the_rest_kept(client, auth, two):
    auth.login("member")
    response = client.post("/invoices/new", data=form_data(two, entity_id="999", subject="Kept subject"))
    assert response.status_code == 422
    assert field_errors(response) == ["Pick a billing entity from the list."]
    assert 'value="Kept subject"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Invoice)).all() == []


def test_two_entities_number_independently_with_their_own_patterns(two):
    day = dt.date(2026, 5, 1)
    numbers = [next_invoice_number(two["nz"], day), next_invoice_number(two["uk"], day),
               next_invoice_number(two["uk"], day), next_invoice_number(two["nz"], day),
               next_credit_note_number(two["uk"], day), next_credit_note_number(two["nz"], day)]
    assert numbers == ["2026-0001", "UK-2026-0001", "UK-2026-0002", "2026-0002", "UK-CN-2026-0001", "CN-2026-0001"]


def test_moving_an_invoice_keeps_its_number(client, auth, two):
    invoice = factories.invoice(two["client"])
    number = invoice.number
    auth.login("member")
    page = text(client.get(f"/invoices/{invoice.id}/edit"))
    assert f'<option selected value="{two["nz"].id}">Harbour & Pine Studio</option>' in entity_select(page)
    assert "the client's default" not in entity_select(page)
    response = client.post(f"/invoices/{invoice.id}/edit", data=form_data(two, entity_id=str(two["uk"].id)))
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Invoice, invoice.id)
    assert (moved.entity_id, moved.number) == (two["uk"].id, number)


def test_an_edit_without_the_field_keeps_the_entity(client, auth, two):
    invoice = factories.invoice(two["client"], entity_id=two["uk"].id)
    auth.login("member")
    assert client.post(f"/invoices/{invoice.id}/edit", data=form_data(two, entity_id=None)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).entity_id == two["uk"].id


@pytest.mark.parametrize("xero_status, allowed", [("AUTHORISED", False), ("DRAFT", False), ("PAID", False),
                                                  ("VOIDED", True), ("DELETED", True)])
def test_an_invoice_with_a_live_copy_in_xero_stays_with_its_entity(client, auth, two, xero_status, allowed):
    invoice = factories.invoice(two["client"])
    invoice.xero_status, invoice.xero_number = xero_status, "INV-0042"
    db.session.commit()
    auth.login("member")
    response = client.post(f"/invoices/{invoice.id}/edit",
                            data=form_data(two, entity_id=str(two["uk"].id), subject="Typed subject"))
    db.session.expire_all()
    saved = db.session.get(Invoice, invoice.id)
    if allowed:
        assert response.status_code == 302 and saved.entity_id == two["uk"].id
        return
    assert response.status_code == 422
    assert field_errors(response) == [
        "Its copy in Xero (INV-0042) lives in Harbour & Pine Studio's Xero organisation, so this invoice stays "
        "with Harbour & Pine Studio. Void or delete the copy in Xero first to move it."]
    assert 'value="Typed subject"' in response.get_data(as_text=True)  # what was typed stays
    assert (saved.entity_id, saved.subject) == (two["nz"].id, "Website")  # nothing saved


def test_the_invoice_page_names_its_entity(client, auth, two):
    invoice = factories.invoice(two["uk_client"])
    auth.login("member")
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert ('<dt>Billing entity</dt><dd id="invoice-entity"><a href="/settings/entities">Harbour & Pine Ltd</a></dd>'
            in page)


def test_the_pdf_of_an_invoice_of_entity_2_prints_entity_2s_details(client, auth, two):
    invoice = factories.invoice(two["uk_client"])
    auth.login("member")
    response = client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    drawn = pdf_strings(response.data)
    for expected in ("Harbour & Pine Ltd", "4 Mill Lane", "Bristol BS1 4DJ", "Tax number GB 987 6543 21",
                     "Sort code 20-00-00, account 12345678", "UK-2026-0001"):
        assert expected in drawn, expected
    assert "Customhouse Quay" not in drawn and "ANZ 01-0505" not in drawn
    nz_pdf = pdf_strings(invoice_pdf(get_invoice(factories.invoice(two["client"]).id, full=True),
                                     issuer(two["nz"]), compress=False))
    assert "Customhouse Quay" in nz_pdf and "Mill Lane" not in nz_pdf


def test_the_table_shows_and_filters_by_entity(client, auth, two):
    factories.invoice(two["client"], subject="NZ job")
    factories.invoice(two["uk_client"], subject="UK job")
    auth.login("member")
    page = text(client.get("/"))
    assert "<th>Entity</th>" in page and 'name="entity"' in page
    assert "<td>Harbour & Pine Ltd</td>" in page and "<td>Harbour & Pine Studio</td>" in page
    only_uk = text(client.get("/", query_string={"entity": two["uk"].id}))
    assert "UK job" in only_uk and "NZ job" not in only_uk
    bad = client.get("/", query_string={"entity": "999"})
    assert bad.status_code == 422 and "Pick a billing entity from the list." in text(bad)


def test_the_editor_says_why_an_invoice_with_a_live_copy_keeps_its_entity(client, auth, two):
    invoice = factories.invoice(two["client"])
    invoice.xero_status = "AUTHORISED"
    db.session.commit()
    auth.login("member")
    page = text(client.get(f"/invoices/{invoice.id}/edit"))
    assert ("Its copy in Xero lives in Harbour & Pine Studio's organisation: the invoice stays with this entity "
            "while that copy is live.") in page
