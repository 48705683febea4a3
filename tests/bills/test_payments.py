"""A bill carries tax, so an expense's payments settle the bill's total (net + tax), not its net
amount: a bill with 15 % GST paid in full in Xero makes the expense paid; paying only the
net leaves it partly paid."""
from decimal import Decimal

from bridge.extensions import db
from bridge.models import Expense
from bridge.xero.api.client import XeroClient
from bridge.xero.sync.payments import sync_organisation
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.bills.conftest import configure, post_send, sandbox_bills


def pay_and_sync(sandbox, amount: str) -> Expense:
    (bill,) = sandbox_bills()
    sandbox.control(f"organisations/{NZ_TENANT}/payments", invoice=bill["InvoiceID"], amount=amount)
    sync_organisation(NZ_TENANT, trigger="test")
    db.session.expire_all()
    return db.session.get(Expense, bill_expense_id())


def bill_expense_id() -> int:
    return db.session.scalar(db.select(Expense.id))


def sent_with_sync_on(admin, expense):
    configure(sync_payments=True)
    assert post_send(admin, expense).status_code == 200
    return db.session.get(Expense, expense.id)


def test_a_bill_with_tax_paid_in_full_makes_the_expense_paid(connected, admin, expense, sandbox):
    sent = sent_with_sync_on(admin, expense)
    assert (sent.amount, sent.bill_total, sent.amount_due) == (Decimal("200.00"), Decimal("230.00"), Decimal("230.00"))
    paid = pay_and_sync(sandbox, "230.00")
    assert (paid.payment_status, paid.amount_paid, paid.amount_due) == ("paid", Decimal("230.00"), Decimal("0.00"))


def test_paying_only_the_net_leaves_the_expense_partly_paid(connected, admin, expense, sandbox):
    sent_with_sync_on(admin, expense)
    paid = pay_and_sync(sandbox, "200.00")
    assert (paid.payment_status, paid.amount_due) == ("partially_paid", Decimal("30.00"))


def test_a_bill_total_changed_in_xero_is_mirrored(connected, admin, expense, sandbox):
    sent_with_sync_on(admin, expense)
    (bill,) = sandbox_bills()
    with XeroClient(NZ_TENANT) as client:
        current = client.get_invoice(bill["InvoiceID"])
        line = current["LineItems"][0]
        client.update_invoice(bill["InvoiceID"], {"Status": current["Status"], "LineItems": [
            {"LineItemID": line["LineItemID"], "Description": line["Description"], "Quantity": Decimal("1"),
             "UnitAmount": Decimal("100.00"), "AccountCode": line["AccountCode"], "TaxType": "INPUT2"}]})
    paid = pay_and_sync(sandbox, "115.00")
    assert (paid.bill_total, paid.payment_status) == (Decimal("115.00"), "paid")


def test_the_expense_page_shows_the_amount_due_with_tax_as_soon_as_the_bill_is_sent(connected, admin, expense):
    response = post_send(admin, expense)
    page = response.get_data(as_text=True)
    # The Payments section comes along out of band, with the bill's total as the amount due.
    payments = page[page.index('<section id="payments"'):]
    assert 'hx-swap-oob="true"' in payments.split(">", 1)[0]
    assert "230.00" in payments.split("data-amount-due>", 1)[1].split("</dd>", 1)[0]
