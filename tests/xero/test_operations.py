"""The client's operations against Xero-shaped answers: what is sent, what comes back."""
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest
from responses import matchers
from sqlalchemy import select, text, update

from bridge.extensions import db
from bridge.models import XeroConnection
from bridge.xero.api.errors import XeroNotFound, XeroUnavailable, XeroValidationError
from bridge.xero.api.ratelimit import call_counts
from tests.xero.payloads import (
    API,
    CONTACT_ID,
    INVOICE_ID,
    TENANT_ID,
    envelope,
    invoice,
    new_invoice,
    organisation,
    validation_exception,
)

UTC = timezone.utc


def query(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def test_every_call_sends_the_headers_xero_needs(xero, xero_http):
    xero_http.get(f"{API}/Organisation", json=organisation())
    org = xero.get_organisation()
    headers = xero_http.calls[0].request.headers
    assert headers["Accept"] == "application/json"
    assert headers["xero-tenant-id"] == TENANT_ID
    assert headers["Authorization"] == "Bearer access-token-1-9f8e7d6c5b4a"
    assert "Content-Type" not in headers
    assert org["Name"] == "Demo Company (NZ)"
    assert org["PeriodLockDate"] == date(2018, 12, 31)
    assert org["CreatedDateUTC"] == datetime(2016, 2, 18, 20, 29, 53, tzinfo=UTC)


def test_accounts_and_tax_rates_with_where(xero, xero_http):
    xero_http.get(f"{API}/Accounts", json=envelope("Accounts", [
        {"AccountID": "7d05a53d-613d-4eb2-a2fc-dcb6adb80b80", "Code": "200", "Name": "Sales",
         "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE", "TaxType": "OUTPUT2",
         "EnablePaymentsToAccount": False, "UpdatedDateUTC": "/Date(1552326816230+0000)/"}]))
    xero_http.get(f"{API}/TaxRates", json=envelope("TaxRates", [
        {"Name": "15% GST on Income", "TaxType": "OUTPUT2", "CanApplyToRevenue": True,
         "DisplayTaxRate": 15.0, "EffectiveRate": 15.0, "Status": "ACTIVE",
         "TaxComponents": [{"Name": "GST", "Rate": 15.0, "IsCompound": False}]}]))
    accounts = xero.get_accounts(where='Class=="REVENUE" AND Status=="ACTIVE"')
    rates = xero.get_tax_rates(where='CanApplyToRevenue==true')
    assert query(xero_http.calls[0]) == {"where": 'Class=="REVENUE" AND Status=="ACTIVE"'}
    assert accounts[0]["Code"] == "200"
    assert rates[0]["EffectiveRate"] == Decimal("15.0")
    assert rates[0]["TaxComponents"][0]["Rate"] == Decimal("15")


def test_search_and_find_contacts(xero, xero_http):
    contact = {"ContactID": CONTACT_ID, "ContactStatus": "ACTIVE", "Name": "Liam Gallagher",
               "EmailAddress": "liam@rockstar.com", "UpdatedDateUTC": "/Date(1551747281053+0000)/"}
    xero_http.get(f"{API}/Contacts", json=envelope("Contacts", [contact], page=2),
                  match=[matchers.query_param_matcher({"searchTerm": "liam", "page": "2"})])
    assert xero.search_contacts("liam", page=2)[0]["Name"] == "Liam Gallagher"

    escaped = 'Name=="liam \\"the voice\\" gallagher"'
    xero_http.get(f"{API}/Contacts", json=envelope("Contacts", []),
                  match=[matchers.query_param_matcher({"where": escaped})])
    xero_http.get(f"{API}/Contacts", json=envelope("Contacts", [
        {**contact, "Name": 'Liam "The Voice" Gallagher'}], page=1),
        match=[matchers.query_param_matcher({"searchTerm": 'liam "the voice" gallagher',
                                             "page": "1"})])
    found = xero.find_contact_by_name(' liam "the voice" gallagher ')
    assert found["ContactID"] == CONTACT_ID


def test_find_contact_exact_name_in_one_call(xero, xero_http):
    xero_http.get(f"{API}/Contacts", json=envelope("Contacts", [
        {"ContactID": CONTACT_ID, "Name": "Acme Ltd"}]))
    assert xero.find_contact_by_name("Acme Ltd")["ContactID"] == CONTACT_ID
    assert len(xero_http.calls) == 1
    assert query(xero_http.calls[0]) == {"where": 'Name=="Acme Ltd"'}


def test_find_contact_none(xero, xero_http):
    xero_http.get(f"{API}/Contacts", json=envelope("Contacts", []))
    assert xero.find_contact_by_name("Nobody") is None


def test_get_and_create_contact(xero, xero_http):
    xero_http.get(f"{API}/Contacts/{CONTACT_ID}", json=envelope("Contacts", [
        {"ContactID": CONTACT_ID, "Name": "Liam Gallagher"}]))
    xero_http.put(f"{API}/Contacts", json=envelope("Contacts", [
        {"ContactID": CONTACT_ID, "Name": "Northwind Studio", "ContactStatus": "ACTIVE",
         "HasValidationErrors": False}]))
    assert xero.get_contact(CONTACT_ID)["Name"] == "Liam Gallagher"
    created = xero.create_contact({"Name": "Northwind Studio", "EmailAddress": "a@b.example",
                                   "TaxNumber": "NL001"}, idempotency_key="contact-7")
    put = xero_http.calls[1].request
    assert json.loads(put.body) == {"Contacts": [
        {"Name": "Northwind Studio", "EmailAddress": "a@b.example", "TaxNumber": "NL001"}]}
    assert put.headers["Content-Type"] == "application/json"
    assert put.headers["Idempotency-Key"] == "contact-7"
    assert created["ContactID"] == CONTACT_ID


def test_create_contact_duplicate_name(xero, xero_http):
    xero_http.put(f"{API}/Contacts", status=400, json={
        "ErrorNumber": 10, "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"Name": "Acme Ltd", "HasValidationErrors": True, "ValidationErrors": [
            {"Message": "The contact name Acme Ltd is already assigned to another contact. "
                        "The contact name must be unique across all active contacts."}]}]})
    with pytest.raises(XeroValidationError) as raised:
        xero.create_contact({"Name": "Acme Ltd"})
    assert "already assigned to another contact" in str(raised.value)


