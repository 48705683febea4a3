"""Already copied: Update existing changes the last copy (by InvoiceID, full lines, Xero's
current Status, same number); Create new makes another Xero invoice, which Xero refuses
while Bridge numbers (a duplicate number); a paid invoice cannot be updated."""
import datetime as dt
import json
from decimal import Decimal
from uuid import uuid4

from bridge.extensions import db
from bridge.billing.service import InvoiceData, LineData, update_invoice
from bridge.models import Invoice
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.conftest import configure, copies, northwind, post_copy, recorded, sandbox_invoices, text

LOCKED = "This document cannot be edited as it has a payment or credit note allocated to it."


def change_lines(invoice, workspace) -> None:
    """Edit the invoice in Bridge: three lines now (a new one at the end)."""
    update_invoice(invoice.id, InvoiceData(
        client_id=invoice.client_id, subject="Website refresh, phase 2", issue_date=dt.date(2026, 3, 2),
        due_date=dt.date(2026, 4, 15), purchase_order_number="PO-77", lines=(
            LineData("Design sprint", Decimal("3"), Decimal("150.00"), service_type_id=workspace["design"].id,
                     tax_rate_id=workspace["gst"].id),
            LineData("Hosting, March", Decimal("1"), Decimal("45.50"), tax_rate_id=workspace["gst"].id),
            LineData("Support", Decimal("2"), Decimal("80.00"), tax_rate_id=workspace["gst"].id),
        )))


def copied(admin, invoice, **settings) -> dict:
    """Copy the invoice to Xero (with settings changed first); the Xero invoice."""
    if settings:
        configure(**settings)
    contact = northwind()
    response = post_copy(admin, invoice, contact=contact)
    assert response.status_code == 200, text(response)
    return sandbox_invoices(contact.split("|")[0])[-1]


def test_update_existing_changes_the_copy_and_keeps_its_number(connected, admin, invoice, workspace, sandbox, hx):
    first = copied(admin, invoice)
    change_lines(invoice, workspace)
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy?action=update", headers=hx)
    assert "Update the copy in Xero" in text(modal) and f"This changes {invoice.number} in Xero" in text(modal)

    response = post_copy(admin, invoice, contact=northwind(), action="update")
    assert response.status_code == 200, text(response)
    assert "updated in Xero" in text(response)
    (after,) = sandbox_invoices()
    assert (after["InvoiceID"], after["InvoiceNumber"]) == (first["InvoiceID"], first["InvoiceNumber"])
    assert after["Reference"] == "Website refresh, phase 2" and after["DueDate"] == dt.date(2026, 4, 15)
    assert [line["Description"] for line in after["LineItems"]] == ["Design sprint", "Hosting, March", "Support"]
    assert str(after["Total"]) == str(db.session.get(Invoice, invoice.id).total)
    # Lines keep Xero's LineItemIDs (in order); the new one is new.
    kept = [line["LineItemID"] for line in first["LineItems"]]
    assert [line["LineItemID"] for line in after["LineItems"]][:2] == kept
    create, update = copies()
    assert (update.action, update.state, update.xero_id) == ("update", "done", first["InvoiceID"])
    sent = json.loads(update.payload)
    assert "InvoiceNumber" not in sent and "Url" not in sent and sent["Status"] == "DRAFT"
    assert len(recorded(sandbox, "GET", f"/Invoices/{first['InvoiceID']}")) >= 1
    assert len(recorded(sandbox, "POST", f"/Invoices/{first['InvoiceID']}")) == 1


def test_an_update_sends_the_status_the_invoice_has_in_xero(connected, admin, invoice, workspace):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    configure(initial_status="DRAFT")  # the setting changed since; Xero's status is what counts
    change_lines(invoice, workspace)
    response = post_copy(admin, invoice, contact=northwind(), action="update")
    assert response.status_code == 200, text(response)
    assert json.loads(copies()[-1].payload)["Status"] == "AUTHORISED"
    assert sandbox_invoices()[0]["Status"] == "AUTHORISED" == first["Status"]


def test_a_paid_invoice_cannot_be_updated_create_new_is_offered(connected, admin, invoice, workspace, sandbox):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=first["InvoiceID"],
                    amount=str(first["Total"]), date="2026-03-10")
    change_lines(invoice, workspace)
    before = db.session.get(Invoice, invoice.id).number

    response = post_copy(admin, invoice, contact=northwind(), action="update")
    assert response.status_code == 422
    page = text(response)
    assert "Xero will not change this invoice any more: it has a payment or credit note applied" in page
    assert LOCKED in page  # Xero's words, verbatim
    assert f'hx-get="/invoices/{invoice.id}/xero/copy"' in response.get_data(as_text=True)  # Create new
    update = copies()[-1]
    assert (update.state, update.error_kind, update.messages) == ("failed", "locked", [LOCKED])
    assert sandbox_invoices()[0]["Status"] == "PAID" and len(sandbox_invoices()[0]["LineItems"]) == 2
    assert db.session.get(Invoice, invoice.id).number == before


def test_create_new_while_bridge_numbers_is_refused_as_a_duplicate_number(connected, admin, invoice, hx):
    copied(admin, invoice)
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx)
    assert f"Xero already has a copy numbered {invoice.number}" in text(modal)
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 422
    page = text(response)
    assert f"Xero already has an invoice numbered {invoice.number}, and Xero invoice numbers must be unique" in page
    assert "Invoice # must be unique." in page
    assert [row.state for row in copies()] == ["done", "failed"]
    assert len(sandbox_invoices()) == 1


def test_create_new_while_xero_numbers_makes_another_invoice(connected, admin, invoice, hx):
    first = copied(admin, invoice, invoice_numbers_by="xero")
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 200, text(response)
    one, two = sandbox_invoices()
    assert one["InvoiceID"] == first["InvoiceID"] and two["InvoiceNumber"] != first["InvoiceNumber"]
    assert db.session.get(Invoice, invoice.id).number == two["InvoiceNumber"]
    state = admin.get(f"/invoices/{invoice.id}/xero/state", headers=hx).get_data(as_text=True)
    assert "2 invoices in Xero; Update existing changes the last one." in state
    # Update existing now changes the second one only.
    assert post_copy(admin, invoice, contact=northwind(), action="update", key=str(uuid4())).status_code == 200
    assert copies()[-1].xero_id == two["InvoiceID"]


def test_update_before_any_copy_is_refused(connected, admin, invoice, hx):
    response = admin.get(f"/invoices/{invoice.id}/xero/copy?action=update", headers=hx)
    assert response.status_code == 409 and "has not been copied to Xero yet" in response.get_data(as_text=True)
