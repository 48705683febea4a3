"""Voiding or deleting a Bridge invoice with its live copies in Xero, against the sandbox over
HTTP: each copy ended once (keyed, recorded before the call), a lost answer looked up rather
than repeated, Xero's refusal changing nothing in Bridge until a Bridge-only void is confirmed."""
from contextlib import contextmanager
from uuid import uuid4

import requests
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Invoice, XeroActivity, XeroCopy, XeroDocument
from bridge.xero.api.ratelimit import call_counts
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.conftest import copies, recorded, sandbox_invoices, text
from tests.copy.test_update import copied, resync


def post_void(http, invoice_id: int, key: str | None = None, hx=True, **fields):
    headers = {"HX-Request": "true"} if hx else {}
    return http.post(f"/invoices/{invoice_id}/void", headers=headers,
                     data={"attempt_key": key or str(uuid4()), **fields})


def fresh(invoice_id: int) -> Invoice | None:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id)


def in_xero(xero_id: str) -> dict:
    return next(i for i in sandbox_invoices() if i["InvoiceID"] == xero_id)


@contextmanager
def void_answers_lost(monkeypatch):
    """Inside the block Xero gets each POST of an invoice, but its answer is lost."""
    original = requests.adapters.HTTPAdapter.send

    def lose(adapter, request, **kwargs):
        response = original(adapter, request, **kwargs)
        if request.method == "POST" and "/Invoices/" in request.url:
            raise requests.ReadTimeout("answer lost")
        return response

    with monkeypatch.context() as patch:
        patch.setattr(requests.adapters.HTTPAdapter, "send", lose)
        yield


def test_voiding_a_sent_invoice_voids_its_approved_copy_once(connected, admin, invoice, sandbox, hx):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    assert fresh(invoice.id).status == "sent"
    dialog = text(admin.get(f"/invoices/{invoice.id}/void", headers=hx))
    assert f"Void invoice {invoice.number}?" in dialog
    assert (f"Its copy in Xero, in the same action: {invoice.number} Awaiting Payment will be voided in Xero "
            "(it keeps its number there). Void with its copy in Xero") in dialog
    key = str(uuid4())
    calls = call_counts()
    response = post_void(admin, invoice.id, key)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/invoices/{invoice.id}"
    assert sum(call_counts().values()) - sum(calls.values()) == 1
    assert in_xero(first["InvoiceID"])["Status"] == "VOIDED"
    assert in_xero(first["InvoiceID"])["InvoiceNumber"] == invoice.number  # a void keeps its number
    voided = fresh(invoice.id)
    assert voided.status == "voided" and voided.xero_status == "VOIDED" and voided.amount_due == 0
    # The same submit again (a double click) asks Xero nothing more.
    assert post_void(admin, invoice.id, key).status_code == 200
    assert len(recorded(sandbox, "POST", f"/Invoices/{first['InvoiceID']}")) == 1
    assert [row.action for row in copies()] == ["create", "void"]
    page = text(admin.get(f"/invoices/{invoice.id}"))
    assert "Voided" in page and "Mark as sent" not in page
    summaries = db.session.scalars(select(XeroActivity.summary).where(XeroActivity.operation == "void_invoice")).all()
    assert summaries == [f"Voided invoice {invoice.number} in Bridge; in Xero {invoice.number} was voided."]


def test_deleting_a_draft_invoice_deletes_its_draft_copy(connected, admin, invoice, sandbox, hx):
    first = copied(admin, invoice)
    assert first["Status"] == "DRAFT" and fresh(invoice.id).status == "draft"
    dialog = text(admin.get(f"/invoices/{invoice.id}/void", headers=hx))
    assert f"Delete invoice {invoice.number}?" in dialog and "will be deleted in Xero" in dialog
    response = post_void(admin, invoice.id)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/"
    assert in_xero(first["InvoiceID"])["Status"] == "DELETED"
    assert fresh(invoice.id) is None
    assert db.session.scalars(select(XeroCopy)).all() == [] and db.session.scalars(select(XeroDocument)).all() == []
    entry = db.session.scalar(select(XeroActivity).where(XeroActivity.operation == "delete_invoice"))
    assert entry.summary == f"Deleted invoice {invoice.number} in Bridge; in Xero {invoice.number} was deleted."
    # A second submit of the same delete finds it done.
    assert admin.post(f"/invoices/{invoice.id}/void", data={"attempt_key": str(uuid4())}).status_code == 302


