"""An expense's receipts (issue 19, point 3): uploaded to its bill after Xero made it, one call
each, exactly once; from one expense's page and from a batch; a receipt Xero did not get says
"1 file not uploaded yet" in the bill's box with Retry. Against the sandbox over real HTTP."""
import io

import requests
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroActivity, XeroAttachment
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.bills.conftest import make_expense, post_send, sandbox_bills, text
from tests.bills.test_batch import run, start

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HX = {"HX-Request": "true"}


def add_receipt(http, expense, name: str, content: bytes):
    answer = http.post(f"/expenses/{expense.id}/files", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", headers=HX)
    assert answer.status_code == 200, text(answer)
    return answer


def attachments_of(xero_id: str) -> list[dict]:
    with XeroClient(NZ_TENANT) as client:
        return client.get_attachments(xero_id)


def attachment_puts(sandbox) -> list[dict]:
    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                           params={"path_prefix": "/api.xro/2.0/Invoices/"}).json()["requests"]
    return [e for e in entries if e["method"] == "PUT" and "/Attachments/" in e["path"]]


def uploads() -> list[XeroAttachment]:
    db.session.expire_all()
    return list(db.session.scalars(select(XeroAttachment).order_by(XeroAttachment.id)))


def test_the_expense_page_has_a_receipts_section(connected, admin, expense):
    page = text(admin.get(f"/expenses/{expense.id}"))
    assert "Receipts" in page and "No receipts yet" in page
    add_receipt(admin, expense, "receipt.jpg", JPEG)
    page = text(admin.get(f"/expenses/{expense.id}"))
    assert "receipt.jpg JPEG" in page and "Not copied yet" in page
    assert "Online invoice" not in page  # bills have no online invoice


def test_sending_a_bill_uploads_its_receipts_once(connected, admin, expense, sandbox):
    add_receipt(admin, expense, "receipt.jpg", JPEG)
    add_receipt(admin, expense, "invoice from printer.pdf", PDF)
    answer = post_send(admin, expense)
    assert answer.status_code == 200 and "Sent to Xero" in text(answer)
    (bill,) = sandbox_bills()
    attached = attachments_of(bill["InvoiceID"])
    assert sorted(a["FileName"] for a in attached) == ["invoice from printer.pdf", "receipt.jpg"]
    assert len(attachment_puts(sandbox)) == 2
    assert [u.state for u in uploads()] == ["done", "done"]
    assert all(u.include_online is False for u in uploads())
    # Update existing sends no receipt again.
    assert post_send(admin, expense, action="update").status_code == 200
    assert len(attachment_puts(sandbox)) == 2
    logged = list(db.session.scalars(select(XeroActivity.summary).where(
        XeroActivity.operation == "attachment", XeroActivity.expense_id == expense.id)))
    assert sorted(logged) == ["Uploaded invoice from printer.pdf to Xero.", "Uploaded receipt.jpg to Xero."]


def test_a_batch_uploads_each_bills_receipts(connected, admin, workspace, sandbox):
    first = make_expense(workspace, reference="PI-1", description="Print run 1")
    second = make_expense(workspace, reference="PI-2", description="Print run 2")
    add_receipt(admin, first, "one.pdf", PDF)
    add_receipt(admin, second, "two.jpg", JPEG)
    budget_id = workspace["budget"].id
    run(admin, budget_id, start(admin, budget_id, [first.id, second.id]))
    bills = {b["InvoiceNumber"]: b["InvoiceID"] for b in sandbox_bills()}
    assert [a["FileName"] for a in attachments_of(bills["PI-1"])] == ["one.pdf"]
    assert [a["FileName"] for a in attachments_of(bills["PI-2"])] == ["two.jpg"]
    assert len(attachment_puts(sandbox)) == 2


def test_a_receipt_xero_did_not_take_is_retried_from_the_bill_box(connected, admin, expense, sandbox):
    add_receipt(admin, expense, "receipt.jpg", JPEG)
    sandbox.control("faults", kind="503", count=4, method="PUT", path_prefix="/api.xro/2.0/Invoices/")
    assert post_send(admin, expense).status_code == 200
    (bill,) = sandbox_bills()
    assert attachments_of(bill["InvoiceID"]) == []
    box = text(admin.get(f"/expenses/{expense.id}/xero", headers=HX))
    assert "1 file not uploaded to Xero yet: receipt.jpg" in box and "Retry" in box
    retry = admin.post(f"/expenses/{expense.id}/xero/files", headers=HX)
    assert retry.status_code == 200
    assert "filesRetried" in retry.headers["HX-Trigger"]
    assert [a["FileName"] for a in attachments_of(bill["InvoiceID"])] == ["receipt.jpg"]
    assert "not uploaded to Xero yet" not in text(admin.get(f"/expenses/{expense.id}"))
