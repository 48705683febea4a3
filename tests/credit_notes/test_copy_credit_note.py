"""A credit note copied to Xero against the sandbox over real HTTP: an ACCRECCREDIT with the
invoice copy's contact, accounts, tax rates and tracking, allocated to the invoice's live copy in
the same action (2 calls; 1 without a live copy), exactly once; Xero's rules checked before
sending; allocations deleted in Xero, and refunds, mirrored back by the payment sync."""
import datetime as dt
from decimal import Decimal
from uuid import uuid4

import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import CreditNote, Invoice, XeroActivity
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.credit_notes.conftest import (
    configure, copy_invoice_approved, credit_lines, note_copy, post_note_copy, sync_now, text,
    xero_credit_note, xero_invoice,
)


def writes(sandbox) -> list[tuple[str, str]]:
    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                           params={"path_prefix": "/api.xro/2.0/CreditNotes"}).json()["requests"]
    return [(e["method"], e["path"].split("/api.xro/2.0")[-1]) for e in entries]


def test_copy_and_allocate_in_two_calls(connected, admin, invoice, sandbox):
    invoice_copy = copy_invoice_approved(admin, invoice)
    note = credit_lines(invoice, 0, 1)
    before = len(requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                              params={"path_prefix": "/api.xro/2.0"}).json()["requests"])
    response = post_note_copy(admin, note)
    assert response.status_code == 200, text(response)
    assert "Credit note copied" in text(response)
    assert "Applied NZ$397.33 of credit note CN-2026-0001 to invoice 2026-0001 in Xero." in text(response)
    calls = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                         params={"path_prefix": "/api.xro/2.0"}).json()["requests"][before:]
    assert [(c["method"], c["path"].split("/api.xro/2.0")[-1].split("/")[1]) for c in calls] == [
        ("PUT", "CreditNotes"), ("PUT", "CreditNotes")]  # the note, then its allocation

    row = note_copy(note)
    copied = xero_credit_note(row.xero_id)
    assert copied["Type"] == "ACCRECCREDIT" and copied["CreditNoteNumber"] == "CN-2026-0001"
    assert copied["Contact"]["ContactID"] == invoice_copy.xero_contact_id
    assert copied["Status"] == "PAID" and str(copied["RemainingCredit"]) in ("0", "0.00")
    assert [(l["Description"], l["AccountCode"], l["TaxType"]) for l in copied["LineItems"]] == [
        ("Design sprint", "220", "OUTPUT2"), ("Hosting, March", "200", "OUTPUT2")]
    assert copied["Reference"] == "2026-0001 / CN-2026-0001"
    in_xero = xero_invoice(invoice_copy.xero_id)
    assert str(in_xero["AmountCredited"]) == "397.33" and in_xero["Status"] == "PAID"

    db.session.expire_all()
    note = db.session.get(CreditNote, note.id)
    invoice = db.session.get(Invoice, invoice.id)
    assert (note.xero_number, note.allocation_state, note.xero_allocated) == ("CN-2026-0001", "done", Decimal("397.33"))
    assert invoice.amount_credited == Decimal("397.33") and invoice.amount_due == 0
    assert invoice.payment_status == "credited"
    assert [a.operation for a in db.session.scalars(select(XeroActivity).where(
        XeroActivity.credit_note_id == note.id).order_by(XeroActivity.id))] == ["credit_note", "allocate"]


def test_a_draft_credit_note_is_one_call_and_not_allocated(connected, admin, invoice, sandbox):
    copy_invoice_approved(admin, invoice)
    configure(initial_status="DRAFT")
    note = credit_lines(invoice, 1)
    before = writes(sandbox)
    assert post_note_copy(admin, note).status_code == 200
    assert writes(sandbox)[len(before):] == [("PUT", "/CreditNotes")]
    db.session.expire_all()
    note = db.session.get(CreditNote, note.id)
    assert note.xero_status == "DRAFT" and note.allocation_state == "none"
    # Xero holds it now: the invoice counts Xero's credit (none applied), not the note's total.
    assert db.session.get(Invoice, invoice.id).amount_credited == 0


def test_the_invoice_must_be_copied_first(connected, admin, invoice, sandbox):
    note = credit_lines(invoice, 1)
    response = post_note_copy(admin, note)
    assert response.status_code == 422
    assert "Copy invoice 2026-0001 to Xero first" in text(response)
    assert writes(sandbox) == [] and note_copy(note) is None


@pytest.fixture
def lose_credit_note_answer(monkeypatch):
    """Drop Xero's answer to the next credit note PUT after the sandbox has handled it."""
    real_send = HTTPAdapter.send
    lost = []

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if request.method == "PUT" and request.url.split("?")[0].endswith("/CreditNotes") and not lost:
            lost.append(request)
            raise requests.ReadTimeout("read timed out (simulated: Xero's answer was lost)")
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return lost


