"""Copy to Xero, the happy paths, against the sandbox over real HTTP: the modal opens from
Bridge's own tables, the copy lands in Xero as mapped, Xero's number lands on the Bridge
invoice when Xero numbers, the accountant's note lands in History & Notes."""
import json

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, Invoice, XeroActivity
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.conftest import (
    configure, copies, give_note, northwind, post_copy, recorded, sandbox_invoices, text,
)


def test_the_modal_opens_without_calling_xero(connected, admin, invoice, sandbox, hx):
    before = len(recorded(sandbox, "GET", "/TaxRates")) + len(recorded(sandbox, "GET", "/Contacts"))
    response = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page
    assert 'id="modal-title"' in page and 'name="attempt_key"' in page
    assert '<option selected value="OUTPUT2">' in page  # from the tax rate mapping
    assert "Matches Bridge's totals to the cent." in text(response)
    assert "Harbour Lights Ltd is not linked to a Xero contact yet" in page
    after = len(recorded(sandbox, "GET", "/TaxRates")) + len(recorded(sandbox, "GET", "/Contacts"))
    assert after == before


def test_copy_with_an_existing_contact(connected, admin, invoice, sandbox):
    contact = northwind()
    response = post_copy(admin, invoice, contact=contact)
    assert response.status_code == 200, text(response)
    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger["xeroCopied"]["invoice"] == invoice.id
    assert "Invoice copied" in text(response) and "Open in Xero" in text(response)

    (copied,) = sandbox_invoices(contact.split("|")[0])[-1:]
    assert copied["InvoiceNumber"] == invoice.number  # Bridge numbers
    assert copied["Reference"] == "Website refresh" and copied["Status"] == "DRAFT"
    assert copied["CurrencyCode"] == "NZD" and copied["LineAmountTypes"] == "Exclusive"
    assert [(l["Description"], l["AccountCode"], l["TaxType"]) for l in copied["LineItems"]] == [
        ("Design sprint", "220", "OUTPUT2"), ("Hosting, March", "200", "OUTPUT2")]
    assert str(copied["Total"]) == str(invoice.total) == "397.33"

    (row,) = copies()
    assert (row.state, row.xero_id, row.xero_number) == ("done", copied["InvoiceID"], invoice.number)
    assert copied["Url"] == f"http://localhost/invoices/{invoice.id}?xero_copy={row.attempt_key}"
    client = db.session.get(Company, invoice.client_id)
    assert (client.xero_contact_id, client.xero_contact_name) == (copied["Contact"]["ContactID"],
                                                                  "Northwind Studio")
    assert [(a.operation, a.outcome) for a in db.session.scalars(select(XeroActivity))] == [("copy", "ok")]
    # One call: the contact was known and there is no note.
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1


def test_the_invoice_page_shows_invoice_copied(connected, admin, invoice, hx):
    post_copy(admin, invoice, contact=northwind())
    state = admin.get(f"/invoices/{invoice.id}/xero/state", headers=hx).get_data(as_text=True)
    assert "Invoice copied" in state and "Update existing" in state and "Create new" in state
    assert f"/_ui/{NZ_TENANT}/invoices/{copies()[0].xero_id}" in state
    assert '<span id="invoice-number" hx-swap-oob="true">' in state
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'hx-trigger="xeroCopied from:body"' in page and "Invoice copied" in page


def test_xero_numbering_puts_xeros_number_on_the_bridge_invoice(connected, admin, invoice):
    configure(invoice_numbers_by="xero")
    ours = invoice.number
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 200, text(response)
    (row,) = copies()
    assert row.xero_number.startswith("INV-") and row.xero_number != ours
    assert db.session.get(Invoice, invoice.id).number == row.xero_number
    assert f"as {row.xero_number}" in text(response)
    assert "InvoiceNumber" not in json.loads(row.payload)


def test_bridge_numbering_gives_xero_our_number(connected, admin, invoice):
    post_copy(admin, invoice, contact=northwind())
    (row,) = copies()
    assert json.loads(row.payload)["InvoiceNumber"] == invoice.number == row.xero_number


def test_the_accountants_note_lands_in_history(connected, admin, invoice, workspace, sandbox):
    configure(notes_custom_field_id=workspace["note"].id)
    give_note(invoice, workspace["note"], "Split the hosting across two cost centres")
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 200, text(response)
    (row,) = copies()
    assert row.note_added_at is not None
    from bridge.xero.api.client import XeroClient
    with XeroClient(NZ_TENANT) as client:
        history = client._get_list("/Invoices/{InvoiceID}/History", "HistoryRecords",
                                   path_args={"InvoiceID": row.xero_id})
    assert any(h.get("Details") == "Private note for the accountant: Split the hosting across two cost centres"
               for h in history)
    # Two calls: the invoice, then its note.
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1
    assert len(recorded(sandbox, "PUT", f"/Invoices/{row.xero_id}/History")) == 1
    operations = [a.operation for a in db.session.scalars(select(XeroActivity).order_by(XeroActivity.id))]
    assert operations == ["copy", "note"]