def test_a_never_copied_draft_is_deleted_without_asking_xero(connected, admin, invoice, hx):
    assert "nothing is sent to Xero" in text(admin.get(f"/invoices/{invoice.id}/void", headers=hx))
    calls = call_counts()
    response = post_void(admin, invoice.id, hx=False)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert fresh(invoice.id) is None and call_counts() == calls


def test_money_applied_in_xero_refuses_and_changes_nothing_until_a_bridge_only_void(
        connected, admin, invoice, sandbox, hx):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    # Paid in Xero, and Bridge has not synced it yet: Bridge tries, Xero refuses.
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=first["InvoiceID"], amount="10.00")
    response = post_void(admin, invoice.id)
    assert response.status_code == 422
    page = text(response)
    assert f"Xero did not end the copy {invoice.number}, so nothing changed in Bridge." in page
    assert "has payments in Xero, so Xero cannot void it: refund or credit it in Xero" in page  # read again from Xero
    assert "Void in Bridge only" in page
    assert fresh(invoice.id).status == "sent" and in_xero(first["InvoiceID"])["Status"] == "AUTHORISED"
    # Another try without confirming asks Xero nothing: the ledger now knows it is paid.
    calls = call_counts()
    assert post_void(admin, invoice.id).status_code == 422 and call_counts() == calls
    assert fresh(invoice.id).status == "sent"
    # Confirmed: voided in Bridge only, the copy left in Xero as it is.
    response = post_void(admin, invoice.id, bridge_only="y")
    assert response.status_code == 200 and call_counts() == calls
    assert fresh(invoice.id).status == "voided" and in_xero(first["InvoiceID"])["Status"] == "AUTHORISED"
    entry = db.session.scalar(select(XeroActivity).where(XeroActivity.operation == "void_invoice"))
    assert entry.summary == (f"Voided invoice {invoice.number} in Bridge only; its copies stay in Xero as they "
                             f"are: {invoice.number} (AUTHORISED).")


def test_a_synced_payment_shows_before_anything_is_sent(connected, admin, invoice, sandbox, hx):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=first["InvoiceID"], amount="10.00")
    resync(first)
    dialog = text(admin.get(f"/invoices/{invoice.id}/void", headers=hx))
    assert "has payments in Xero, so Xero cannot void it: refund or credit it in Xero" in dialog and "Void in Bridge only" in dialog
    assert f"Void invoice {invoice.number} with its copy" not in dialog


def test_a_lost_answer_is_looked_up_not_sent_again(connected, admin, invoice, sandbox, hx, monkeypatch):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    key = str(uuid4())
    with void_answers_lost(monkeypatch):
        response = post_void(admin, invoice.id, key)
    assert response.status_code == 422
    assert "Xero did not answer while ending the copy" in text(response) and "Try again" in text(response)
    assert fresh(invoice.id).status == "sent"  # Bridge waits for Xero's answer
    assert in_xero(first["InvoiceID"])["Status"] == "VOIDED"  # Xero did it
    response = post_void(admin, invoice.id, key)
    assert response.status_code == 200
    assert len(recorded(sandbox, "POST", f"/Invoices/{first['InvoiceID']}")) == 1
    assert fresh(invoice.id).status == "voided"
    assert [(row.action, row.state) for row in copies()] == [("create", "done"), ("void", "done")]


def test_a_member_may_void_and_a_voided_invoice_stays_voided(connected, member, invoice, hx):
    assert post_void(member, invoice.id, hx=False).status_code == 302  # a never-copied draft: deleted
    assert fresh(invoice.id) is None


def test_voided_invoice_refuses_status_switch_and_copy(connected, admin, invoice, hx):
    invoice.status = "sent"
    db.session.commit()
    assert post_void(admin, invoice.id).status_code == 200
    assert fresh(invoice.id).status == "voided"
    assert admin.post(f"/invoices/{invoice.id}/status", data={"status": "draft"}).status_code == 400
    assert admin.get(f"/invoices/{invoice.id}/edit").status_code == 302
    assert admin.post(f"/invoices/{invoice.id}/edit", data={"subject": "Changed"}).status_code == 302
    assert fresh(invoice.id).subject == "Website refresh" and "Edit</a>" not in admin.get(
        f"/invoices/{invoice.id}").get_data(as_text=True)
    response = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx)
    assert response.status_code == 409 and "voided" in text(response)
    # Opening the dialog again only says so.
    assert admin.get(f"/invoices/{invoice.id}/void").status_code == 302