def test_get_invoices_chunks_ids_by_40_and_pages(xero, xero_http):
    ids = [str(uuid4()) for _ in range(85)]
    xero_http.get(f"{API}/Invoices", json=envelope("Invoices", [invoice()], page=1))
    found = xero.get_invoices(ids=ids + ids[:3], statuses=["AUTHORISED", "PAID"])
    sent = [query(c) for c in xero_http.calls]
    assert [len(q["IDs"].split(",")) for q in sent] == [40, 40, 5]
    assert sum((q["IDs"].split(",") for q in sent), []) == ids
    assert all(q["Statuses"] == "AUTHORISED,PAID" and q["page"] == "1" for q in sent)
    assert len(found) == 3


def test_get_invoices_follows_pages_until_a_short_one(xero, xero_http):
    first = [invoice(str(uuid4()), f"INV-{i}") for i in range(2)]
    xero_http.get(f"{API}/Invoices", json=envelope("Invoices", first, page=1, page_size=2,
                                                   item_count=3),
                  match=[matchers.query_param_matcher({"page": "1", "pageSize": "2"})])
    xero_http.get(f"{API}/Invoices", json=envelope("Invoices", [invoice()], page=2, page_size=2,
                                                   item_count=3),
                  match=[matchers.query_param_matcher({"page": "2", "pageSize": "2"})])
    modified = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    found = xero.get_invoices(modified_since=modified, page_size=2)
    assert [i["InvoiceNumber"] for i in found] == ["INV-0", "INV-1", "INV-0007"]
    assert xero_http.calls[0].request.headers["If-Modified-Since"] == "2026-03-01T09:00:00Z"


def test_get_invoices_one_page_with_where(xero, xero_http):
    xero_http.get(f"{API}/Invoices", json=envelope("Invoices", [invoice()], page=3))
    xero.get_invoices(page=3, where='Type=="ACCREC"')
    assert query(xero_http.calls[0]) == {"page": "3", "where": 'Type=="ACCREC"'}


def test_invoice_parsed_with_decimal_and_dates(xero, xero_http):
    xero_http.get(f"{API}/Invoices/{INVOICE_ID}", json=envelope("Invoices", [invoice()]))
    found = xero.get_invoice(INVOICE_ID)
    assert found["Total"] == Decimal("1725.00") and isinstance(found["Total"], Decimal)
    assert found["LineItems"][0]["UnitAmount"] == Decimal("1500")
    assert found["Date"] == date(2026, 3, 1) and found["DueDate"] == date(2026, 3, 31)
    assert found["UpdatedDateUTC"] == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_unknown_ids_are_refused_before_xero(xero, xero_http):
    with pytest.raises(ValueError, match="not a Xero id"):
        xero.get_invoice("INV-0007")
    assert len(xero_http.calls) == 0


