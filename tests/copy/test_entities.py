"""Several billing entities, each with its own Xero organisation (issue 21): an invoice, its
credit note and its void go to its entity's organisation, with that entity's settings and
mappings; an entity without a connection says so and the others still copy. Against the
sandbox over real HTTP: Demo Company (NZ) for the first entity, Demo Company (AU) for the
second (tests/copy/entities.py)."""
from uuid import uuid4

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import CreditNote, Invoice, XeroCopy
from tests.copy.conftest import copies, post_copy, recorded, text
from tests.copy.entities import (
    AU_TENANT, NZ_TENANT, configure_both, connect_entity, contact_in, entity_invoice, invoices_in, second_entity,
)
from tests.credit_notes.conftest import credit_lines, post_note_copy

KOALA = "Koala Creative"


@pytest.fixture
def two_orgs(app, xero, sandbox, workspace):
    """The first entity on Demo Company (NZ), Southern Cross Pty on Demo Company (AU)."""
    from bridge.xero.settings import reference
    from tests.marketplace.conftest import NZ

    xero.connect(tick=[NZ])
    reference.refresh(NZ_TENANT)
    entity = second_entity()
    connect_entity(app, sandbox, entity)
    configure_both()
    return entity


def tenants_of(sandbox, method: str, path: str) -> list[str]:
    """The xero-tenant-id of each request the sandbox answered with this method and path."""
    return [entry["tenant_id"] for entry in recorded(sandbox, method, path)]


def test_an_invoice_of_the_second_entity_is_copied_to_its_organisation(two_orgs, admin, workspace, sandbox):
    invoice = entity_invoice(workspace, two_orgs)
    response = post_copy(admin, invoice, contact=contact_in(AU_TENANT, KOALA), tax_type="EXEMPTOUTPUT")
    assert response.status_code == 200, text(response)
    assert tenants_of(sandbox, "PUT", "/Invoices") == [AU_TENANT]
    (row,) = copies()
    assert (row.tenant_id, row.state) == (AU_TENANT, "done")
    (copied,) = invoices_in(AU_TENANT)
    assert copied["InvoiceNumber"] == invoice.number == "SC-0001"
    assert copied["Contact"]["Name"] == KOALA and copied["CurrencyCode"] == "AUD"
    # The second entity's mappings: Design is 260 there (220 in NZ), No GST is EXEMPTOUTPUT.
    assert [(l["Description"], l["AccountCode"], l["TaxType"]) for l in copied["LineItems"]] == [
        ("Design sprint", "260", "EXEMPTOUTPUT"), ("Hosting, March", "200", "EXEMPTOUTPUT")]
    assert invoices_in(NZ_TENANT) == []


def test_the_copy_modal_of_the_second_entity_shows_its_organisation_and_options(two_orgs, admin, workspace, hx):
    invoice = entity_invoice(workspace, two_orgs)
    response = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Demo Company (AU)" in text(response) and "Demo Company (NZ)" not in text(response)
    # The tax rate preselected from the second entity's mapping, the options from AU's cache.
    assert '<option selected value="EXEMPTOUTPUT">' in page
    assert 'value="OUTPUT"' in page and 'value="OUTPUT2"' not in page and 'value="ZERORATED"' not in page
    # The first entity's invoice still opens on Demo Company (NZ), with its own mapping.
    first = entity_invoice(workspace, db.session.get(type(two_orgs), 1), client_name="Harbour Lights Ltd")
    other = admin.get(f"/invoices/{first.id}/xero/copy", headers=hx)
    assert "Demo Company (NZ)" in text(other) and '<option selected value="ZERORATED">' in other.get_data(as_text=True)


def test_an_entity_without_a_connection_says_so_and_the_others_still_copy(two_orgs, admin, workspace, hx, sandbox):
    third = second_entity("Third Studio Ltd", "NZD")
    stranded = entity_invoice(workspace, third, client_name="Lonely Client")
    response = admin.get(f"/invoices/{stranded.id}/xero/copy", headers=hx)
    assert response.status_code == 409
    assert "Xero is not connected for Third Studio Ltd." in text(response)
    refused = post_copy(admin, stranded, contact=contact_in(NZ_TENANT), tax_type="ZERORATED")
    assert refused.status_code == 422 and "Xero is not connected for Third Studio Ltd." in text(refused)
    assert tenants_of(sandbox, "PUT", "/Invoices") == []
    # The first entity's invoice goes to Demo Company (NZ), the second's to Demo Company (AU).
    first = db.session.scalar(select(Invoice).where(Invoice.entity_id == 1).limit(1)) or \
        entity_invoice(workspace, db.session.get(type(two_orgs), 1), client_name="Harbour Lights Ltd")
    assert post_copy(admin, first, contact=contact_in(NZ_TENANT), tax_type="ZERORATED").status_code == 200
    second = entity_invoice(workspace, two_orgs)
    assert post_copy(admin, second, contact=contact_in(AU_TENANT, KOALA), tax_type="EXEMPTOUTPUT").status_code == 200
    assert tenants_of(sandbox, "PUT", "/Invoices") == [NZ_TENANT, AU_TENANT]
    assert [row.tenant_id for row in copies()] == [NZ_TENANT, AU_TENANT]


