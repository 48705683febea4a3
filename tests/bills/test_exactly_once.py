"""Exactly once for bills: a double submit, concurrent submits, a lost answer (Xero has the
bill, Bridge never heard) for one expense and for a batch, and an attempt Xero never got,
all end with one Xero bill per expense."""
import threading
from uuid import uuid4

import requests

from bridge.extensions import db
from bridge.models import XeroActivity
from bridge.xero.sending import contacts
from bridge.xero.bills.send import send_expense
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.bills.conftest import bill_rows, make_expense, post_send, recorded, sandbox_bills, text
from tests.copy.test_exactly_once import lose_answers  # noqa: F401  (fixture)


def test_a_double_submit_sends_once(connected, admin, expense, sandbox):
    key = str(uuid4())
    first, second = post_send(admin, expense, key=key), post_send(admin, expense, key=key)
    assert first.status_code == second.status_code == 200
    assert "Sent to Xero" in text(second)
    assert len(sandbox_bills()) == 1 and len(recorded(sandbox, "PUT", "/Invoices")) == 1
    assert [row.state for row in bill_rows()] == ["done"]


def test_concurrent_submits_of_one_attempt_send_once(connected, app, expense, sandbox, users):
    # The supplier's contact is linked first, as after its first bill: the race is the bill's.
    assert contacts.for_company(NZ_TENANT, expense.supplier_id, attempt_key=str(uuid4()), user_id=None).contact
    key, start, outcomes = str(uuid4()), threading.Barrier(4), []
    expense_id, user_id = expense.id, users["admin"].id

    def submit():
        with app.app_context():
            start.wait()
            result = send_expense(expense_id, attempt_key=key, action="create", user_id=user_id,
                                  source_url="http://bridge.test/expenses/1")
            outcomes.append(result.outcome)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 4 and "done" in outcomes
    assert set(outcomes) <= {"done", "in_progress"}
    assert len(sandbox_bills()) == 1 and len(recorded(sandbox, "PUT", "/Invoices")) == 1


def test_a_lost_answer_is_recovered_not_duplicated(connected, admin, expense, sandbox, lose_answers):
    key = str(uuid4())
    first = post_send(admin, expense, key=key)
    assert first.status_code == 422
    assert "Bridge cannot tell yet whether Xero created the bill" in text(first)
    assert "Try again" in text(first)
    assert [row.state for row in bill_rows()] == ["unknown"] and len(sandbox_bills()) == 1

    seen = len(recorded(sandbox, "GET", "/Invoices"))
    retry = admin.post(f"/expenses/{expense.id}/xero/resume", data={"attempt_key": key},
                       headers={"HX-Request": "true"})
    assert retry.status_code == 200, text(retry)
    lookups = recorded(sandbox, "GET", "/Invoices")[seen:]
    assert len(lookups) == 1 and 'Type=="ACCPAY"' in requests.utils.unquote(lookups[0]["query"])
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1 and len(sandbox_bills()) == 1
    (row,) = bill_rows()
    assert row.state == "done" and row.xero_id == sandbox_bills()[0]["InvoiceID"]
    summaries = [a.summary for a in db.session.scalars(db.select(XeroActivity).where(
        XeroActivity.operation == "recover"))]
    assert summaries == ["Found the lost copy in Xero as PI-1001."]


def test_a_lost_batch_answer_is_recovered_per_expense(connected, admin, workspace, sandbox, lose_answers):
    expenses = [make_expense(workspace, reference=f"PI-{n}") for n in range(3)]
    started = admin.post(f"/budgets/{workspace['budget'].id}/xero",
                         data={"expense_ids": [e.id for e in expenses]}, headers={"HX-Request": "true"})
    items = _items(started)
    batch = admin.post(f"/budgets/{workspace['budget'].id}/xero/batch",
                       data={**items, "total": 3}, headers={"HX-Request": "true"})
    assert batch.status_code == 200 and text(batch).count("No answer") == 3
    assert [row.state for row in bill_rows()] == ["unknown"] * 3 and len(sandbox_bills()) == 3
    # The same batch again (a retry): each expense is looked for in Xero, none is sent twice.
    again = admin.post(f"/budgets/{workspace['budget'].id}/xero/batch",
                       data={**items, "total": 3}, headers={"HX-Request": "true"})
    assert text(again).count("Sent") >= 3, text(again)
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1 and len(sandbox_bills()) == 3
    assert [row.state for row in bill_rows()] == ["done"] * 3


def test_an_attempt_xero_never_got_is_sent_again_with_the_same_key(connected, admin, expense, sandbox):
    post_send(admin, expense)  # a first bill, which links the supplier
    sandbox.control("faults", kind="503", count=4, method="PUT", path_prefix="/api.xro/2.0/Invoices")
    key = str(uuid4())
    first = post_send(admin, expense, key=key)
    assert first.status_code == 422 and "Xero is having problems at the moment" in text(first)
    assert bill_rows()[-1].state == "unknown" and len(sandbox_bills()) == 1
    retry = post_send(admin, expense, key=key)
    assert retry.status_code == 200, text(retry)
    assert len(sandbox_bills()) == 2
    puts = recorded(sandbox, "PUT", "/Invoices")[1:]
    assert [p["status"] for p in puts] == [503, 503, 503, 503, 200]
    assert {p["idempotency_key"] for p in puts} == {key}


def _items(response) -> dict:
    """The hidden "items-N" inputs of the next batch's form."""
    import re

    page = response.get_data(as_text=True)
    return dict(re.findall(r'name="(items-\d+)" value="([^"]+)"', page))
