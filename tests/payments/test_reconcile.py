"""Reconcile on demand against the sandbox over real HTTP: documents copied to Xero, changed
there (voided, paid on an earlier copy, paid before the sync was on) or in Bridge, then synced;
the list says why each differs and what resolves it, the page shows it to admins only, and
`flask xero reconcile` exits non-zero only when a difference has no known reason."""
import datetime as dt
from decimal import Decimal

import requests

from bridge.extensions import db
from bridge.xero.sync import reconcile
from tests.payments.conftest import done_copy, sale, turn_sync_on


def items() -> dict:
    db.session.expire_all()
    return {(item.kind, item.document_id): item for item in reconcile.differences()}


def void_in_xero(org, xero_doc) -> None:
    """Void the document in the sandbox's own UI, as a person would in Xero."""
    answer = requests.post(f"{org.sandbox.url}/_ui/{org.tenant_id}/invoices/{xero_doc['InvoiceID']}/void",
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text


def second_copy(org, invoice, amount="100.00") -> dict:
    """Create new kept the earlier copy live: a second Xero invoice for the same Bridge invoice."""
    xero_doc = org.client.create_invoices([sale(org.contact(), amount)])[0]
    done_copy(xero_doc, org.tenant_id, invoice_id=invoice.id)
    return xero_doc


def test_copies_that_agree_are_not_listed(org, admin, runner):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    org.sync()
    assert items() == {}
    page = admin.get("/settings/marketplace/xero/reconcile")
    assert page.status_code == 200
    assert "Bridge and Xero agree on every copied document." in page.get_data(as_text=True)
    result = runner.invoke(args=["xero", "reconcile"])
    assert (result.exit_code, result.output.strip()) == (0, "Bridge and Xero agree on every copied document.")


def test_a_copy_voided_in_xero_is_not_owed_any_more(org):
    invoice, xero_doc = org.invoice("100.00")
    void_in_xero(org, xero_doc)
    org.sync()
    item = items()[("invoice", invoice.id)]
    (reason,) = item.reasons
    assert reason.words.startswith("Voided in Xero on ") and "the client owes nothing on it any more" in reason.words
    assert reason.action == reconcile.CREATE and item.explained
    assert (item.bridge.total, item.bridge.due, item.xero.total, item.xero.status) == (
        Decimal("100.00"), Decimal("0"), None, "Voided")


def test_a_payment_on_an_earlier_copy_and_two_live_copies(org):
    invoice, first = org.invoice("100.00")
    second = second_copy(org, invoice)
    org.pay(first, "40.00")
    org.sync()
    item = items()[("invoice", invoice.id)]
    words = [reason.words for reason in item.reasons]
    assert words == [
        f"2 copies are live in Xero ({first['InvoiceNumber']}, {second['InvoiceNumber']}): the client may be billed twice",
        f"Payment of NZ$40.00 on an earlier copy ({first['InvoiceNumber']}, Awaiting Payment), "
        f"not on the newest ({second['InvoiceNumber']})"]
    assert [reason.action for reason in item.reasons] == [reconcile.VOID, reconcile.VOID_NEWER]
    assert item.reasons[1].xero_id == second["InvoiceID"].lower()
    assert item.explained and item.live_copies == 2
    assert (item.bridge.paid, item.bridge.due) == (Decimal("40.00"), Decimal("60.00"))
    assert (item.xero.paid, item.xero.due) == (Decimal("40.00"), Decimal("160.00"))


def test_payments_xero_has_but_bridge_did_not_bring_are_paid_amounts_that_differ(org, runner):
    turn_sync_on(org.tenant_id, on=False)
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "30.00", "before the sync was on")
    turn_sync_on(org.tenant_id)
    org.pay(xero_doc, "20.00", "after")
    org.sync()
    item = items()[("invoice", invoice.id)]
    (reason,) = item.reasons
    assert reason.words.startswith(f"Paid amounts differ on {xero_doc['InvoiceNumber']}: Xero says NZ$50.00, "
                                   "Bridge has NZ$20.00 from Xero")
    assert reason.action == reconcile.SYNC and item.explained
    result = runner.invoke(args=["xero", "reconcile"])
    assert result.exit_code == 0
    assert f"Invoice {invoice.number}: Paid amounts differ" in result.output and "→ Sync now" in result.output