@pytest.mark.parametrize("numbers_by", ["bridge", "xero"])
def test_a_lost_answer_is_recovered_not_duplicated(connected, admin, invoice, sandbox, lose_credit_note_answer,
                                                   numbers_by):
    copy_invoice_approved(admin, invoice)
    configure(initial_status="AUTHORISED", invoice_numbers_by=numbers_by)
    note = credit_lines(invoice, 1)
    key = str(uuid4())
    first = post_note_copy(admin, note, key=key)
    assert first.status_code == 422 and lose_credit_note_answer
    assert "Bridge cannot tell yet whether Xero created the credit note" in text(first)
    assert f'value="{key}"' in first.get_data(as_text=True) and "Try again" in text(first)
    again = post_note_copy(admin, note, key=key)
    assert again.status_code == 200, text(again)
    with XeroClient(NZ_TENANT) as client:
        ours = [c for c in client.get_credit_notes(where='Type=="ACCRECCREDIT"')
                if c.get("Reference") == "2026-0001 / CN-2026-0001"]
    assert len(ours) == 1  # found, not made twice
    assert len([w for w in writes(sandbox) if w == ("PUT", "/CreditNotes")]) == 1
    db.session.expire_all()
    note = db.session.get(CreditNote, note.id)
    assert note.allocation_state == "done" and note.xero_allocated == Decimal("52.33")
    assert note.number == ours[0]["CreditNoteNumber"]  # Xero's number when Xero numbers
    assert note.number == ("CN-2026-0001" if numbers_by == "bridge" else ours[0]["CreditNoteNumber"])
    assert db.session.get(Invoice, invoice.id).amount_due == Decimal("345.00")


def test_over_allocation_is_refused_before_xero(connected, admin, invoice, sandbox):
    """The invoice was part paid in Xero (mirrored by the sync) after the credit note was made."""
    invoice_copy = copy_invoice_approved(admin, invoice)
    note = credit_lines(invoice, 0)  # 345.00
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=invoice_copy.xero_id, amount="300.00",
                    reference="bank")
    sync_now()
    before = writes(sandbox)
    response = post_note_copy(admin, note)
    assert response.status_code == 422
    assert "more than the NZ$97.33 due on 2026-0001 in Xero" in text(response)
    assert "Nothing was sent." in text(response)
    assert writes(sandbox) == before and note_copy(note) is None


def test_a_paid_invoice_is_refused_before_xero(connected, admin, invoice, sandbox):
    invoice_copy = copy_invoice_approved(admin, invoice)
    note = credit_lines(invoice, 1)
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=invoice_copy.xero_id, amount="397.33")
    sync_now()
    response = post_note_copy(admin, note)
    assert response.status_code == 422 and "Invoice 2026-0001 is paid in Xero" in text(response)
    assert note_copy(note) is None


def test_xero_refusing_the_allocation_shows_in_the_modal(connected, admin, invoice, sandbox):
    """Paid in Xero but not synced yet: the note is copied, Xero refuses the allocation, and
    Apply credit is offered once Bridge knows."""
    invoice_copy = copy_invoice_approved(admin, invoice)
    note = credit_lines(invoice, 0)
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=invoice_copy.xero_id, amount="300.00")
    response = post_note_copy(admin, note)
    assert response.status_code == 200 and "Credit note copied" in text(response)
    assert "Xero said: The amount allocated exceeds the amount outstanding on the invoice." in text(response)
    db.session.expire_all()
    note = db.session.get(CreditNote, note.id)
    assert note.allocation_state == "failed" and note.allocation_error
    page = admin.get(f"/credit-notes/{note.id}")
    assert "Apply credit" in text(page)


def test_an_allocation_deleted_in_xero_is_mirrored(connected, admin, invoice, sandbox):
    copy_invoice_approved(admin, invoice)
    note = credit_lines(invoice, 1)
    sync_now()  # the sync is on before the copy
    assert post_note_copy(admin, note).status_code == 200
    db.session.expire_all()
    note = db.session.get(CreditNote, note.id)
    assert db.session.get(Invoice, invoice.id).amount_due == Decimal("345.00")
    with XeroClient(NZ_TENANT) as client:
        removed = client.delete_allocation(note_copy(note).xero_id, note.allocation_id)
    assert removed["IsDeleted"] is True
    sync_now()
    note = db.session.get(CreditNote, note.id)
    invoice = db.session.get(Invoice, invoice.id)
    assert (note.xero_status, note.xero_allocated, note.xero_remaining) == ("AUTHORISED", 0, Decimal("52.33"))
    assert invoice.amount_credited == 0 and invoice.amount_due == Decimal("397.33")
    assert invoice.payment_status == "unpaid"


def test_a_refund_of_the_credit_note_is_mirrored(connected, admin, invoice, sandbox):
    copy_invoice_approved(admin, invoice)
    configure(initial_status="AUTHORISED")
    note = credit_lines(invoice, 1)
    sync_now()
    assert post_note_copy(admin, note).status_code == 200
    row = note_copy(note)
    with XeroClient(NZ_TENANT) as client:
        client.delete_allocation(row.xero_id, db.session.get(CreditNote, note.id).allocation_id)
        client._api("PUT", "/Payments", payload={"Payments": [{
            "CreditNote": {"CreditNoteID": row.xero_id}, "Account": {"Code": "090"},
            "Date": dt.date(2026, 3, 10), "Amount": Decimal("20.00")}]})
    sync_now()
    note = db.session.get(CreditNote, note.id)
    assert (note.xero_refunded, note.xero_allocated, note.xero_remaining) == (Decimal("20.00"), 0, Decimal("32.33"))
    assert "Refunded in Xero" in text(admin.get(f"/credit-notes/{note.id}"))


