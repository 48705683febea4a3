"""Exactly once: a double submit, concurrent submits, a lost answer (Xero has the invoice,
Bridge never heard) and an attempt that never reached Xero all end with one Xero invoice.

The lost answer is simulated below HTTP: the request reaches the sandbox, which creates the
invoice, and the answer is then dropped as a read timeout would drop it.
"""
import threading
from datetime import timedelta
from uuid import uuid4

import pytest
import requests
from requests.adapters import HTTPAdapter

from bridge.extensions import db
from bridge.models import XeroActivity, XeroCopy, utcnow
from bridge.xero.invoices.copy import copy_invoice
from tests.copy.conftest import configure, copies, northwind, post_copy, recorded, sandbox_invoices, text


def contact_id(value: str) -> str:
    return value.split("|")[0]


def test_a_double_submit_sends_once(connected, admin, invoice, sandbox):
    contact, key = northwind(), str(uuid4())
    first = post_copy(admin, invoice, contact=contact, key=key)
    second = post_copy(admin, invoice, contact=contact, key=key)
    assert first.status_code == second.status_code == 200
    assert "Invoice copied" in text(second)
    assert len(sandbox_invoices(contact_id(contact))) == 1
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1
    assert [row.state for row in copies()] == ["done"]


def test_concurrent_submits_of_one_attempt_send_once(connected, app, invoice, sandbox, users):
    contact, key = northwind(), str(uuid4())
    start, outcomes = threading.Barrier(4), []
    # Read in this thread: the fixtures' objects belong to this thread's session.
    invoice_id, user_id = invoice.id, users["admin"].id

    def submit():
        with app.app_context():
            start.wait()
            result = copy_invoice(invoice_id, contact_id=contact_id(contact), tax_type="OUTPUT2",
                                  status=None, attempt_key=key, action="create",
                                  user_id=user_id, source_url="http://bridge.test/invoices/1")
            outcomes.append(result.outcome)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(set(outcomes)) <= ["done", "in_progress"] and "done" in outcomes
    assert len(outcomes) == 4
    assert len(sandbox_invoices(contact_id(contact))) == 1
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1


@pytest.fixture
def lose_answers(monkeypatch):
    """Drop Xero's answer to the next invoice PUT after the sandbox has handled it."""
    real_send = HTTPAdapter.send
    lost = []

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if request.method == "PUT" and "/Invoices?" in request.url and not lost:
            lost.append(request)
            raise requests.ReadTimeout("read timed out (simulated: Xero's answer was lost)")
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return lost


@pytest.mark.parametrize("numbers_by", ["bridge", "xero"])
def test_a_lost_answer_is_recovered_not_duplicated(connected, admin, invoice, sandbox, lose_answers,
                                                   numbers_by):
    configure(invoice_numbers_by=numbers_by)
    contact, key = northwind(), str(uuid4())
    first = post_copy(admin, invoice, contact=contact, key=key)
    assert first.status_code == 422
    assert "Bridge cannot tell yet whether Xero created the invoice" in text(first)
    assert f'value="{key}"' in first.get_data(as_text=True)  # Try again keeps the attempt
    assert "Try again" in text(first)
    (row,) = copies()
    assert row.state == "unknown"
    assert len(sandbox_invoices(contact_id(contact))) == 1  # Xero did create it

    seen = len(recorded(sandbox, "GET", "/Invoices"))
    retry = post_copy(admin, invoice, contact=contact, key=key)
    assert retry.status_code == 200, text(retry)
    lookups = recorded(sandbox, "GET", "/Invoices")[seen:]
    assert len(lookups) == 1  # one search in Xero
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1  # found, not sent again
    assert len(sandbox_invoices(contact_id(contact))) == 1
    (row,) = copies()
    assert row.state == "done" and row.xero_id == sandbox_invoices(contact_id(contact))[0]["InvoiceID"]
    if numbers_by == "bridge":
        assert "InvoiceNumber" in requests.utils.unquote(lookups[0]["query"])
    else:
        assert "Contact.ContactID" in requests.utils.unquote(lookups[0]["query"])
    summaries = [a.summary for a in db.session.scalars(db.select(XeroActivity).where(
        XeroActivity.operation == "recover"))]
    assert summaries == [f"Found the lost copy in Xero as {row.xero_number}."]


