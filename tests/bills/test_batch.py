"""Send a selection of a budget's expenses: what each lacks is shown before anything is sent,
the others go in batches of at most 50 per PUT /Invoices, and each expense says what happened
(its bill, or Xero's messages naming it)."""
import re

import responses
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroActivity
from bridge.xero.bills import batch as bill_batch
from tests.bills.conftest import bill_rows, configure, make_expense, recorded, sandbox_bills, text
from tests.copy.conftest import forget_currencies

HX = {"HX-Request": "true"}


def start(http, budget_id: int, expense_ids: list[int]):
    return http.post(f"/budgets/{budget_id}/xero", data={"expense_ids": expense_ids}, headers=HX)


def items(response) -> dict:
    """The hidden "items-N" inputs of the next batch's form, and its counts (none when the
    selection is finished)."""
    page = response.get_data(as_text=True)
    found = dict(re.findall(r'name="(items-\d+)" value="([^"]+)"', page))
    if not found:
        return {}
    counts = re.findall(r'name="(total|already|unsure|lacking|sent|refused)" type="hidden" value="(\d+)"', page)
    return {**found, **dict(counts)}


def run(http, budget_id: int, response) -> list:
    """Follow the self-sending batches to the end, as the page does; every batch answer."""
    answers = []
    while items(response):
        response = http.post(f"/budgets/{budget_id}/xero/batch", data=items(response), headers=HX)
        assert response.status_code == 200, text(response)
        answers.append(response)
    return answers


def test_the_budget_page_offers_send_to_xero(connected, admin, workspace):
    sent, missing = make_expense(workspace), make_expense(workspace, due_date=None, description="Stamps")
    page = admin.get(f"/budgets/{workspace['budget'].id}")
    words = text(page)
    assert "Send selected to Xero" in words and "Missing: due date" in words
    assert f'name="expense_ids" value="{sent.id}"' in page.get_data(as_text=True)
    assert f'form="bill-one" name="expense_ids" value="{sent.id}"' in page.get_data(as_text=True)


def test_five_with_one_invalid_four_sent_one_error_naming_it(connected, admin, workspace, sandbox):
    forget_currencies()  # Bridge does not know Xero's currencies: Xero refuses the JPY bill in the batch
    expenses = [make_expense(workspace, reference=f"PI-{n}", description=f"Print run {n}") for n in range(4)]
    expenses.insert(2, make_expense(workspace, reference="JP-1", description="Paper from Osaka", currency="JPY"))
    budget_id = workspace["budget"].id
    started = start(admin, budget_id, [e.id for e in expenses])
    assert started.status_code == 200 and "0 of 5 done" in text(started)
    assert text(started).count("Waiting") == 5
    (answer,) = run(admin, budget_id, started)
    words = text(answer)
    assert words.count("— bill ") == 4
    assert "5 of 5 done: finished. 4 sent as bills, 1 refused by Xero or not answered (see below)." in words
    refused = re.search(r'<li id="bulk-item-%d".*?</li>' % expenses[2].id, answer.get_data(as_text=True), re.S).group(0)
    assert "Paper from Osaka" in refused and "Organisation is not subscribed to currency JPY" in refused
    assert 'hx-swap-oob="true"' in refused
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1  # one batch
    assert sorted(b["InvoiceNumber"] for b in sandbox_bills()) == ["PI-0", "PI-1", "PI-2", "PI-3"]
    assert sorted(r.state for r in bill_rows()) == ["done"] * 4 + ["failed"]
    outcomes = [(a.operation, a.outcome) for a in db.session.scalars(select(XeroActivity).where(
        XeroActivity.operation == "bill"))]
    assert sorted(outcomes) == [("bill", "error")] + [("bill", "ok")] * 4


