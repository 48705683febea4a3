"""An invoice's supporting files (issue 19, point 3): kept on the filesystem and served only to
people logged in; checked (type by content, size, count) before anything is kept or sent;
uploaded to the copy in Xero after it is made, each exactly once, with "show with the online
invoice" per file; a lost answer recovered, not duplicated; Update existing sends only the
files Xero lacks. Against the sandbox over real HTTP."""
import io
import os
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bridge.billing import files
from bridge.billing.files import Owner
from bridge.extensions import db
from bridge.models import DocumentFile, XeroActivity, XeroAttachment
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.bulk import bulk_sleeps  # noqa: F401  (fixture)
from tests.copy.conftest import northwind, post_copy, recorded, sandbox_invoices, text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def upload(http, invoice, name: str, content: bytes, *, online: bool = True, hx: bool = True):
    data = {"file": (io.BytesIO(content), name)}
    if online:
        data["include_online"] = "y"
    return http.post(f"/invoices/{invoice.id}/files", data=data, content_type="multipart/form-data",
                     headers={"HX-Request": "true"} if hx else {})


def stored() -> list[DocumentFile]:
    db.session.expire_all()
    return list(db.session.scalars(select(DocumentFile).order_by(DocumentFile.id)))


def uploads() -> list[XeroAttachment]:
    db.session.expire_all()
    return list(db.session.scalars(select(XeroAttachment).order_by(XeroAttachment.id)))


def folder_files(app) -> set[str]:
    return set(os.listdir(app.config["ATTACHMENTS_FOLDER"])) if os.path.isdir(app.config["ATTACHMENTS_FOLDER"]) else set()


def attachment_puts(sandbox, xero_id: str) -> list[dict]:
    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                           params={"path_prefix": f"/api.xro/2.0/Invoices/{xero_id}/Attachments"}).json()["requests"]
    return [e for e in entries if e["method"] == "PUT"]


def in_xero(xero_id: str) -> list[dict]:
    with XeroClient(NZ_TENANT) as client:
        return client.get_attachments(xero_id)


# --- keeping and serving files ------------------------------------------------------------

