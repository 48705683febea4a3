"""The modal's parts: the contact search and Create new (Xero's duplicate-name refusal in
place), the chosen contact remembered on the client, the preview when the tax rate changes,
and the ways in: the invoice page's button and Save and copy to Xero on the editor."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, XeroActivity
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.conftest import northwind, post_copy, recorded, text

TAKEN = ("The contact name Northwind Studio is already assigned to another contact. "
         "The contact name must be unique across all active contacts.")


def test_search_lists_active_contacts_by_name(connected, admin, invoice, hx):
    found = admin.get(f"/invoices/{invoice.id}/xero/contacts?q=north", headers=hx).get_data(as_text=True)
    assert 'type="radio" name="contact"' in found and "Northwind Studio" in found
    archived = admin.get(f"/invoices/{invoice.id}/xero/contacts?q=old", headers=hx)
    assert "Old Client Ltd" not in archived.get_data(as_text=True)
    assert "No Xero contact matches “old”" in text(archived)
    assert admin.get(f"/invoices/{invoice.id}/xero/contacts?q=n", headers=hx).get_data(as_text=True).strip() == ""


def test_create_new_contact_from_the_client_then_copy(connected, admin, invoice, sandbox, hx):
    picker = admin.post(f"/invoices/{invoice.id}/xero/contacts", headers=hx, data={
        "attempt_key": "k1", "new_contact_name": "Harbour Lights Ltd",
        "new_contact_email": "ap@harbour.example", "new_contact_tax_number": "NZ-123"})
    assert picker.status_code == 200
    page = picker.get_data(as_text=True)
    assert "Created in Xero" in page and "checked" in page and page.lstrip().startswith('<fieldset id="contact-picker"')
    client = db.session.get(Company, invoice.client_id)
    with XeroClient(NZ_TENANT) as xero:
        made = xero.get_contact(client.xero_contact_id)
    assert (made["Name"], made["EmailAddress"], made["TaxNumber"]) == ("Harbour Lights Ltd", "ap@harbour.example", "NZ-123")
    assert made["DefaultCurrency"] == "NZD"
    assert db.session.scalar(select(XeroActivity.operation)) == "contact"

    # The next modal preselects it; copying uses it.
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx).get_data(as_text=True)
    assert f'value="{client.xero_contact_id}|Harbour Lights Ltd" checked' in modal
    response = post_copy(admin, invoice, contact=f"{client.xero_contact_id}|Harbour Lights Ltd")
    assert response.status_code == 200, text(response)


def test_a_taken_contact_name_is_shown_in_place(connected, admin, invoice, hx):
    picker = admin.post(f"/invoices/{invoice.id}/xero/contacts", headers=hx, data={
        "attempt_key": "k2", "new_contact_name": "Northwind Studio", "new_contact_email": ""})
    assert picker.status_code == 422
    assert TAKEN in text(picker)
    assert "A Xero contact with this name exists already: search for it above and pick it" in text(picker)
    assert "<details class=\"new-contact\" open>" in picker.get_data(as_text=True)
    assert db.session.get(Company, invoice.client_id).xero_contact_id is None
    assert db.session.scalar(select(XeroActivity.outcome)) == "error"


def test_the_chosen_contact_is_remembered_on_the_client(connected, admin, invoice, hx):
    contact = northwind()
    post_copy(admin, invoice, contact=contact)
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx).get_data(as_text=True)
    assert f'value="{contact}" checked' in modal and "linked to Harbour Lights Ltd" in modal


def test_the_preview_follows_the_tax_rate_and_flags_a_difference(connected, admin, invoice, hx, sandbox):
    calls = len(recorded(sandbox, "GET", "/TaxRates"))
    other = admin.get(f"/invoices/{invoice.id}/xero/preview?tax_type=TAX001", headers=hx)
    page = text(other)
    assert other.status_code == 200 and page.startswith("What Xero will get")
    assert "Xero will book a total of NZ$362.78 (tax 17.28), Bridge's invoice says NZ$397.33 (tax 51.83): " \
           "a difference of -34.55." in page
    same = text(admin.get(f"/invoices/{invoice.id}/xero/preview?tax_type=OUTPUT2", headers=hx))
    assert "Matches Bridge's totals to the cent." in same
    unknown = text(admin.get(f"/invoices/{invoice.id}/xero/preview?tax_type=INPUT2", headers=hx))
    assert "Choose a tax rate to see the lines" in unknown
    assert len(recorded(sandbox, "GET", "/TaxRates")) == calls  # all from the cache


def test_the_invoice_page_offers_copy_to_xero(connected, admin, invoice):
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert f'hx-get="/invoices/{invoice.id}/xero/copy" hx-target="#modal" hx-swap="innerHTML">Copy to Xero</a>' in page


def test_save_and_copy_to_xero_from_the_editor(connected, admin, invoice, workspace):
    form = admin.get(f"/invoices/{invoice.id}/edit").get_data(as_text=True)
    assert 'name="then" value="copy_to_xero">Save and copy to Xero' in form
    data = {"client_id": str(invoice.client_id), "subject": "Renamed", "issue_date": "2026-03-02",
            "due_date": "2026-04-01", "lines-0-description": "Design sprint", "lines-0-quantity": "2",
            "lines-0-unit_price": "150.00", "lines-0-tax_rate_id": str(workspace["gst"].id),
            "then": "copy_to_xero"}
    saved = admin.post(f"/invoices/{invoice.id}/edit", data=data)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/invoices/{invoice.id}?xero=copy")
    page = admin.get(f"/invoices/{invoice.id}?xero=copy").get_data(as_text=True)
    assert f'hx-get="/invoices/{invoice.id}/xero/copy" hx-trigger="load" hx-target="#modal"' in page
    new = admin.get("/invoices/new").get_data(as_text=True)
    assert "Create and copy to Xero" in new


def test_without_javascript_the_modal_is_a_page(connected, admin, invoice):
    page = admin.get(f"/invoices/{invoice.id}/xero/copy")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    done = post_copy(admin, invoice, contact=northwind(), hx=False)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/invoices/{invoice.id}")
