"""The payment sync against the Xero sandbox over real HTTP: what Xero records (full,
partial, deleted, "edited" payments, credit notes, paid bills) shows in Bridge; what Bridge
did not copy, or what happens while sync is off, does not; a crash loses nothing and
doubles nothing (429s and other faults: test_faults.py); a manual payment is never
touched and never sent to Xero."""
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import Expense, Invoice, Payment
from bridge.xero.sync import payments as service
from tests.invoicing import factories
from tests.payments.conftest import done_copy, sale, turn_sync_on, writes_to_xero, xero_payments
from tests.xero.conftest import sandbox_requests


def state_of(document) -> tuple:
    """(payment status, amount paid, amount due) as stored now."""
    db.session.expire_all()
    document = db.session.get(type(document), document.id)
    return document.payment_status, document.amount_paid, document.amount_due


def test_a_full_payment_marks_the_invoice_paid(org):
    invoice, xero_doc = org.invoice("250.00")
    org.pay(xero_doc, "250.00", reference="EFT 881")

    result = org.sync()

    assert result.message == "1 payment added, 1 invoice updated"
    assert state_of(invoice) == ("paid", Decimal("250.00"), Decimal("0.00"))
    (payment,) = xero_payments(invoice)
    assert (payment.amount, payment.reference, payment.source, payment.deleted_at) == (
        Decimal("250.00"), "EFT 881", "xero", None)
    assert len(payment.xero_payment_id) == 36
    assert org.sync().message == "Nothing changed"


def test_idle_cycles_after_a_burst_read_one_page_of_each_list(org, monkeypatch):
    """More changes than a page within the look-back of the newest: once a whole pass has read
    them, idle cycles look back from Xero's clock (its Date header), not from the newest record,
    so they do not read the burst again (2 calls, not 3). Pages of 5 and a look-back of 1 s
    stand in for Xero's 1,000 and Bridge's 2 minutes."""
    monkeypatch.setattr(service, "PAGE_SIZE", 5)
    monkeypatch.setattr(service, "OVERLAP", timedelta(seconds=1))
    contact = org.contact()
    burst = org.client.create_invoices([sale(contact, "10.00")] * 6)
    company = factories.company("Northwind", currency="NZD")
    for xero_doc in burst:
        done_copy(xero_doc, org.tenant_id, invoice_id=factories.invoice(company, lines=[("1", "10.00")]).id)
    time.sleep(2.1)  # the burst is older than the look-back, as Xero's clock tells
    org.sync()
    org.client.calls.clear()
    assert org.sync().message == "Nothing changed"
    assert sum(org.client.calls.values()) == 2


def test_two_tranches_then_the_rest(org):
    invoice, xero_doc = org.invoice("1000.00")
    org.pay(xero_doc, "300.00", "Tranche 1")
    org.pay(xero_doc, "200.00", "Tranche 2")
    assert org.sync().message == "2 payments added, 1 invoice updated"
    assert state_of(invoice) == ("partially_paid", Decimal("500.00"), Decimal("500.00"))

    org.pay(xero_doc, "500.00", "Balance")
    assert org.sync().message == "1 payment added, 1 invoice updated"
    assert state_of(invoice) == ("paid", Decimal("1000.00"), Decimal("0.00"))
    assert [p.reference for p in xero_payments(invoice)] == ["Tranche 1", "Tranche 2", "Balance"]


def test_a_payment_deleted_in_xero_is_kept_as_deleted(org):
    invoice, xero_doc = org.invoice("100.00")
    first = org.pay(xero_doc, "40.00", "first")
    second = org.pay(xero_doc, "60.00", "second")
    org.sync()
    assert state_of(invoice)[0] == "paid"

    org.remove(second)
    assert org.sync().message == "1 payment deleted, 1 invoice updated"
    assert state_of(invoice) == ("partially_paid", Decimal("40.00"), Decimal("60.00"))
    gone = db.session.scalar(select(Payment).where(Payment.xero_payment_id == second["PaymentID"]))
    assert gone.deleted_at is not None and gone.amount == Decimal("60.00")  # kept for the audit

    org.remove(first)
    org.sync()
    assert state_of(invoice) == ("unpaid", Decimal("0.00"), Decimal("100.00"))
    assert len(xero_payments(invoice)) == 2


def test_an_edited_payment_is_a_deletion_and_a_new_payment(org):
    invoice, xero_doc = org.invoice("100.00")
    typo = org.pay(xero_doc, "50.00", "typo")
    org.sync()
    # Xero's "Remove & Redo": the payment goes, a new one (a new PaymentID) comes.
    org.remove(typo)
    redone = org.pay(xero_doc, "45.00", "fixed")

    result = org.sync()

    assert (result.counts.added, result.counts.deleted) == (1, 1)
    assert state_of(invoice) == ("partially_paid", Decimal("45.00"), Decimal("55.00"))
    old, new = xero_payments(invoice)
    assert old.xero_payment_id == typo["PaymentID"] and old.deleted_at is not None
    assert new.xero_payment_id == redone["PaymentID"] and new.deleted_at is None