def test_get_invoice_not_found(xero, xero_http):
    xero_http.get(f"{API}/Invoices/{INVOICE_ID}", status=404, body="The resource you're "
                  "looking for cannot be found")
    with pytest.raises(XeroNotFound):
        xero.get_invoice(INVOICE_ID)


def test_create_invoices_sends_decimal_and_days(xero, xero_http):
    xero_http.put(f"{API}/Invoices", json=envelope("Invoices", [
        invoice(StatusAttributeString="OK")]))
    created = xero.create_invoices([new_invoice()], idempotency_key="bridge-inv-8841-v1")
    request = xero_http.calls[0].request
    assert query(xero_http.calls[0]) == {"summarizeErrors": "false"}
    assert request.headers["Idempotency-Key"] == "bridge-inv-8841-v1"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body, parse_float=Decimal)
    sent = body["Invoices"][0]
    assert sent["Date"] == "2026-03-01" and sent["DueDate"] == "2026-03-31"
    assert sent["LineItems"][0]["UnitAmount"] == Decimal("1500.00")
    assert created[0]["InvoiceID"] == INVOICE_ID
    assert xero.calls[(TENANT_ID, "PUT /Invoices")] == 1


def test_validation_errors_of_a_400_body(xero, xero_http):
    xero_http.put(f"{API}/Invoices", status=400, json=validation_exception(),
                  headers={"Xero-Correlation-Id": "c0ffee00-0000-4000-8000-000000000001"})
    with pytest.raises(XeroValidationError) as raised:
        xero.create_invoices([new_invoice()], summarize_errors=True)
    error = raised.value
    assert error.messages == [
        "Account code '9999' is not a valid code for this document.",
        "The TaxType code OUTPUT9 does not exist or cannot be used for this type of transaction.",
    ]
    assert str(error) == ("Xero refused it: Account code '9999' is not a valid code for this "
                          "document. The TaxType code OUTPUT9 does not exist or cannot be used "
                          "for this type of transaction.")
    assert [e.messages for e in error.elements] == [tuple(error.messages)]
    assert error.status == 400 and error.operation == "PUT /Invoices"
    assert error.correlation_id == "c0ffee00-0000-4000-8000-000000000001"
    assert query(xero_http.calls[0]) == {"summarizeErrors": "true"}


def test_validation_errors_per_element_with_summarize_errors_false(xero, xero_http):
    refused = invoice(str(uuid4()), "AG-1043", StatusAttributeString="ERROR", HasErrors=True,
                      ValidationErrors=[{"Message": "Invoice # must be unique."}])
    refused["LineItems"][0]["ValidationErrors"] = [
        {"Message": "Account code '9999' is not a valid code for this document."}]
    accepted = invoice(StatusAttributeString="OK")
    warned = invoice(str(uuid4()), "AG-1044", StatusAttributeString="WARNING",
                     Warnings=[{"Message": "Only AUTHORISED invoices may have SentToContact"}])
    xero_http.put(f"{API}/Invoices", json=envelope("Invoices", [accepted, refused, warned]))
    with pytest.raises(XeroValidationError) as raised:
        xero.create_invoices([new_invoice(), new_invoice(), new_invoice()])
    error = raised.value
    assert [(e.position, e.messages) for e in error.elements] == [(1, (
        "Invoice # must be unique.",
        "Line 1: Account code '9999' is not a valid code for this document.",
    ))]
    assert [i["InvoiceNumber"] for i in error.succeeded] == ["INV-0007", "AG-1044"]
    assert "Invoice # must be unique." in str(error)


def test_other_400_messages_are_kept(xero, xero_http):
    xero_http.put(f"{API}/Invoices", status=400, json={
        "ErrorNumber": 10, "Type": "ValidationException",
        "Message": "Idempotency Key: bridge-1 is used with a different request."})
    with pytest.raises(XeroValidationError, match="is used with a different request"):
        xero.create_invoices([new_invoice()], idempotency_key="bridge-1")


