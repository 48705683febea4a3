"""Already copied: Update existing changes the last copy (by InvoiceID, full lines, Xero's
current Status, same number); Create new says before sending what happens to the earlier live
copy (voided or deleted in the same action, exactly once; kept only where Xero numbers the new
one and the person accepts billing twice) and never renames the invoice; a paid invoice cannot
be updated."""
import datetime as dt
import json
from decimal import Decimal
from uuid import uuid4

from bridge.extensions import db
from bridge.billing.service import InvoiceData, LineData, update_invoice
from bridge.models import Invoice
from bridge.xero.api.client import XeroClient
from bridge.xero.api.ratelimit import call_counts
from bridge.xero.sending import ledger
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


def test_create_new_while_bridge_numbers_says_so_before_sending_and_ends_the_earlier_copy(
        connected, admin, invoice, hx):
    first = copied(admin, invoice)
    modal = text(admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx))
    assert f"Already in Xero Number Status in Xero Total Amount due On sending {invoice.number} Draft" in modal
    assert "Void or delete it in Xero first, then send the new copy (one action)" in modal
    assert "Keep it and send a second copy" not in modal  # Xero would refuse the same number
    contact = northwind()
    calls = call_counts()
    refused = post_copy(admin, invoice, contact=contact)
    assert refused.status_code == 422
    assert (f"Xero refuses a second invoice numbered {invoice.number} while the earlier copy is live"
            in text(refused))
    assert call_counts() == calls  # said before sending: Xero was not asked
    assert [row.state for row in copies()] == ["done"]

    response = post_copy(admin, invoice, contact=northwind(), earlier="end")
    assert response.status_code == 200, text(response)
    one, two = sandbox_invoices()
    assert one["InvoiceID"] == first["InvoiceID"] and one["Status"] == "DELETED"
    assert two["InvoiceNumber"] == invoice.number and two["Status"] == "DRAFT"
    # The new copy's row is committed first, then the deletion's (keyed from it), then Xero is asked.
    assert [(row.action, row.state) for row in copies()] == [("create", "done"), ("create", "done"),
                                                           ("delete", "done")]
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).xero_status == "DRAFT"


def test_create_new_of_an_approved_copy_voids_it_and_renames_the_void(connected, admin, invoice, hx):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    response = post_copy(admin, invoice, contact=northwind(), earlier="end")
    assert response.status_code == 200, text(response)
    one, two = sandbox_invoices()
    assert one["InvoiceID"] == first["InvoiceID"] and one["Status"] == "VOIDED"
    assert one["InvoiceNumber"] == f"{invoice.number}-VOID" and two["InvoiceNumber"] == invoice.number
    # The same submit again (a double click) neither voids nor creates anything twice.
    key = copies()[1].attempt_key
    assert post_copy(admin, invoice, contact=northwind(), earlier="end", key=key).status_code == 200
    assert len(sandbox_invoices()) == 2
    assert [row.action for row in copies()] == ["create", "create", "void"]


def test_an_earlier_copy_with_a_payment_cannot_be_voided_and_nothing_is_sent(connected, admin, invoice, sandbox, hx):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=first["InvoiceID"], amount="10.00")
    resync(first)
    modal = text(admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx))
    assert "the earlier copy cannot be voided: it has money applied in Xero" in modal
    contact = northwind()
    calls = call_counts()
    response = post_copy(admin, invoice, contact=contact, earlier="end")
    assert response.status_code == 422
    assert "has payments in Xero, so Xero cannot void it" in text(response)
    assert call_counts() == calls and len(sandbox_invoices()) == 1


def test_create_new_while_xero_numbers_keeps_the_invoice_number(connected, admin, invoice, hx):
    first = copied(admin, invoice, invoice_numbers_by="xero")
    db.session.expire_all()
    number = db.session.get(Invoice, invoice.id).number
    assert number == first["InvoiceNumber"]  # a draft's first copy takes Xero's number
    modal = text(admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx))
    assert "Keep it and send a second copy" in modal
    refused = post_copy(admin, invoice, contact=northwind(), earlier="keep")
    assert refused.status_code == 422 and "confirm that the client may be billed twice" in text(refused)
    response = post_copy(admin, invoice, contact=northwind(), earlier="keep", bill_twice="y")
    assert response.status_code == 200, text(response)
    one, two = sandbox_invoices()
    assert one["InvoiceID"] == first["InvoiceID"] and two["InvoiceNumber"] != first["InvoiceNumber"]
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).number == number  # Create new never renames
    state = admin.get(f"/invoices/{invoice.id}/xero/state", headers=hx).get_data(as_text=True)
    assert "2 invoices in Xero; Update existing changes the last one." in state
    # Update existing now changes the second one only.
    assert post_copy(admin, invoice, contact=northwind(), action="update", key=str(uuid4())).status_code == 200
    assert copies()[-1].xero_id == two["InvoiceID"]


def test_a_sent_invoice_keeps_its_number_under_xero_numbering(connected, admin, invoice, hx):
    invoice.status = "sent"
    db.session.commit()
    copied(admin, invoice, invoice_numbers_by="xero")
    (only,) = sandbox_invoices()
    assert only["InvoiceNumber"] == invoice.number


def resync(xero_doc: dict) -> None:
    """What the payment sync brings: Xero's figures for the document (through the ledger)."""
    with XeroClient(NZ_TENANT) as client:
        current = client.get_invoice(xero_doc["InvoiceID"])
    ledger.record(NZ_TENANT, current)
    db.session.commit()


def test_update_before_any_copy_is_refused(connected, admin, invoice, hx):
    response = admin.get(f"/invoices/{invoice.id}/xero/copy?action=update", headers=hx)
    assert response.status_code == 409 and "has not been copied to Xero yet" in response.get_data(as_text=True)