def test_a_credit_note_of_the_second_entity_goes_to_its_organisation_and_is_allocated_there(
        two_orgs, admin, workspace, sandbox):
    configure_both(initial_status="AUTHORISED")
    invoice = entity_invoice(workspace, two_orgs)
    assert post_copy(admin, invoice, contact=contact_in(AU_TENANT, KOALA), tax_type="EXEMPTOUTPUT").status_code == 200
    note = credit_lines(invoice, 1)
    modal = text(admin.get(f"/credit-notes/{note.id}/xero/copy", headers={"HX-Request": "true"}))
    assert "Xero organisation: Demo Company (AU) · for Southern Cross Pty" in modal
    response = post_note_copy(admin, note)
    assert response.status_code == 200, text(response)
    assert tenants_of(sandbox, "PUT", "/CreditNotes") == [AU_TENANT]
    db.session.expire_all()
    row = db.session.scalar(select(XeroCopy).where(XeroCopy.credit_note_id == note.id, XeroCopy.state == "done"))
    assert row.tenant_id == AU_TENANT
    allocations = recorded(sandbox, "PUT", f"/CreditNotes/{row.xero_id}/Allocations")
    assert [entry["tenant_id"] for entry in allocations] == [AU_TENANT]
    note = db.session.get(CreditNote, note.id)
    assert note.allocation_state == "done" and str(note.xero_allocated) == "45.50"
    assert "Credit note copied" in text(response)


def test_voiding_an_invoice_of_the_second_entity_voids_its_copy_in_that_organisation(
        two_orgs, admin, workspace, sandbox, hx):
    configure_both(initial_status="AUTHORISED")
    invoice = entity_invoice(workspace, two_orgs)
    assert post_copy(admin, invoice, contact=contact_in(AU_TENANT, KOALA), tax_type="EXEMPTOUTPUT").status_code == 200
    (row,) = copies()
    dialog = text(admin.get(f"/invoices/{invoice.id}/void", headers=hx))
    assert "will be voided in Xero" in dialog and "another Xero organisation" not in dialog
    response = admin.post(f"/invoices/{invoice.id}/void", headers=hx, data={"attempt_key": str(uuid4())})
    assert response.status_code == 200, text(response)
    assert tenants_of(sandbox, "POST", f"/Invoices/{row.xero_id}") == [AU_TENANT]
    (voided,) = invoices_in(AU_TENANT)
    assert voided["Status"] == "VOIDED"
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "voided"


def test_a_contact_linked_in_one_organisation_is_not_offered_in_another(two_orgs, admin, workspace, hx):
    first = entity_invoice(workspace, db.session.get(type(two_orgs), 1), client_name="Kookaburra Media")
    northwind = contact_in(NZ_TENANT)
    assert post_copy(admin, first, contact=northwind, tax_type="ZERORATED").status_code == 200
    # The same client billed by the second entity: NZ's contact means nothing in Demo Company (AU).
    second = entity_invoice(workspace, two_orgs, client_name="Kookaburra Media")
    modal = admin.get(f"/invoices/{second.id}/xero/copy", headers=hx)
    assert "Kookaburra Media is not linked to a Xero contact yet" in text(modal)
    assert northwind.split("|")[0] not in modal.get_data(as_text=True)
    # Back in the first entity's organisation, the link is offered again.
    again = admin.get(f"/invoices/{first.id}/xero/copy", headers=hx)
    assert northwind.split("|")[0] in again.get_data(as_text=True)


def test_a_copied_invoice_of_a_disconnected_entity_says_its_xero_is_not_connected(two_orgs, admin, workspace):
    invoice = entity_invoice(workspace, two_orgs)
    assert post_copy(admin, invoice, contact=contact_in(AU_TENANT, KOALA), tax_type="EXEMPTOUTPUT").status_code == 200
    page = text(admin.get(f"/invoices/{invoice.id}"))
    assert "Invoice copied" in page and "Xero is not connected" not in page
    assert admin.post(f"/marketplace/xero/{two_orgs.id}/disconnect").status_code == 302
    page = text(admin.get(f"/invoices/{invoice.id}"))
    # The copy stays on record, and the page says why it cannot be copied again (no silent menu).
    assert "Invoice copied" in page and "Update existing" not in page
    assert "Xero is not connected for Southern Cross Pty. An admin can connect it in Settings > App Marketplace." in page
    # The first entity's invoices are untouched by it.
    first = entity_invoice(workspace, db.session.get(type(two_orgs), 1), client_name="Harbour Lights Ltd")
    assert "Xero is not connected" not in text(admin.get(f"/invoices/{first.id}"))