def test_a_payment_recorded_in_bridge_only_is_explained(org, admin):
    invoice, xero_doc = org.invoice("100.00")
    answer = admin.post(f"/invoices/{invoice.id}/payments",
                        data={"amount": "20.00", "date": "2026-03-10", "reference": "Cash"})
    assert answer.status_code == 302
    org.pay(xero_doc, "30.00")
    org.sync()
    item = items()[("invoice", invoice.id)]
    (reason,) = item.reasons
    assert (reason.words, reason.action) == ("NZ$20.00 recorded in Bridge only (not in Xero)", reconcile.RECORD)
    assert (item.bridge.paid, item.xero.paid, item.bridge.due, item.xero.due) == (
        Decimal("50.00"), Decimal("30.00"), Decimal("50.00"), Decimal("70.00"))
    assert item.explained


def test_an_expense_changed_after_its_bill_was_sent_is_unexplained(org, admin, runner):
    expense, bill = org.expense("480.00")
    org.sync()
    answer = admin.post(f"/expenses/{expense.id}/edit", data={
        "description": "Flyers", "quantity": "1", "amount": "500.00", "markup_percent": "0",
        "currency": "NZD", "date": "2026-03-02"})
    assert answer.status_code == 302
    item = items()[("expense", expense.id)]
    assert not item.explained and item.unexplained == ["the total differs"]
    assert (item.bridge.total, item.xero.total) == (Decimal("500.00"), Decimal("480.00"))

    result = runner.invoke(args=["xero", "reconcile"])
    assert result.exit_code == 1
    assert "Expense Flyers: UNEXPLAINED: the total differs → Look at it in Bridge and in Xero" in result.output


def test_the_page_shows_each_reason_and_its_action_to_admins_only(org, admin, client, auth):
    invoice, first = org.invoice("100.00")
    second_copy(org, invoice)
    org.pay(first, "40.00")
    voided, voided_doc = org.invoice("75.00")
    void_in_xero(org, voided_doc)
    org.sync()

    card = admin.get("/settings/marketplace").get_data(as_text=True)
    assert 'href="/settings/marketplace/xero/1/reconcile"' in card
    page = admin.get("/settings/marketplace/xero/reconcile")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 documents differ: each for a known reason." in " ".join(html.split())
    assert f'<a href="/invoices/{invoice.id}">{invoice.number}</a>' in html
    assert "the client may be billed twice" in html and "Void one of the copies in Xero" in html
    assert f"/_ui/{org.tenant_id}/invoices/{first['InvoiceID'].lower()}" in html
    assert "Void the newest copy in Xero, if the client pays the earlier one" in html
    assert "Create new, if it should still be billed (or nothing)" in html
    assert f'<a href="/invoices/{voided.id}">' in html

    auth.logout()
    auth.login("member")
    assert client.get("/settings/marketplace/xero/reconcile").status_code == 403


def test_sync_now_on_the_page_comes_back_to_it(org, admin):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    page = admin.post("/marketplace/xero/sync", data={"back": "reconcile"}, follow_redirects=True)
    assert page.request.path == "/settings/marketplace/xero/1/reconcile"
    html = " ".join(page.get_data(as_text=True).split())
    assert "Payment sync: 1 payment added, 1 invoice updated" in html
    assert "Bridge and Xero agree on every copied document." in html


def test_without_xero_there_is_nothing_to_reconcile(app, runner):
    result = runner.invoke(args=["xero", "reconcile"])
    assert (result.exit_code, result.output.strip()) == (0, "Xero is not connected: there is nothing to reconcile.")