def test_bad_key_is_refused_at_the_field(connected, admin, invoice, hx):
    response = post_void(admin, invoice.id, key="not-a-key")
    assert response.status_code == 422 and "This window is out of date" in text(response)
    assert fresh(invoice.id) is not None


def test_a_voided_invoice_shows_everywhere(connected, admin, invoice, sandbox, hx):
    """The table and its filter, the PDF stamped VOID, the bulk copy skipping it, reconcile."""
    from bridge.xero.invoices.bulk.plan import sort_invoices
    from bridge.xero.settings.readiness import readiness
    from bridge.xero.sync import reconcile
    from tests.invoicing.test_show_and_pdf import pdf_strings

    first = copied(admin, invoice, initial_status="AUTHORISED")
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=first["InvoiceID"], amount="10.00")
    resync(first)
    assert post_void(admin, invoice.id, bridge_only="y").status_code == 200
    table = text(admin.get("/?status=voided", headers=hx))
    assert invoice.number in table and "Voided" in table
    assert invoice.number not in text(admin.get("/?status=sent", headers=hx))
    drawn = pdf_strings(admin.get(f"/invoices/{invoice.id}/pdf").data)
    assert "VOID" in drawn and "nothing is owed on it" in drawn
    assert "Total due" not in drawn and "Amount due" in drawn and "NZ$0.00" in drawn
    ready, blocked = sort_invoices([invoice.id], NZ_TENANT, readiness())
    assert ready == [] and [b.reason for b in blocked] == ["Voided: a voided invoice is not copied to Xero."]
    [item] = reconcile.differences(NZ_TENANT)
    assert item.explained and item.bridge.status == "Voided"
    assert item.reasons[0].words == f"Voided in Bridge only: its copy is still live in Xero ({invoice.number} (Awaiting Payment))"


def test_a_voided_invoice_whose_copies_ended_agrees_with_xero(connected, admin, invoice):
    from bridge.xero.sync import reconcile

    copied(admin, invoice, initial_status="AUTHORISED")
    assert post_void(admin, invoice.id).status_code == 200
    assert reconcile.differences(NZ_TENANT) == []


def test_without_javascript_the_dialog_is_a_page_and_a_refusal_keeps_it(connected, admin, invoice, sandbox):
    first = copied(admin, invoice, initial_status="AUTHORISED")
    page = admin.get(f"/invoices/{invoice.id}/void")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert f'action="/invoices/{invoice.id}/void"' in page.get_data(as_text=True)
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=first["InvoiceID"], amount="10.00")
    refused = post_void(admin, invoice.id, hx=False)
    assert refused.status_code == 422 and "<html" in refused.get_data(as_text=True)
    assert "Void in Bridge only" in text(refused) and fresh(invoice.id).status == "sent"


def test_a_voided_invoice_needs_no_attention(connected, admin, invoice, hx, app):
    from bridge.invoicing.attention import needing_attention
    from bridge.models import utcnow
    from bridge.xero.settings.readiness import readiness

    copied(admin, invoice, initial_status="AUTHORISED")
    changed = fresh(invoice.id)
    changed.edited_at = utcnow()
    db.session.commit()
    with app.test_request_context():
        assert [item.key for item in needing_attention(readiness())] == ["changed"]
    assert invoice.number in text(admin.get("/?xero=changed", headers=hx))
    assert post_void(admin, invoice.id).status_code == 200
    with app.test_request_context():
        assert needing_attention(readiness()) == []
    assert invoice.number not in text(admin.get("/?xero=changed", headers=hx))


def test_deleting_a_draft_with_a_supporting_file_removes_the_file_too(connected, admin, invoice, app, hx):
    """Found when merging voids with attachments: the file's row held the invoice (a foreign
    key), and its stored bytes would have stayed in the folder with nothing pointing at them."""
    from bridge.billing import files
    from bridge.models import DocumentFile
    from tests.copy.test_attachments import PDF, upload

    upload(admin, invoice, "timesheet.pdf", PDF)
    (row,) = db.session.scalars(select(DocumentFile)).all()
    stored = files.path_of(row)
    assert stored.exists()
    response = post_void(admin, invoice.id)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/"
    assert fresh(invoice.id) is None
    assert db.session.scalars(select(DocumentFile)).all() == [] and not stored.exists()