def test_a_credit_note_made_in_xero_shows_as_credit_applied(connected, admin, invoice, sandbox):
    invoice_copy = copy_invoice_approved(admin, invoice)
    sync_now()
    with XeroClient(NZ_TENANT) as client:
        made = client.create_credit_notes([{
            "Type": "ACCRECCREDIT", "Contact": {"ContactID": invoice_copy.xero_contact_id},
            "Status": "AUTHORISED", "Date": dt.date(2026, 3, 5), "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Goodwill", "Quantity": Decimal("1"), "UnitAmount": Decimal("40.00"),
                           "AccountCode": "200", "TaxType": "NONE"}]}])[0]
        client.allocate_credit_note(made["CreditNoteID"], invoice_copy.xero_id, Decimal("40.00"), dt.date(2026, 3, 5))
    sync_now()
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.amount_credited == Decimal("40.00") and invoice.amount_due == Decimal("357.33")
    assert "Credit applied" in text(admin.get(f"/invoices/{invoice.id}"))


def test_update_existing_keeps_number_and_status(connected, admin, invoice, sandbox):
    copy_invoice_approved(admin, invoice)
    configure(initial_status="DRAFT")
    note = credit_lines(invoice, 1, reason="Hosting not used")
    assert post_note_copy(admin, note).status_code == 200
    first = note_copy(note)
    db.session.get(CreditNote, note.id).lines[0].description = "Hosting, March (not used)"
    db.session.commit()
    before = writes(sandbox)
    response = post_note_copy(admin, note, action="update")
    assert response.status_code == 200, text(response)
    assert "updated in Xero as CN-2026-0001" in text(response)
    assert [w[0] for w in writes(sandbox)[len(before):]] == ["GET", "POST"]
    copied = xero_credit_note(first.xero_id)
    assert copied["Status"] == "DRAFT" and copied["CreditNoteNumber"] == "CN-2026-0001"
    assert [l["Description"] for l in copied["LineItems"]] == ["Hosting, March (not used)"]
    assert len(copied["LineItems"]) == 1


def test_a_lost_allocation_answer_is_asked_again_once(connected, admin, invoice, sandbox, monkeypatch):
    invoice_copy = copy_invoice_approved(admin, invoice)
    note = credit_lines(invoice, 1)
    real_send, lost = HTTPAdapter.send, []

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if request.method == "PUT" and "/Allocations" in request.url and not lost:
            lost.append(request)
            raise requests.ReadTimeout("read timed out (simulated)")
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    key = str(uuid4())
    first = post_note_copy(admin, note, key=key)
    assert first.status_code == 200 and lost
    assert "Bridge cannot tell yet whether the credit was applied" in text(first)
    db.session.expire_all()
    assert db.session.get(CreditNote, note.id).allocation_state == "unknown"
    assert "Apply credit" in text(admin.get(f"/credit-notes/{note.id}"))
    again = post_note_copy(admin, note, key=key)  # Try again: the same window
    assert again.status_code == 200 and "Applied NZ$52.33" in text(again)
    assert str(xero_invoice(invoice_copy.xero_id)["AmountCredited"]) == "52.33"  # applied once
    assert [w for w in writes(sandbox) if w == ("PUT", "/CreditNotes")] == [("PUT", "/CreditNotes")]
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).amount_due == Decimal("345.00")


def test_reconcile_explains_a_credit_note_not_in_xero_yet(connected, admin, invoice, sandbox):
    from bridge.xero.sync import reconcile

    copy_invoice_approved(admin, invoice)
    credit_lines(invoice, 1)
    (item,) = reconcile.differences(NZ_TENANT)
    assert item.unexplained == []
    assert any("Credit note CN-2026-0001 (NZ$52.33) is in Bridge only" in r.words for r in item.reasons)


def test_manual_status_is_asked_in_the_modal(connected, admin, invoice, sandbox):
    copy_invoice_approved(admin, invoice)
    configure(initial_status="MANUAL")
    note = credit_lines(invoice, 1)
    modal = admin.get(f"/credit-notes/{note.id}/xero/copy", headers={"HX-Request": "true"})
    assert 'name="status"' in modal.get_data(as_text=True)
    refused = post_note_copy(admin, note, status="PAID")
    assert refused.status_code == 422 and "Choose the status the credit note gets in Xero." in text(refused)
    assert note_copy(note) is None
    assert post_note_copy(admin, note, status="SUBMITTED").status_code == 200
    assert xero_credit_note(note_copy(note).xero_id)["Status"] == "SUBMITTED"
    db.session.expire_all()
    assert db.session.get(CreditNote, note.id).allocation_state == "none"  # only approved credit is applied
