"""Attachments on invoices, bills and credit notes: upload (PUT/POST, raw bytes), list, the bytes
by AttachmentID or FileName, the limits of the notes (§19: size, count, file types), replacing a
file, IncludeOnline, the attachments scope, Idempotency-Key, and where the bytes are kept."""
from pathlib import Path
from urllib.parse import quote

import pytest

from bridge.xero_sandbox.db import Attachment, db
from bridge.xero_sandbox.seed import NZ_TENANT

from .helpers import ATTACHMENT_SCOPES, Api, OAuth, messages

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
TYPE_REFUSED = "The file couldn't be uploaded because it isn't a supported file type."


def connect(app, contract) -> Api:
    """An API helper for the NZ organisation whose token may read and write attachments."""
    client = app.test_client()
    token = OAuth(client, contract).connect(scope=ATTACHMENT_SCOPES)["access_token"]
    return Api(client, contract, token, NZ_TENANT)


@pytest.fixture
def files(app, contract) -> Api:
    return connect(app, contract)


def document(api: Api, kind: str = "ACCREC") -> str:
    """A new document of that type; its id."""
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    sales = kind in ("ACCREC", "ACCRECCREDIT")
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200" if sales else "453",
            "TaxType": "OUTPUT2" if sales else "INPUT2"}
    body = {"Type": kind, "Contact": {"ContactID": contact}, "Status": "AUTHORISED", "LineItems": [line]}
    if kind.endswith("CREDIT"):
        return api.put("/CreditNotes", {"CreditNotes": [body]}).get_json()["CreditNotes"][0]["CreditNoteID"]
    return api.put("/Invoices", {"Invoices": [body]}).get_json()["Invoices"][0]["InvoiceID"]


def upload(api: Api, doc: str, name: str, content: bytes, collection: str = "Invoices", **kw):
    return api.upload(f"/{collection}/{doc}/Attachments/{quote(name)}", content, **kw)


def only(response) -> dict:
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["Status"] == "OK" and len(body["Attachments"]) == 1
    return body["Attachments"][0]


def test_upload_answers_the_attachment_in_the_spec_shape(files):
    doc = document(files)
    created = only(upload(files, doc, "moodboard.png", PNG, query={"IncludeOnline": "true"}))
    assert set(created) == {"AttachmentID", "FileName", "Url", "MimeType", "ContentLength", "IncludeOnline"}
    assert created["FileName"] == "moodboard.png" and created["ContentLength"] == len(PNG)
    assert created["MimeType"] == "image/png"  # the SDKs send octet-stream: the extension decides
    assert created["IncludeOnline"] is True
    assert created["Url"] == f"http://localhost/api.xro/2.0/Invoices/{doc}/Attachments/moodboard.png"


def test_list_and_bytes_by_file_name_or_id(files):
    doc = document(files)
    png = only(upload(files, doc, "moodboard.png", PNG))
    pdf = only(upload(files, doc, "Signed statement of work.pdf", PDF, headers={"Content-Type": "application/pdf"},
                      validate_request=False))
    assert "IncludeOnline" not in png and pdf["MimeType"] == "application/pdf"
    assert pdf["Url"].endswith("/Attachments/Signed%20statement%20of%20work.pdf")
    listed = files.get(f"/Invoices/{doc}/Attachments").get_json()["Attachments"]
    assert [a["FileName"] for a in listed] == ["moodboard.png", "Signed statement of work.pdf"]
    for ident in ("moodboard.png", png["AttachmentID"], png["AttachmentID"].upper()):
        got = files.get(f"/Invoices/{doc}/Attachments/{ident}", headers={"contentType": "image/png",
                                                                          "Accept": "image/png"})
        assert got.status_code == 200 and got.data == PNG and got.content_type == "image/png"
    got = files.get(f"/Invoices/{doc}/Attachments/{quote('Signed statement of work.pdf')}",
                    headers={"contentType": "application/pdf", "Accept": "application/pdf"})
    assert got.data == PDF and got.content_type == "application/pdf"


def test_the_document_says_it_has_attachments(files):
    doc = document(files)
    before = files.get(f"/Invoices/{doc}").get_json()["Invoices"][0]
    assert before["HasAttachments"] is False and "Attachments" not in before
    created = only(upload(files, doc, "moodboard.png", PNG))
    single = files.get(f"/Invoices/{doc}").get_json()["Invoices"][0]
    assert single["HasAttachments"] is True and single["Attachments"] == [created]
    listed = files.get("/Invoices", query={"IDs": doc, "page": "1"}).get_json()["Invoices"][0]
    assert listed["HasAttachments"] is True and "Attachments" not in listed
    where = files.get("/Invoices", query={"where": "HasAttachments==true", "page": "1"}).get_json()["Invoices"]
    assert [i["InvoiceID"] for i in where] == [doc]
    # Attaching is not an edit of the invoice (UNCONFIRMED in Xero): UpdatedDateUTC stays.
    assert single["UpdatedDateUTC"] == before["UpdatedDateUTC"]