def test_update_invoice_posts_by_id(xero, xero_http):
    xero_http.post(f"{API}/Invoices/{INVOICE_ID}", json=envelope("Invoices", [invoice()]))
    updated = xero.update_invoice(INVOICE_ID, {"InvoiceID": INVOICE_ID, "Status": "AUTHORISED",
                                               "Reference": "PO 5522"}, idempotency_key="u-1")
    request = xero_http.calls[0].request
    assert json.loads(request.body) == {"Invoices": [
        {"InvoiceID": INVOICE_ID, "Status": "AUTHORISED", "Reference": "PO 5522"}]}
    assert updated["InvoiceID"] == INVOICE_ID


def test_update_invoice_refused(xero, xero_http):
    xero_http.post(f"{API}/Invoices/{INVOICE_ID}", status=400, json={
        "ErrorNumber": 10, "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"InvoiceID": INVOICE_ID, "ValidationErrors": [
            {"Message": "This document cannot be edited as it has a payment or credit note "
                        "allocated to it."}]}]})
    with pytest.raises(XeroValidationError, match="cannot be edited"):
        xero.update_invoice(INVOICE_ID, {"Status": "AUTHORISED"})


def test_invoice_pdf_bytes(xero, xero_http):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    xero_http.get(f"{API}/Invoices/{INVOICE_ID}", body=pdf, content_type="application/pdf")
    assert xero.get_invoice_pdf(INVOICE_ID) == pdf
    request = xero_http.calls[0].request
    assert request.headers["Accept"] == "application/pdf"
    assert request.url == f"{API}/Invoices/{INVOICE_ID}"
    assert xero.calls[(TENANT_ID, "GET /Invoices/{InvoiceID} (PDF)")] == 1


def test_history_note(xero, xero_http):
    xero_http.put(f"{API}/Invoices/{INVOICE_ID}/History", json=envelope("HistoryRecords", [
        {"DateUTCString": "2026-03-01T10:00:00", "DateUTC": "/Date(1772359200000)/",
         "Details": "Copied from Bridge", "ValidationErrors": []}]))
    record = xero.add_history_note(INVOICE_ID, "Copied from Bridge", idempotency_key="note-1")
    assert json.loads(xero_http.calls[0].request.body) == {
        "HistoryRecords": [{"Details": "Copied from Bridge"}]}
    assert record["DateUTC"] == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_history_note_longer_than_250_is_cut_with_an_ellipsis(xero, xero_http):
    xero_http.put(f"{API}/Invoices/{INVOICE_ID}/History", json=envelope("HistoryRecords", [
        {"Details": "x", "ValidationErrors": []}]))
    xero.add_history_note(INVOICE_ID, "a" * 300)
    sent = json.loads(xero_http.calls[0].request.body)["HistoryRecords"][0]["Details"]
    assert len(sent) == 250 and sent == "a" * 249 + "…"


def test_history_note_unknown_invoice(xero, xero_http):
    xero_http.put(f"{API}/Invoices/{INVOICE_ID}/History", status=400, json={
        "ErrorNumber": 10, "Type": "ValidationException",
        "Message": "A validation exception occurred", "Elements": [{"ValidationErrors": [
            {"Message": "The document with the supplied id was not found for this endpoint."}]}]})
    with pytest.raises(XeroValidationError, match="not found for this endpoint"):
        xero.add_history_note(INVOICE_ID, "hello")


def payment(n: int) -> dict:
    return {"PaymentID": str(uuid4()), "Date": "/Date(1543449600000+0000)/", "BankAmount": 46.0,
            "Amount": 46.0, "Reference": f"EFT {n}", "CurrencyRate": 1.0,
            "PaymentType": "ACCRECPAYMENT", "Status": "AUTHORISED",
            "UpdatedDateUTC": "/Date(1541176592690+0000)/", "HasAccount": True,
            "IsReconciled": False, "Account": {"AccountID": str(uuid4()), "Code": "970"},
            "Invoice": {"Type": "ACCREC", "InvoiceID": INVOICE_ID, "InvoiceNumber": "INV-0002"}}


def test_get_payments_one_page(xero, xero_http):
    xero_http.get(f"{API}/Payments", json=envelope("Payments", [payment(1)], page=2))
    since = datetime(2026, 3, 1, tzinfo=UTC)
    found = xero.get_payments(modified_since=since, page=2, where='PaymentType=="ACCRECPAYMENT"')
    assert query(xero_http.calls[0]) == {"page": "2", "where": 'PaymentType=="ACCRECPAYMENT"'}
    assert xero_http.calls[0].request.headers["If-Modified-Since"] == "2026-03-01T00:00:00Z"
    assert found[0]["Amount"] == Decimal("46.0") and found[0]["Date"] == date(2018, 11, 29)


