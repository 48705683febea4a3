"""Bills in a currency the Xero organisation has not enabled are refused per expense before
any Xero call (not even the supplier's contact look-up), alone or in a batch; the others of
the batch are sent. Against the sandbox over real HTTP (Demo Company (NZ): NZD, USD, AUD, EUR, GBP)."""
import re
from uuid import uuid4

from bridge.xero.api.ratelimit import call_counts, reset_call_counts
from bridge.xero.bills import batch as bill_batch
from tests.bills.conftest import bill_rows, make_expense, post_send, recorded, sandbox_bills, text
from tests.copy.conftest import forget_currencies

NOT_ENABLED = "The Xero organisation has not enabled JPY"
HOW = "Enable it in Xero (Settings > Currencies), then use Refresh from Xero"


def test_one_expense_is_refused_before_any_call(connected, admin, workspace, sandbox):
    yen = make_expense(workspace, currency="JPY")
    reset_call_counts()
    response = post_send(admin, yen)
    assert response.status_code == 422
    assert NOT_ENABLED in text(response) and HOW in text(response)
    assert call_counts() == {}
    assert bill_rows() == [] and recorded(sandbox, "PUT", "/Invoices") == []


def test_in_a_batch_it_is_refused_and_the_others_are_sent(connected, workspace, sandbox):
    yen = make_expense(workspace, currency="JPY", reference="JP-1", description="Paper from Osaka")
    kiwi = make_expense(workspace, reference="PI-1")
    sent = bill_batch.send_batch([(yen.id, str(uuid4())), (kiwi.id, str(uuid4()))], user_id=None,
                                 url_for_expense=lambda i: f"http://bridge.test/expenses/{i}")
    answers = {item.expense_id: item.result for item in sent}
    assert answers[yen.id].outcome == "refused" and NOT_ENABLED in answers[yen.id].refusal.message
    assert answers[kiwi.id].ok
    assert [b["InvoiceNumber"] for b in sandbox_bills()] == ["PI-1"]
    assert [row.expense_id for row in bill_rows()] == [kiwi.id]
    (put,) = recorded(sandbox, "PUT", "/Invoices")
    assert "JPY" not in str(put)


def test_a_batch_of_refused_expenses_makes_no_call(connected, workspace):
    yen = make_expense(workspace, currency="JPY")
    reset_call_counts()
    (item,) = bill_batch.send_batch([(yen.id, str(uuid4()))], user_id=None,
                                    url_for_expense=lambda i: f"http://bridge.test/expenses/{i}")
    assert not item.result.ok and call_counts() == {}


def test_currencies_never_read_leave_it_to_xero(connected, admin, workspace):
    forget_currencies()
    response = post_send(admin, make_expense(workspace, currency="JPY"))
    assert "Organisation is not subscribed to currency JPY" in text(response)
    assert not re.search("has not enabled", text(response))
