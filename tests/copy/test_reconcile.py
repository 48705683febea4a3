"""Reconcile after real copies through the modal: a copy booked with another tax rate (the
difference confirmed) is explained by the tax, both totals and both tax amounts named; an
invoice edited after it was copied asks for Update existing, and once updated nothing differs."""
from bridge.extensions import db
from bridge.formatting import money
from bridge.models import Invoice
from bridge.xero.sync import reconcile
from tests.copy.conftest import northwind, post_copy, text
from tests.copy.test_update import change_lines

LEVY = "TAX001"  # the sandbox's "Local Levy 5%", against Bridge's GST 15%


def only_item():
    db.session.expire_all()
    (item,) = reconcile.differences()
    return item


def test_a_copy_with_another_tax_rate_is_a_tax_rate_difference(connected, admin, invoice, runner):
    refused = post_copy(admin, invoice, contact=northwind(), tax_type=LEVY)
    assert refused.status_code == 422  # the difference must be confirmed first
    response = post_copy(admin, invoice, contact=northwind(), tax_type=LEVY, accept_difference="y")
    assert response.status_code == 200, text(response)
    db.session.expire_all()
    copied = db.session.get(Invoice, invoice.id)

    item = only_item()
    (reason,) = item.reasons
    xero_total, xero_tax = copied.xero_total, copied.xero_total - copied.subtotal
    assert xero_total != copied.total
    assert reason.words == (
        f"Tax rate difference: Xero's total is {money(xero_total, 'NZD')} with {money(xero_tax, 'NZD')} tax, "
        f"Bridge's is {money(copied.total, 'NZD')} with {money(copied.tax_total, 'NZD')} tax; "
        "payments settle Xero's total")
    assert reason.action == reconcile.UPDATE and item.explained
    assert (item.bridge.total, item.xero.total, item.xero.due) == (copied.total, xero_total, xero_total)

    result = runner.invoke(args=["xero", "reconcile"])
    assert result.exit_code == 0 and "Tax rate difference" in result.output
    page = text(admin.get("/settings/marketplace/xero/reconcile"))
    assert "Tax rate difference: Xero's total is" in page and "Update existing" in page


def test_an_invoice_changed_since_it_was_copied_asks_for_update_existing(connected, admin, invoice, workspace):
    assert post_copy(admin, invoice, contact=northwind()).status_code == 200
    assert reconcile.differences() == []
    change_lines(invoice, workspace)

    item = only_item()
    (reason,) = item.reasons
    assert reason.words.startswith("Changed in Bridge on ") and "Xero still has the earlier version" in reason.words
    assert reason.action_words == "Update existing" and item.explained
    assert item.bridge.total != item.xero.total

    response = post_copy(admin, invoice, contact=northwind(), action="update")
    assert response.status_code == 200, text(response)
    db.session.expire_all()
    assert reconcile.differences() == []