def test_the_same_file_name_replaces_the_file(files):
    doc = document(files)
    first = only(upload(files, doc, "moodboard.png", PNG))
    second = only(upload(files, doc, "moodboard.png", PNG[:100]))
    third = only(upload(files, doc, "moodboard.png", PNG[:50], method="POST"))
    assert third["ContentLength"] == 50
    assert len({first["AttachmentID"], second["AttachmentID"], third["AttachmentID"]}) == 3
    listed = files.get(f"/Invoices/{doc}/Attachments").get_json()["Attachments"]
    assert listed == [third]
    gone = files.get(f"/Invoices/{doc}/Attachments/{first['AttachmentID']}", headers={"contentType": "image/png"})
    assert gone.status_code == 404


def test_post_creates_too(files):
    doc = document(files)
    assert only(upload(files, doc, "brief.txt", b"hello", method="POST"))["MimeType"] == "text/plain"


@pytest.mark.parametrize("name", ["setup.exe", "README", "archive.tar.gz", ".png"])
def test_file_types_xero_does_not_take_are_refused(files, name):
    doc = document(files)
    response = upload(files, doc, name, PNG)
    assert response.status_code == 400
    body = response.get_json()
    assert body["Type"] == "ValidationException" and messages(body) == [TYPE_REFUSED]
    element = body["Elements"][0]
    assert element["FileName"] == name and element["ContentLength"] == len(PNG)
    assert element["AttachmentID"] == "00000000-0000-0000-0000-000000000000"
    assert files.get(f"/Invoices/{doc}/Attachments").get_json()["Attachments"] == []


@pytest.mark.parametrize("name", ["scan.JPG", "notes.docx", "figures.xlsx", "mail.eml", "bundle.zip",
                                  "deck.keynote"])
def test_file_types_xero_takes(files, name):
    assert upload(files, document(files), name, b"content").status_code == 200


def test_an_empty_file_is_refused(files):
    response = upload(files, document(files), "empty.pdf", b"")
    assert messages(response.get_json()) == ["The file couldn't be uploaded because it is empty."]


def test_a_file_over_the_size_limit_is_refused_as_xero_does(make_app, contract):
    api = connect(make_app(SANDBOX_ATTACHMENT_MAX_BYTES=1024), contract)
    doc = document(api)
    assert upload(api, doc, "exact.png", PNG[:1024]).status_code == 200
    response = upload(api, doc, "large.png", PNG[:1025])
    assert response.status_code == 413
    body = response.get_json()
    assert (body["Title"], body["Status"], body["Detail"]) == ("RequestEntityTooLarge", 413, "PayloadTooLarge")
    assert [a["FileName"] for a in api.get(f"/Invoices/{doc}/Attachments").get_json()["Attachments"]] == ["exact.png"]


