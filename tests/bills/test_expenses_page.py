"""Send to Xero from the Expenses page (/expenses), against the sandbox: the ticked expenses of
any budget go through the same endpoints as a budget's page (bill_views.bills_start and
bills_batch, without a budget), expenses already in Xero (or whose earlier send has not settled)
are skipped and the progress says so, and the Xero column shows each bill's number and status
as the ledger holds them (Xero's answers and the payment sync)."""
import re
from decimal import Decimal

from flask import url_for

from bridge.extensions import db
from bridge.models import Budget, XeroCopy
from bridge.xero.api.client import XeroClient
from bridge.xero.sync.payments import sync_organisation
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.bills.conftest import configure, make_expense, recorded, sandbox_bills, text
from tests.bills.test_batch import items

HX = {"HX-Request": "true"}


def second_budget() -> Budget:
    budget = Budget(name="Trade fair", currency="NZD")
    db.session.add(budget)
    db.session.commit()
    return budget


def row(page: str, expense_id: int) -> str:
    return re.search(r'<tr id="expense-row-%d">.*?</tr>' % expense_id, page, re.S).group(0)


def xero_cell(response, expense_id: int) -> str:
    cell = re.search(r'<span id="bill-cell-%d".*?</span>\s*</td>' % expense_id,
                     response.get_data(as_text=True), re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()


def send_from_the_page(http, expense_ids: list[int]) -> list:
    """Post the ticked boxes where the page's form posts, then follow the batches as the page does."""
    page = http.get("/expenses").get_data(as_text=True)
    action = re.search(r'<form id="bills-selection" method="post" action="([^"]+)"', page).group(1)
    started = http.post(action, data={"expense_ids": expense_ids}, headers=HX)
    assert started.status_code == 200, text(started)
    answers = [started]
    while items(answers[-1]):
        batch_url = re.search(r'<form class="bulk-next" method="post" action="([^"]+)"',
                              answers[-1].get_data(as_text=True)).group(1)
        answers.append(http.post(batch_url, data=items(answers[-1]), headers=HX))
        assert answers[-1].status_code == 200, text(answers[-1])
    return answers


def test_the_page_posts_the_ticked_expenses_to_the_budget_pages_endpoint(connected, admin, workspace, app):
    first = make_expense(workspace, reference="PI-1")
    other = make_expense(workspace, budget_id=second_budget().id, reference="TF-1")
    page = admin.get("/expenses").get_data(as_text=True)
    with app.test_request_context():
        start_url, budget_url = url_for("invoicing.bills_start"), url_for("invoicing.bills_start", budget_id=1)
    # One view, two addresses: the budget page's (its expenses only) and the Expenses page's.
    assert (start_url, budget_url) == ("/expenses/xero", "/budgets/1/xero")
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules(endpoint="invoicing.bills_start")}
    assert rules == {"/expenses/xero": "invoicing.bills_start", "/budgets/<int:budget_id>/xero": "invoicing.bills_start"}
    assert f'<form id="bills-selection" method="post" action="{start_url}" hx-post="{start_url}"' in page
    for expense in (first, other):
        assert (f'<input type="checkbox" form="bills-selection" name="expense_ids" value="{expense.id}"'
                in row(page, expense.id))
        assert f'form="bill-one" name="expense_ids" value="{expense.id}"' in row(page, expense.id)
    assert "Send selected to Xero" in page and 'data-select-form="bills-selection"' in page


def test_ticked_expenses_of_two_budgets_become_bills_and_show_in_the_xero_column(connected, admin, workspace, sandbox):
    first = make_expense(workspace, reference="PI-1", description="Flyers")
    other = make_expense(workspace, budget_id=second_budget().id, reference="TF-1", description="Stand")
    untouched = make_expense(workspace, reference="PI-2", description="Posters")
    started, answer = send_from_the_page(admin, [first.id, other.id])
    assert "0 of 2 done…" in text(started) and text(started).count("Waiting") == 2
    assert "2 of 2 done: finished. 2 sent as bills." in text(answer)
    # The cells of the page follow without a reload (out of band), with the bill's number and status.
    assert re.search(r'<span id="bill-cell-%d" hx-swap-oob="true">' % first.id, answer.get_data(as_text=True))
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1
    assert sorted(b["InvoiceNumber"] for b in sandbox_bills()) == ["PI-1", "TF-1"]
    page = admin.get("/expenses")
    assert xero_cell(page, first.id) == "PI-1 Awaiting Payment"
    assert xero_cell(page, other.id) == "TF-1 Awaiting Payment"
    assert xero_cell(page, untouched.id) == "Send to Xero"
    assert {r.expense_id for r in db.session.scalars(db.select(XeroCopy))} == {first.id, other.id}