def test_an_attempt_xero_never_got_is_sent_again_with_the_same_key(connected, admin, invoice, sandbox):
    sandbox.control("faults", kind="503", count=4, method="PUT", path_prefix="/api.xro/2.0/Invoices")
    contact, key = northwind(), str(uuid4())
    first = post_copy(admin, invoice, contact=contact, key=key)
    assert first.status_code == 422 and "Xero is having problems at the moment" in text(first)
    assert copies()[0].state == "unknown" and sandbox_invoices(contact_id(contact)) == []

    retry = post_copy(admin, invoice, contact=contact, key=key)
    assert retry.status_code == 200, text(retry)
    assert len(sandbox_invoices(contact_id(contact))) == 1
    puts = recorded(sandbox, "PUT", "/Invoices")
    assert [p["status"] for p in puts] == [503, 503, 503, 503, 200]
    assert {p["idempotency_key"] for p in puts} == {key}


def test_an_attempt_in_flight_is_not_sent_twice(connected, admin, invoice, sandbox):
    """A pending row (another request is sending it) is answered "still in progress"; once its
    lease is over (that process died), the next try looks in Xero and then sends it."""
    contact, key = northwind(), str(uuid4())
    post_copy(admin, invoice, contact=contact, key=key, hx=True)  # the real one, done
    row = copies()[0]
    # A second attempt, as a process that crashed right after committing it would leave it.
    other = str(uuid4())
    db.session.add(XeroCopy(invoice_id=invoice.id, tenant_id=row.tenant_id, attempt_key=other,
                            action="create", state="pending", xero_contact_id=row.xero_contact_id,
                            payload=row.payload.replace(key, other).replace(
                                f'"InvoiceNumber":"{invoice.number}"', '"InvoiceNumber":"2026-0099"'),
                            attempted_at=utcnow()))
    db.session.commit()
    busy = post_copy(admin, invoice, contact=contact, key=other)
    assert busy.status_code == 202 and "Still sending to Xero" in text(busy)
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1

    db.session.execute(db.update(XeroCopy).where(XeroCopy.attempt_key == other)
                       .values(attempted_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    recovered = post_copy(admin, invoice, contact=contact, key=other)
    assert recovered.status_code == 200, text(recovered)
    assert [r["status"] for r in recorded(sandbox, "PUT", "/Invoices")] == [200, 200]
    assert sorted(i["InvoiceNumber"] for i in sandbox_invoices(contact_id(contact))) == [
        invoice.number, "2026-0099"]


def test_check_again_from_the_invoice_page(connected, admin, invoice, sandbox, lose_answers, hx):
    contact, key = northwind(), str(uuid4())
    post_copy(admin, invoice, contact=contact, key=key)
    state = admin.get(f"/invoices/{invoice.id}/xero/state", headers=hx).get_data(as_text=True)
    assert "Bridge cannot tell yet" in state and f'value="{key}"' in state and "Try again" in state
    answer = admin.post(f"/invoices/{invoice.id}/xero/copy/resume", data={"attempt_key": key}, headers=hx)
    assert answer.status_code == 200 and "Invoice copied" in text(answer)
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1
    assert admin.post(f"/invoices/{invoice.id}/xero/copy/resume", data={"attempt_key": str(uuid4())},
                      headers=hx).status_code == 404


def test_a_real_timeout_then_a_retry_sends_once(connected, admin, app, invoice, sandbox):
    """Xero (the sandbox's timeout fault) answers after Bridge stopped waiting, every time."""
    app.config["XERO_TIMEOUT"] = 0.3
    sandbox.control("faults", kind="timeout", seconds=0.6, count=4, method="PUT",
                    path_prefix="/api.xro/2.0/Invoices")
    contact, key = northwind(), str(uuid4())
    first = post_copy(admin, invoice, contact=contact, key=key)
    assert first.status_code == 422
    assert "Xero did not answer within 0.3 seconds (Bridge tried 4 times)" in text(first)
    assert copies()[0].state == "unknown"
    app.config["XERO_TIMEOUT"] = 20
    retry = post_copy(admin, invoice, contact=contact, key=key)
    assert retry.status_code == 200, text(retry)
    assert len(sandbox_invoices(contact_id(contact))) == 1