def test_a_credit_note_lowers_the_amount_due_without_a_payment(org):
    invoice, xero_doc = org.invoice("100.00")
    org.credit(xero_doc, "30.00")

    assert org.sync().message == "1 invoice updated"
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.amount_credited, invoice.amount_paid, invoice.amount_due) == (
        Decimal("30.00"), Decimal("0.00"), Decimal("70.00"))
    assert invoice.payment_status == "partially_paid" and invoice.payments == []

    org.pay(xero_doc, "70.00")
    org.sync()
    assert state_of(invoice) == ("paid", Decimal("70.00"), Decimal("0.00"))


def test_an_invoice_settled_by_credit_alone_is_credited(org):
    invoice, xero_doc = org.invoice("80.00")
    org.credit(xero_doc, "80.00")
    org.sync()
    assert state_of(invoice) == ("credited", Decimal("0.00"), Decimal("0.00"))


def test_a_bill_paid_in_xero_marks_the_expense_paid(org):
    expense, xero_bill = org.expense("480.00")
    assert xero_bill["Type"] == "ACCPAY"
    org.pay(xero_bill, "200.00", "Part")
    assert org.sync().message == "1 payment added, 1 bill updated"
    assert state_of(expense) == ("partially_paid", Decimal("200.00"), Decimal("280.00"))

    org.pay(xero_bill, "280.00", "Rest")
    org.sync()
    assert state_of(expense) == ("paid", Decimal("480.00"), Decimal("0.00"))
    assert {p.source for p in db.session.get(Expense, expense.id).payments} == {"xero"}


def test_payments_on_invoices_bridge_did_not_copy_are_ignored(org):
    invoice, _ = org.invoice("100.00")
    elsewhere = org.xero_invoice("100.00")
    org.pay(elsewhere, "100.00")

    result = org.sync()

    assert result.message == "Nothing changed" and result.counts.ignored >= 1
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert state_of(invoice)[0] == "unpaid"


def test_nothing_changes_while_sync_is_off(org):
    invoice, xero_doc = org.invoice("100.00")
    turn_sync_on(org.tenant_id, on=False)
    org.pay(xero_doc, "100.00")
    requests_before = len(sandbox_requests(org.sandbox, path_prefix="/api.xro/2.0/Payments"))

    result = org.sync()

    assert result.skipped == "Payment sync is off: turn it on in the Xero settings."
    assert len(sandbox_requests(org.sandbox, path_prefix="/api.xro/2.0/Payments")) == requests_before
    assert state_of(invoice)[0] == "unpaid" and org.state() is None


def test_a_crash_between_fetching_and_committing_loses_nothing_and_doubles_nothing(org, monkeypatch):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "60.00", "crash test")

    def crash(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(service, "commit_page", crash)
    with pytest.raises(RuntimeError):
        org.sync()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    state = org.state()
    assert state.payments_cursor == state.started_from  # not advanced past the lost page
    assert "RuntimeError" in state.last_error

    monkeypatch.undo()
    assert org.sync().message == "1 payment added, 1 invoice updated"
    assert org.sync().message == "Nothing changed"
    assert len(xero_payments(invoice)) == 1
    assert state_of(invoice) == ("partially_paid", Decimal("60.00"), Decimal("40.00"))
    assert org.state().last_error is None


def test_a_manual_payment_is_never_touched_and_never_sent_to_xero(org, admin):
    invoice, xero_doc = org.invoice("100.00")
    writes_before = len(writes_to_xero(org.sandbox))

    answer = admin.post(f"/invoices/{invoice.id}/payments",
                        data={"amount": "20.00", "date": "2026-03-10", "reference": "Cash"})
    assert answer.status_code == 302
    org.pay(xero_doc, "30.00", "From Xero")
    org.sync()
    org.sync()

    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    manual = [p for p in invoice.payments if p.source == "manual"]
    assert [(p.amount, p.reference, p.deleted_at, p.xero_payment_id) for p in manual] == [
        (Decimal("20.00"), "Cash", None, None)]
    assert (invoice.payment_status, invoice.amount_paid) == ("partially_paid", Decimal("50.00"))
    # The only write Xero saw is the payment made "in Xero" itself (the control API is not
    # logged); Bridge sent nothing.
    assert writes_to_xero(org.sandbox)[writes_before:] == []
