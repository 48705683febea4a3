"""The client's attachment calls against Xero-shaped answers (the spec's examples, Xero-Java#142
for a refusal): what is sent (raw bytes as application/octet-stream, the file name in the path,
IncludeOnline, Idempotency-Key) and what comes back."""
import pytest
from responses import matchers

from bridge.xero.api.errors import XeroValidationError
from tests.xero.payloads import API, INVOICE_ID

PDF = b"%PDF-1.4\nsome bytes"
ATTACHMENT = {"AttachmentID": "5a500c1a-5a02-48de-939e-1d234fd170d4", "FileName": "time sheet (March).pdf",
              "Url": f"https://api.xero.com/api.xro/2.0/Invoices/{INVOICE_ID}/Attachments/time%20sheet%20%28March%29.pdf",
              "MimeType": "application/pdf", "ContentLength": len(PDF), "IncludeOnline": True}
UPLOAD = f"{API}/Invoices/{INVOICE_ID}/Attachments/time%20sheet%20%28March%29.pdf"


def envelope(items: list) -> dict:
    return {"Id": "971fbd18-c850-453a-825f-63f2fee096ee", "Status": "OK", "ProviderName": "Bridge",
            "DateTimeUTC": "/Date(1552330001318)/", "Attachments": items}


def test_an_upload_sends_the_bytes_with_its_key_and_online_choice(xero, xero_http):
    xero_http.put(UPLOAD, json=envelope([ATTACHMENT]),
                  match=[matchers.query_param_matcher({"IncludeOnline": "true"})])
    answer = xero.upload_attachment(INVOICE_ID, "time sheet (March).pdf", PDF, include_online=True,
                                    idempotency_key="key-1")
    request = xero_http.calls[0].request
    assert request.body == PDF
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Idempotency-Key"] == "key-1"
    assert answer["AttachmentID"] == ATTACHMENT["AttachmentID"] and answer["ContentLength"] == len(PDF)


def test_an_upload_not_shown_online_sends_no_include_online(xero, xero_http):
    xero_http.put(UPLOAD, json=envelope([{**ATTACHMENT, "IncludeOnline": False}]),
                  match=[matchers.query_param_matcher({})])
    xero.upload_attachment(INVOICE_ID, "time sheet (March).pdf", PDF)
    assert "IncludeOnline" not in xero_http.calls[0].request.url


def test_a_refused_upload_raises_with_xeros_words(xero, xero_http):
    xero_http.put(f"{API}/Invoices/{INVOICE_ID}/Attachments/notes", status=400, json={
        "ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
        "Elements": [{"AttachmentID": "00000000-0000-0000-0000-000000000000", "FileName": "notes",
                      "MimeType": "application/octet-stream", "ContentLength": 4,
                      "ValidationErrors": [{"Message": "The file couldn't be uploaded because it isn't a "
                                                       "supported file type."}]}]})
    with pytest.raises(XeroValidationError) as refused:
        xero.upload_attachment(INVOICE_ID, "notes", b"text")
    assert "isn't a supported file type" in str(refused.value)
    assert refused.value.status == 400


def test_the_attachments_of_a_document_are_listed(xero, xero_http):
    xero_http.get(f"{API}/Invoices/{INVOICE_ID}/Attachments", json=envelope([ATTACHMENT]))
    assert [a["FileName"] for a in xero.get_attachments(INVOICE_ID)] == ["time sheet (March).pdf"]


def test_a_document_id_that_is_not_a_guid_is_refused_before_any_call(xero, xero_http):
    with pytest.raises(ValueError):
        xero.upload_attachment("../Contacts", "a.pdf", PDF)
    assert len(xero_http.calls) == 0
