"""Payment sync turned on later: from that moment on by default; with "also fetch earlier
payments" (the wizard) the copied documents' earlier payments too; and turned off and on
again, payments deleted in Xero meanwhile are caught."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import Payment, utcnow
from tests.payments.conftest import Org, turn_sync_on, xero_payments

WIZARD = {"invoice_numbers_by": "bridge", "pdfs_by": "bridge", "initial_status": "DRAFT",
          "reference_from": "subject", "default_revenue_account_code": "200"}


@pytest.fixture
def later(nz, xero_sandbox) -> Org:
    """Connected and set up with payment sync off (the wizard's default)."""
    turn_sync_on(nz.tenant_id, on=False)
    return Org(nz.tenant_id, nz, xero_sandbox)


def status(document) -> tuple:
    db.session.expire_all()
    document = db.session.get(type(document), document.id)
    return document.payment_status, document.amount_paid


def test_turned_on_later_mirrors_payments_from_that_moment(later):
    invoice, xero_doc = later.invoice("100.00")
    later.pay(xero_doc, "30.00", "before")
    turn_sync_on(later.tenant_id)
    later.pay(xero_doc, "20.00", "after")

    assert later.sync().message == "1 payment added, 1 invoice updated"
    assert [p.reference for p in xero_payments(invoice)] == ["after"]
    assert status(invoice) == ("partially_paid", Decimal("20.00"))


def test_the_wizard_can_also_fetch_earlier_payments(later, admin):
    invoice, xero_doc = later.invoice("100.00")
    expense, xero_bill = later.expense("50.00")
    elsewhere = later.xero_invoice("75.00")
    later.pay(xero_doc, "30.00", "before")
    later.pay(xero_bill, "50.00", "bill before")
    later.pay(elsewhere, "75.00", "not ours")

    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    assert "Also fetch earlier payments" in page and 'id="payment-backfill" hidden' in page
    answer = admin.post("/marketplace/xero/setup",
                        data={**WIZARD, "sync_payments": "y", "backfill_payments": "y"})
    assert answer.status_code == 302
    assert later.state().backfill_requested
    later.pay(xero_doc, "20.00", "after")

    result = later.sync()

    assert (result.counts.added, len(result.counts.invoices), len(result.counts.expenses)) == (3, 1, 1)
    assert sorted(p.reference for p in xero_payments(invoice)) == ["after", "before"]
    assert status(invoice) == ("partially_paid", Decimal("50.00"))
    assert status(expense) == ("paid", Decimal("50.00"))
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 3  # not "not ours"
    assert not later.state().backfill_requested
    assert later.sync().message == "Nothing changed"


def test_fetching_earlier_payments_needs_sync_on(later, admin):
    answer = admin.post("/marketplace/xero/setup", data={**WIZARD, "backfill_payments": "y"})
    assert answer.status_code == 422
    assert "Turn payment sync on to fetch earlier payments." in answer.get_data(as_text=True)


def test_turned_off_and_on_again_catches_payments_deleted_meanwhile(later):
    invoice, xero_doc = later.invoice("100.00")
    turn_sync_on(later.tenant_id)
    mirrored = later.pay(xero_doc, "50.00", "mirrored")
    later.sync()
    assert status(invoice) == ("partially_paid", Decimal("50.00"))

    turn_sync_on(later.tenant_id, on=False)
    later.remove(mirrored)
    later.pay(xero_doc, "10.00", "while off")
    # On again, from a moment well after the deletion (beyond the sync's look-back), so
    # only the one-off check of mirrored payments can see it.
    turn_sync_on(later.tenant_id, since=utcnow() + timedelta(minutes=5))

    result = later.sync()

    assert (result.counts.deleted, result.counts.added) == (1, 0)
    (gone,) = xero_payments(invoice)
    assert gone.reference == "mirrored" and gone.deleted_at is not None
    assert status(invoice) == ("unpaid", Decimal("0.00"))
    assert not later.state().recheck_requested