def test_a_file_is_kept_outside_served_paths_and_served_to_people_logged_in(app, admin, invoice):
    answer = upload(admin, invoice, "Timesheet March.pdf", PDF)
    assert answer.status_code == 200
    assert "Timesheet March.pdf" in text(answer) and "Added Timesheet March.pdf" in answer.headers["HX-Trigger"]
    (row,) = stored()
    assert (row.mime_type, row.size, row.include_online) == ("application/pdf", len(PDF), True)
    path = Path(app.config["ATTACHMENTS_FOLDER"]) / row.stored_name
    assert path.read_bytes() == PDF
    assert Path(app.static_folder).resolve() not in path.resolve().parents

    got = admin.get(f"/files/{row.id}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "Timesheet March.pdf" in got.headers["Content-Disposition"]
    assert admin.get(f"/static/{row.stored_name}").status_code == 404


def test_files_are_not_served_to_anonymous_people_nor_from_static(app, client, invoice):
    row = files.add(Owner(invoice_id=invoice.id), io.BytesIO(PDF), "private.pdf", user_id=None)
    anonymous = client.get(f"/files/{row.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert PDF not in anonymous.data
    assert client.get(f"/static/{row.stored_name}").status_code == 404
    assert client.get(f"/static/../instance/attachments/{row.stored_name}").status_code == 404


def test_the_invoice_page_lists_the_files(admin, invoice):
    upload(admin, invoice, "photo.png", PNG, online=False)
    page = text(admin.get(f"/invoices/{invoice.id}"))
    assert "Supporting files" in page and "photo.png PNG" in page and "Not shown" in page
    assert "Not copied yet" in page


@pytest.mark.parametrize("name, content, message", [
    ("notes.pdf", b"just some text", "Choose a PDF, PNG or JPEG file"),
    ("script.png", b"<svg onload=alert(1)>", "Choose a PDF, PNG or JPEG file"),
    ("scan.pdf", PNG, "This file is a PNG but its name ends in .pdf"),
    ("receipt.exe", JPEG, "This file is a JPEG but its name ends in .exe"),
])
def test_a_file_that_is_not_what_it_says_is_refused_at_the_field(app, admin, invoice, name, content, message):
    before = folder_files(app)
    answer = upload(admin, invoice, name, content)
    assert answer.status_code == 422
    assert message in text(answer)
    assert stored() == [] and folder_files(app) == before


def test_no_file_chosen_says_so(admin, invoice):
    answer = admin.post(f"/invoices/{invoice.id}/files", data={}, content_type="multipart/form-data",
                        headers={"HX-Request": "true"})
    assert answer.status_code == 422 and "Choose a PDF, PNG or JPEG file to upload." in text(answer)


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(app, admin, invoice):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    before = folder_files(app)
    answer = upload(admin, invoice, "big.pdf", PDF + b"x" * 2000)
    assert answer.status_code == 422
    assert "larger than 1000 bytes" in text(answer)
    assert stored() == [] and folder_files(app) == before


def test_an_eleventh_file_is_refused(admin, invoice):
    for n in range(10):
        assert upload(admin, invoice, f"page {n}.pdf", PDF).status_code == 200
    answer = upload(admin, invoice, "page 11.pdf", PDF)
    assert answer.status_code == 422
    assert "Xero takes at most 10 per document" in text(answer)
    assert len(stored()) == 10


def test_a_plain_post_without_javascript_redirects_or_shows_the_error_on_a_page(admin, invoice):
    done = upload(admin, invoice, "a.pdf", PDF, hx=False)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/invoices/{invoice.id}")
    refused = upload(admin, invoice, "b.pdf", b"nope", hx=False)
    assert refused.status_code == 422
    page = text(refused)
    assert "Choose a PDF, PNG or JPEG file" in page and "Back to invoice" in page


def test_same_names_are_kept_apart(admin, invoice):
    upload(admin, invoice, "scan.jpg", JPEG)
    upload(admin, invoice, "scan.jpg", JPEG)
    upload(admin, invoice, "../../etc/passwd.jpeg", JPEG)
    assert [row.file_name for row in stored()] == ["scan.jpg", "scan (2).jpg", "passwd.jpeg"]


def test_a_failed_commit_removes_the_file(app, admin, invoice, monkeypatch):
    before = folder_files(app)

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        upload(admin, invoice, "a.pdf", PDF)
    monkeypatch.undo()
    assert stored() == [] and folder_files(app) == before


# --- uploads to Xero ----------------------------------------------------------------------

def test_copying_uploads_each_file_once_with_its_online_choice(connected, admin, invoice, sandbox):
    upload(admin, invoice, "timesheet.pdf", PDF, online=True)
    upload(admin, invoice, "photo.png", PNG, online=True)
    pdf, png = stored()
    # The modal offers each file with its stored default; the person unticks the photo.
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'name="online_file" value="{pdf.id}" checked' in modal
    answer = post_copy(admin, invoice, contact=northwind(), shown_file=[pdf.id, png.id], online_file=[pdf.id])
    assert answer.status_code == 200, text(answer)
    (copy,) = sandbox_invoices()
    xero_id = copy["InvoiceID"]
    puts = attachment_puts(sandbox, xero_id)
    assert len(puts) == 2
    assert all(p["idempotency_key"] for p in puts) and len({p["idempotency_key"] for p in puts}) == 2
    attached = {a["FileName"]: a for a in in_xero(xero_id)}
    assert set(attached) == {"timesheet.pdf", "photo.png"}
    assert attached["timesheet.pdf"]["IncludeOnline"] is True
    assert attached["photo.png"].get("IncludeOnline") in (False, None)
    assert attached["timesheet.pdf"]["MimeType"] == "application/pdf"
    assert [u.state for u in uploads()] == ["done", "done"]
    assert stored()[1].include_online is False  # the choice is the file's default from now on
    log = [a.summary for a in db.session.scalars(select(XeroActivity).where(XeroActivity.operation == "attachment"))]
    assert log == ["Uploaded timesheet.pdf to Xero (shown with the online invoice).", "Uploaded photo.png to Xero."]
    log_page = text(admin.get("/settings/marketplace/xero/activity"))
    assert "Upload file" in log_page and "Uploaded photo.png to Xero." in log_page
    page = text(admin.get(f"/invoices/{invoice.id}"))
    assert "In Xero" in page and "Uploaded timesheet.pdf to Xero" in page and "not uploaded to Xero yet" not in page
    # After the upload the file stays: Bridge says it stays in Xero.
    refused = admin.post(f"/files/{pdf.id}/delete", headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "stays" in text(refused)
    assert len(stored()) == 2


def test_update_existing_sends_only_the_files_xero_lacks(connected, admin, invoice, sandbox):
    upload(admin, invoice, "one.pdf", PDF)
    contact = northwind()
    assert post_copy(admin, invoice, contact=contact).status_code == 200
    xero_id = sandbox_invoices()[0]["InvoiceID"]
    upload(admin, invoice, "two.jpg", JPEG, online=False)
    assert "1 file not uploaded to Xero yet" in text(admin.get(f"/invoices/{invoice.id}"))
    modal = text(admin.get(f"/invoices/{invoice.id}/xero/copy?action=update", headers={"HX-Request": "true"}))
    assert "one.pdf" in modal and "In Xero already" in modal
    assert post_copy(admin, invoice, contact=contact, action="update").status_code == 200
    puts = attachment_puts(sandbox, xero_id)
    assert [p["path"].rsplit("/", 1)[-1] for p in puts] == ["one.pdf", "two.jpg"]
    assert sorted(a["FileName"] for a in in_xero(xero_id)) == ["one.pdf", "two.jpg"]
    # A second update sends no file at all.
    assert post_copy(admin, invoice, contact=contact, action="update").status_code == 200
    assert len(attachment_puts(sandbox, xero_id)) == 2


@pytest.fixture
def lose_attachment_answers(monkeypatch):
    """Drop Xero's answer to the next attachment PUT after the sandbox has handled it."""
    real_send = requests.adapters.HTTPAdapter.send
    lost = []

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if request.method == "PUT" and "/Attachments/" in request.url and not lost:
            lost.append(request)
            raise requests.ReadTimeout("read timed out (simulated: Xero's answer was lost)")
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return lost


def test_a_lost_upload_answer_is_recovered_not_duplicated(connected, admin, invoice, sandbox,
                                                          lose_attachment_answers):
    upload(admin, invoice, "timesheet.pdf", PDF)
    answer = post_copy(admin, invoice, contact=northwind())
    assert answer.status_code == 200  # the invoice went through
    assert "1 file not uploaded to Xero yet" in text(answer)
    xero_id = sandbox_invoices()[0]["InvoiceID"]
    (row,) = uploads()
    assert row.state == "unknown"
    assert len(in_xero(xero_id)) == 1  # Xero did take it

    page = text(admin.get(f"/invoices/{invoice.id}"))
    assert "1 file not uploaded to Xero yet: timesheet.pdf" in page and "Retry" in page
    retry = admin.post(f"/invoices/{invoice.id}/xero/files", headers={"HX-Request": "true"})
    assert retry.status_code == 200 and "Every file is in Xero now." in retry.headers["HX-Trigger"]
    assert len(attachment_puts(sandbox, xero_id)) == 1  # looked up, not sent again
    assert len(in_xero(xero_id)) == 1
    (row,) = uploads()
    assert row.state == "done" and row.xero_attachment_id == in_xero(xero_id)[0]["AttachmentID"]
    summaries = [a.summary for a in db.session.scalars(select(XeroActivity).where(
        XeroActivity.operation == "attachment").order_by(XeroActivity.id))]
    assert summaries[-1] == "Found timesheet.pdf in Xero: its upload had gone through."


def test_an_upload_xero_never_got_is_sent_again_by_the_next_update(connected, admin, invoice, sandbox):
    upload(admin, invoice, "timesheet.pdf", PDF)
    # Every try of the upload (the transport's retries too) meets a 503; the invoice PUT
    # (/Invoices, no slash) does not match the prefix.
    sandbox.control("faults", kind="503", count=4, method="PUT", path_prefix="/api.xro/2.0/Invoices/")
    contact = northwind()
    first = post_copy(admin, invoice, contact=contact)
    assert first.status_code == 200 and "1 file not uploaded to Xero yet" in text(first)
    xero_id = sandbox_invoices()[0]["InvoiceID"]
    assert in_xero(xero_id) == [] and [u.state for u in uploads()] == ["unknown"]
    key = uploads()[0].attempt_key

    assert post_copy(admin, invoice, contact=contact, action="update").status_code == 200
    assert [a["FileName"] for a in in_xero(xero_id)] == ["timesheet.pdf"]
    (row,) = uploads()
    assert row.state == "done" and row.attempt_key == key  # the same request, under the same key
    assert recorded(sandbox, "GET", f"/Invoices/{xero_id}/Attachments")  # looked in Xero first


def test_a_limit_lowered_since_is_refused_before_any_call(connected, admin, invoice, sandbox, app):
    upload(admin, invoice, "timesheet.pdf", PDF + b"x" * 2000)
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    answer = post_copy(admin, invoice, contact=northwind())
    assert answer.status_code == 200
    assert "larger than the 1000 bytes" in text(answer)
    xero_id = sandbox_invoices()[0]["InvoiceID"]
    assert attachment_puts(sandbox, xero_id) == [] and uploads() == []


def test_a_connection_without_the_attachments_scope_is_told_to_reconnect_and_keeps_working(
        connected, admin, invoice, sandbox):
    """A connection made before Bridge sent files lacks accounting.attachments: no upload is
    tried (Xero's 401 would mark the whole connection as needing reconnect), the copy goes."""
    from bridge.models import XeroConnection

    row = db.session.scalar(select(XeroConnection))
    row.scopes = " ".join(s for s in row.scopes.split() if s != "accounting.attachments")
    db.session.commit()
    upload(admin, invoice, "timesheet.pdf", PDF)
    answer = post_copy(admin, invoice, contact=northwind())
    assert answer.status_code == 200 and "Invoice copied" in text(answer)
    assert "an admin must reconnect Xero once" in text(answer)
    xero_id = sandbox_invoices()[0]["InvoiceID"]
    assert attachment_puts(sandbox, xero_id) == [] and uploads() == []
    db.session.refresh(row)
    assert row.status == "active"


def test_a_file_can_be_deleted_before_it_is_uploaded(app, admin, invoice):
    upload(admin, invoice, "draft.pdf", PDF)
    (row,) = stored()
    path = Path(app.config["ATTACHMENTS_FOLDER"]) / row.stored_name
    answer = admin.post(f"/files/{row.id}/delete", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "Deleted draft.pdf" in answer.headers["HX-Trigger"]
    assert stored() == [] and not path.exists()


def test_a_file_larger_than_the_apps_request_limit_is_taken_with_csrf_on(database_url, users, app):
    """CSRF protection reads the form before the view: the upload's own limit (10 MiB) holds,
    not MAX_CONTENT_LENGTH (2 MiB); past it, a 413 that says the limit."""
    import re

    from tests.conftest import ADMIN, form_token, make_app

    served = make_app(database_url, WTF_CSRF_ENABLED=True)
    http = served.test_client()
    with served.app_context():
        invoice = make_invoice_for(served)
    token = form_token(http.get("/login").get_data(as_text=True))
    http.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"], "csrf_token": token})
    page = http.get(f"/invoices/{invoice}").get_data(as_text=True)
    header = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    big = PDF + b"x" * (3 * 1024 * 1024)
    answer = http.post(f"/invoices/{invoice}/files", data={"file": (io.BytesIO(big), "scan.pdf")},
                       content_type="multipart/form-data", headers={"HX-Request": "true", "X-CSRFToken": header})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    too_big = PDF + b"x" * (11 * 1024 * 1024)
    refused = http.post(f"/invoices/{invoice}/files", data={"file": (io.BytesIO(too_big), "huge.pdf")},
                        content_type="multipart/form-data", headers={"HX-Request": "true", "X-CSRFToken": header})
    assert refused.status_code == 413 and "Nothing was saved" in refused.get_data(as_text=True)
    assert [row.size for row in stored()] == [len(big)]


def make_invoice_for(app) -> int:
    """A minimal invoice in the database the app uses."""
    import datetime as dt
    from decimal import Decimal

    from bridge.billing.service import InvoiceData, LineData, create_invoice
    from bridge.models import Company

    company = Company(name="Big Files Ltd", default_currency="NZD")
    db.session.add(company)
    db.session.commit()
    return create_invoice(InvoiceData(client_id=company.id, subject="Scans", issue_date=dt.date(2026, 3, 2),
                                      due_date=dt.date(2026, 4, 1),
                                      lines=(LineData("Scan", Decimal("1"), Decimal("10.00")),))).id


def test_a_bulk_copy_uploads_each_invoices_files_once(connected, admin, workspace, sandbox, users, bulk_sleeps):
    from bridge.xero.invoices.bulk.jobs import run_job
    from tests.copy.bulk import many_invoices, queued_job

    ids = many_invoices(workspace, 3)
    for invoice_id, name in zip(ids, ("a.pdf", "b.png", None)):
        if name:
            files.add(Owner(invoice_id=invoice_id), io.BytesIO(PDF if name.endswith("pdf") else PNG), name,
                      user_id=None, include_online=name.endswith("pdf"))
    progress = run_job(queued_job(ids, users["admin"].id))
    assert progress.done == 3
    by_name = {}
    for copy in sandbox_invoices():
        for attachment in in_xero(copy["InvoiceID"]):
            by_name.setdefault(attachment["FileName"], []).append(attachment)
    assert sorted(by_name) == ["a.pdf", "b.png"] and all(len(found) == 1 for found in by_name.values())
    assert by_name["a.pdf"][0]["IncludeOnline"] is True
    assert [u.state for u in uploads()] == ["done", "done"]
    # A second bulk copy updates the same copies: no file is sent again.
    assert run_job(queued_job(ids, users["admin"].id)).done == 3
    assert len(sandbox_invoices()) == 3
    assert sum(len(in_xero(c["InvoiceID"])) for c in sandbox_invoices()) == 2
    assert [u.state for u in uploads()] == ["done", "done"]