def test_iter_payments_follows_pages(xero, xero_http):
    for page, count in ((1, 100), (2, 100), (3, 7)):
        xero_http.get(f"{API}/Payments", json=envelope(
            "Payments", [payment(i) for i in range(count)], page=page, item_count=207),
            match=[matchers.query_param_matcher({"page": str(page)})])
    assert len(list(xero.iter_payments())) == 207
    assert [query(c)["page"] for c in xero_http.calls] == ["1", "2", "3"]


def test_call_counter_per_tenant_and_operation(xero, xero_http):
    xero_http.get(f"{API}/Organisation", json=organisation())
    xero_http.put(f"{API}/Invoices", json=envelope("Invoices", [invoice()]))
    xero.get_organisation()
    xero.get_organisation()
    xero.create_invoices([new_invoice()])
    assert xero.calls == {(TENANT_ID, "GET /Organisation"): 2, (TENANT_ID, "PUT /Invoices"): 1}
    assert call_counts() == {(TENANT_ID, "GET /Organisation"): 2,
                             (TENANT_ID, "PUT /Invoices"): 1}


def test_last_success_is_recorded(xero, xero_http, xero_app):
    from tests.xero.conftest import stored

    xero_http.get(f"{API}/Organisation", json=organisation())
    assert stored(xero_app)["last_success_at"] is None
    xero.get_organisation()
    assert stored(xero_app)["last_success_at"] is not None


def test_last_success_moves_with_later_calls_and_clears_the_last_error(xero, xero_http, xero_app):
    """The Xero card's "Last successful call" follows the calls people make (not once per
    five minutes), and a success right after an error clears that error."""
    import datetime as dt

    from bridge.xero.api import connection as connection_module
    from tests.xero.conftest import stored

    def last_success():
        db.session.expire_all()
        return db.session.scalar(select(XeroConnection.last_success_at))

    xero_http.get(f"{API}/Organisation", json=organisation())
    xero.get_organisation()
    first = last_success()
    db.session.execute(update(XeroConnection).values(last_success_at=first - dt.timedelta(minutes=10)))
    db.session.commit()
    assert connection_module.SUCCESS_WRITE_INTERVAL <= 60  # the card shows the minute
    for key in connection_module._LAST_SUCCESS_WRITE:  # as if the interval had passed
        connection_module._LAST_SUCCESS_WRITE[key] -= connection_module.SUCCESS_WRITE_INTERVAL
    xero.get_organisation()
    assert last_success() >= first

    xero_http.replace("GET", f"{API}/Organisation", status=503)
    with pytest.raises(XeroUnavailable):
        xero.get_organisation()
    assert stored(xero_app)["last_error"].startswith("Xero is having problems")
    xero_http.replace("GET", f"{API}/Organisation", json=organisation())
    xero.get_organisation()  # within the interval, yet the error is cleared
    assert stored(xero_app)["last_error"] is None


def test_a_success_that_could_not_be_written_is_written_at_the_next_one(xero, xero_http, xero_app):
    from sqlalchemy import create_engine

    from tests.xero.conftest import stored

    xero_http.get(f"{API}/Organisation", json=organisation())
    other = create_engine(xero_app.config["SQLALCHEMY_DATABASE_URI"])
    with other.connect() as holder:
        holder.execute(text("UPDATE xero_connections SET tenant_name = tenant_name"))
        xero.get_organisation()  # SQLite's write lock is held: not written
        holder.rollback()
    other.dispose()
    assert stored(xero_app)["last_success_at"] is None
    xero.get_organisation()
    assert stored(xero_app)["last_success_at"] is not None


def test_bookkeeping_never_stalls_or_fails_a_call(xero, xero_http, xero_app, caplog):
    """A caller holding SQLite's write lock must not make a successful call fail or hang."""
    import time

    from sqlalchemy import create_engine, text

    xero_http.get(f"{API}/Organisation", json=organisation())
    other = create_engine(xero_app.config["SQLALCHEMY_DATABASE_URI"])
    with other.connect() as holder:
        holder.execute(text("UPDATE xero_connections SET tenant_name = tenant_name"))
        started = time.monotonic()
        assert xero.get_organisation()["Name"] == "Demo Company (NZ)"
        assert time.monotonic() - started < 2
        holder.rollback()
    other.dispose()
    assert "could not update the connection's status" in caplog.text