def test_the_xero_column_follows_the_ledger(connected, admin, workspace, sandbox):
    """A bill paid and renumbered in Xero: after the payment sync the column shows Xero's number
    and status (the ledger), and the filters see it."""
    configure(sync_payments=True)
    expense = make_expense(workspace, reference="PI-7")
    send_from_the_page(admin, [expense.id])
    (bill,) = sandbox_bills()
    with XeroClient(NZ_TENANT) as client:
        current = client.get_invoice(bill["InvoiceID"])
        client.update_invoice(bill["InvoiceID"], {"Status": current["Status"], "InvoiceNumber": "PI-7-R"})
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=bill["InvoiceID"], amount="230.00")
    sync_organisation(NZ_TENANT, trigger="test")
    page = admin.get("/expenses")
    assert xero_cell(page, expense.id) == "PI-7-R Paid"
    assert 'badge-xero-paid' in row(page.get_data(as_text=True), expense.id)
    paid = admin.get("/expenses?payment=paid&xero=sent")
    assert "PI-7-R" in text(paid) and paid.status_code == 200


def test_what_was_skipped_is_counted_and_said(connected, admin, workspace, sandbox):
    configure(expense_accounts={}, default_expense_account_code="429")
    before = make_expense(workspace, reference="PI-A", description="Sent before")
    send_from_the_page(admin, [before.id])
    lost = make_expense(workspace, reference="PI-L", description="Answer lost")
    db.session.add(XeroCopy(expense_id=lost.id, tenant_id=NZ_TENANT, attempt_key="0b3a1c52-2c35-4e7a-9d64-0c3f9e1b2a11",
                            action="create", state="unknown", error="Xero did not answer."))
    db.session.commit()
    lacking = make_expense(workspace, reference="PI-X", description="No supplier", supplier_id=None)
    fresh = make_expense(workspace, reference="PI-B", description="Fresh", amount=Decimal("80.00"))
    started, answer = send_from_the_page(admin, [before.id, lost.id, lacking.id, fresh.id])
    words = text(started)
    assert ("3 of 4 done… 3 skipped: 1 already in Xero, 1 still waiting for Xero's answer to an earlier send, "
            "1 missing what a bill needs.") in words
    assert "sent before as bill PI-A; not sent again" in words
    assert "an earlier send is without Xero's answer, so its bill may be in Xero; not sent again" in words
    assert "No supplier" in words
    assert ("4 of 4 done: finished. 1 sent as bill. 3 skipped: 1 already in Xero, 1 still waiting for Xero's "
            "answer to an earlier send, 1 missing what a bill needs.") in text(answer)
    assert sorted(b["InvoiceNumber"] for b in sandbox_bills()) == ["PI-A", "PI-B"]


def test_only_existing_expenses_are_sent_and_nothing_ticked_says_so(connected, admin, workspace, sandbox):
    response = admin.post("/expenses/xero", data={}, headers=HX)
    assert response.status_code == 422 and "Tick the expenses to send to Xero." in text(response)
    bad = admin.post("/expenses/xero", data={"expense_ids": ["abc"]}, headers=HX)
    assert bad.status_code == 422 and len(sandbox_bills()) == 0


def test_with_export_off_the_page_offers_no_sending(connected, admin, workspace):
    configure(export_expenses=False)
    make_expense(workspace)
    page = admin.get("/expenses").get_data(as_text=True)
    assert "Send selected to Xero" not in page and 'id="bills-selection"' not in page
    assert admin.post("/expenses/xero", data={"expense_ids": ["1"]}, headers=HX).status_code == 409