def test_missing_fields_are_shown_and_those_expenses_not_sent(connected, admin, workspace, sandbox):
    configure(expense_accounts={}, default_expense_account_code="429")
    good = make_expense(workspace)
    lacking = make_expense(workspace, supplier_id=None, description="Taxi")
    started = start(admin, workspace["budget"].id, [good.id, lacking.id])
    taxi = re.search(r'<li id="bulk-item-%d".*?</li>' % lacking.id, started.get_data(as_text=True), re.S).group(0)
    assert "Not sent" in taxi and "No supplier" in taxi and f"/expenses/{lacking.id}/edit#supplier_id" in taxi
    # The progress counts what was ticked, and says what was skipped and why.
    assert "1 of 2 done… 1 skipped: 1 missing what a bill needs." in text(started)
    (answer,) = run(admin, workspace["budget"].id, started)
    assert "2 of 2 done: finished. 1 sent as bill. 1 skipped: 1 missing what a bill needs." in text(answer)
    assert len(sandbox_bills()) == 1 and [r.expense_id for r in bill_rows()] == [good.id]


def test_batches_hold_at_most_fifty_and_contacts_are_looked_up_once(connected, admin, workspace, sandbox, monkeypatch):
    monkeypatch.setattr(bill_batch, "BATCH_SIZE", 3)
    expenses = [make_expense(workspace, reference=f"PI-{n}") for n in range(7)]
    started = start(admin, workspace["budget"].id, [e.id for e in expenses])
    answers = run(admin, workspace["budget"].id, started)
    assert [text(a).count("— bill ") for a in answers] == [3, 3, 1]
    assert "3 of 7 done…" in text(answers[0]) and "7 of 7 done: finished." in text(answers[-1])
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 3 and len(sandbox_bills()) == 7
    assert len(recorded(sandbox, "PUT", "/Contacts")) == 1  # one supplier, created once


def test_a_batch_repeated_sends_nothing_twice(connected, admin, workspace, sandbox):
    expenses = [make_expense(workspace, reference=f"PI-{n}") for n in range(2)]
    started = start(admin, workspace["budget"].id, [e.id for e in expenses])
    run(admin, workspace["budget"].id, started)
    again = admin.post(f"/budgets/{workspace['budget'].id}/xero/batch", data=items(started), headers=HX)
    assert text(again).count("— bill ") == 2
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1 and len(sandbox_bills()) == 2


def test_nothing_ticked_says_so(connected, admin, workspace):
    response = start(admin, workspace["budget"].id, [])
    assert response.status_code == 422 and "Tick the expenses to send to Xero." in text(response)


def test_sent_expenses_show_their_bill_on_the_budget_page(connected, admin, workspace):
    expense = make_expense(workspace)
    run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [expense.id]))
    assert "PI-1001 Awaiting Payment" in text(admin.get(f"/budgets/{workspace['budget'].id}"))


def test_expenses_sent_before_are_not_sent_again(connected, admin, workspace, sandbox):
    first = make_expense(workspace, reference="PI-A")
    run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [first.id]))
    second = make_expense(workspace, reference="PI-B")
    started = start(admin, workspace["budget"].id, [first.id, second.id])
    assert "sent before as bill PI-A; not sent again" in text(started)
    assert "1 of 2 done… 1 skipped: 1 already in Xero." in text(started)
    (answer,) = run(admin, workspace["budget"].id, started)
    assert "2 of 2 done: finished. 1 sent as bill. 1 skipped: 1 already in Xero." in text(answer)
    assert sorted(b["InvoiceNumber"] for b in sandbox_bills()) == ["PI-A", "PI-B"]


def test_a_batch_refused_as_a_whole_refuses_every_bill(connected, admin, workspace, app):
    """A 400 (the whole request refused) lists only the failing bills: none was saved, so every
    expense of the batch is refused with Xero's messages and no row is left pending."""
    expenses = [make_expense(workspace, reference=f"PI-{n}") for n in range(3)]
    started = start(admin, workspace["budget"].id, [e.id for e in expenses])
    api = app.config["XERO_API_URL"]
    refused = {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
               "Elements": [{"ValidationErrors": [{"Message": "Account code '310' has been archived."}]}]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(re.compile(r"^(?!" + re.escape(api) + r"/Invoices).*"))
        mock.add(responses.PUT, re.compile(re.escape(api) + r"/Invoices.*"), json=refused, status=400)
        (answer,) = run(admin, workspace["budget"].id, started)
    assert text(answer).count("Account code '310' has been archived.") == 3
    assert sorted(row.state for row in bill_rows()) == ["failed"] * 3