def test_the_default_size_limit_is_ten_megabytes(app):
    assert app.config["SANDBOX_ATTACHMENT_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["SANDBOX_ATTACHMENTS_PER_DOCUMENT"] == 10


def test_the_number_of_files_per_document_is_limited(make_app, contract):
    api = connect(make_app(SANDBOX_ATTACHMENTS_PER_DOCUMENT=2), contract)
    doc = document(api)
    for name in ("one.pdf", "two.pdf"):
        assert upload(api, doc, name, PDF).status_code == 200
    refused = upload(api, doc, "three.pdf", PDF)
    assert refused.status_code == 400
    assert messages(refused.get_json()) == [
        "The file couldn't be uploaded because a document can have at most 2 attachments."]
    assert upload(api, doc, "two.pdf", PDF[:10]).status_code == 200  # replacing is not adding
    other = document(api)
    assert upload(api, other, "three.pdf", PDF).status_code == 200  # the limit is per document


def test_credit_notes_have_the_same_sub_resource(files):
    note = document(files, "ACCRECCREDIT")
    created = only(upload(files, note, "refund.pdf", PDF, collection="CreditNotes", query={"IncludeOnline": "true"}))
    assert created["IncludeOnline"] is True and f"/CreditNotes/{note}/Attachments/" in created["Url"]
    assert files.get(f"/CreditNotes/{note}/Attachments").get_json()["Attachments"] == [created]
    got = files.get(f"/CreditNotes/{note}/Attachments/{created['AttachmentID']}",
                    headers={"contentType": "application/pdf"})
    assert got.data == PDF and got.content_type == "application/pdf"
    assert files.get(f"/CreditNotes/{note}").get_json()["CreditNotes"][0]["HasAttachments"] is True
    # The paths keep documents apart: a credit note is not an invoice, and the reverse.
    assert files.get(f"/Invoices/{note}/Attachments").status_code == 404
    assert upload(files, document(files), "x.pdf", PDF, collection="CreditNotes").status_code == 404


def test_include_online_is_for_sales_documents_only(files):
    bill = document(files, "ACCPAY")
    created = only(upload(files, bill, "receipt.pdf", PDF, query={"IncludeOnline": "true"}))
    assert "IncludeOnline" not in created


def test_unknown_documents_and_files_are_404(files):
    missing = "00000000-0000-0000-0000-000000000000"
    assert files.get(f"/Invoices/{missing}/Attachments").status_code == 404
    assert upload(files, missing, "x.pdf", PDF).status_code == 404
    doc = document(files)
    missing_file = files.get(f"/Invoices/{doc}/Attachments/nothing.pdf", headers={"contentType": "application/pdf"})
    assert missing_file.status_code == 404


def test_attachments_need_their_own_scope(files, oauth, client, contract):
    doc = document(files)
    only(upload(files, doc, "moodboard.png", PNG))
    without = Api(client, contract, oauth.connect()["access_token"], NZ_TENANT)  # transactions, no attachments
    assert without.get(f"/Invoices/{doc}/Attachments", check=False).status_code == 401
    assert upload(without, doc, "x.pdf", PDF, check=False).status_code == 401
    assert without.get(f"/Invoices/{doc}").status_code == 200
    read_only = oauth.connect(scope="openid accounting.attachments.read")["access_token"]
    reader = Api(client, contract, read_only, NZ_TENANT)
    assert reader.get(f"/Invoices/{doc}/Attachments").status_code == 200
    assert upload(reader, doc, "x.pdf", PDF, check=False).status_code == 401


def test_an_upload_with_an_idempotency_key_is_made_once(files):
    doc = document(files)
    first = upload(files, doc, "moodboard.png", PNG, headers={"Idempotency-Key": "upload-1"})
    again = upload(files, doc, "moodboard.png", PNG, headers={"Idempotency-Key": "upload-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert only(again) == only(first)
    listed = files.get(f"/Invoices/{doc}/Attachments").get_json()["Attachments"]
    assert [a["AttachmentID"] for a in listed] == [only(first)["AttachmentID"]]  # not replaced by the retry
    other_bytes = upload(files, doc, "moodboard.png", PNG[:10], headers={"Idempotency-Key": "upload-1"})
    assert other_bytes.status_code == 400
    assert other_bytes.get_json()["Message"] == "Idempotency Key: upload-1 is used with a different request."
    # A refusal is kept and replayed like any answer.
    refused = upload(files, doc, "setup.exe", PNG, headers={"Idempotency-Key": "upload-2"})
    replayed = upload(files, doc, "setup.exe", PNG, headers={"Idempotency-Key": "upload-2"})
    assert refused.status_code == replayed.status_code == 400 and replayed.headers.get("Idempotent-Replayed") == "true"


def test_getting_the_bytes_is_not_flagged_as_missing_json(files, client):
    doc = document(files)
    only(upload(files, doc, "moodboard.png", PNG))
    client.delete("/_sandbox/requests")
    files.get(f"/Invoices/{doc}/Attachments/moodboard.png",
              headers={"contentType": "image/png", "Accept": "image/png"})
    files.get(f"/Invoices/{doc}/Attachments", headers={"Accept": "text/xml"}, check=False)
    flagged = client.get("/_sandbox/requests", query_string={"missing_accept": "true"}).get_json()
    assert [r["path"] for r in flagged["requests"]] == [f"/api.xro/2.0/Invoices/{doc}/Attachments"]


def test_the_bytes_are_kept_in_the_database_not_a_served_folder(app, files):
    static = Path(app.static_folder)
    before = sorted(static.rglob("*"))
    doc = document(files)
    created = only(upload(files, doc, "moodboard.png", PNG))
    assert sorted(static.rglob("*")) == before
    with app.app_context():
        assert db.session.get(Attachment, created["AttachmentID"]).content == PNG


def test_a_reset_removes_the_organisations_attachments(files, client, app):
    only(upload(files, document(files), "moodboard.png", PNG))
    assert client.post(f"/_sandbox/organisations/{NZ_TENANT}/reset").status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0


def test_attaching_sends_no_invoice_webhook(make_app, contract):
    from bridge.xero_sandbox import webhooks

    app = make_app(SANDBOX_WEBHOOK_URL="http://127.0.0.1:9/webhooks/xero", SANDBOX_WEBHOOK_KEY="key")
    api = connect(app, contract)
    doc = document(api)
    with app.app_context():
        after_create = webhooks.hooks().sequence
    assert after_create == 1  # the invoice's CREATE event
    only(upload(api, doc, "moodboard.png", PNG))
    only(upload(api, doc, "moodboard.png", PNG[:10]))
    with app.app_context():
        assert webhooks.hooks().sequence == after_create
