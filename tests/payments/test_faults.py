"""Faults during a sync: 5xx, timeouts, 429s and a revoked authorisation leave
everything consistent (every committed page whole, the cursors at the last one), and the
next run resumes from there."""
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import Invoice, Payment, XeroConnection, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.sync.payments import sync_organisation
from tests.live import SANDBOX_CLIENT
from tests.marketplace.conftest import stored_tokens
from tests.payments.conftest import xero_payments


def amounts(invoice) -> tuple:
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    return invoice.payment_status, invoice.amount_paid, invoice.amount_credited


def test_a_5xx_in_the_second_pass_keeps_the_first_and_the_next_run_resumes(org, sleeps):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "50.00")
    org.credit(xero_doc, "20.00")
    # Every attempt at the invoices pass fails (the client tries 4 times).
    org.sandbox.control("faults", kind="500", count=4, method="GET", path_prefix="/api.xro/2.0/Invoices")

    result = org.sync()

    assert "Bridge tried 4 times" in result.error and result.counts.added == 1
    assert result.message.startswith("Stopped: Xero is having problems")
    state = org.state()
    assert state.payments_cursor > state.started_from  # the payments page was committed
    assert state.invoices_cursor == state.started_from  # the invoices page was not
    assert "Xero is having problems" in state.last_error
    assert amounts(invoice) == ("partially_paid", Decimal("50.00"), Decimal("0.00"))

    resumed = org.sync()
    assert resumed.error is None and resumed.message == "1 invoice updated"
    assert amounts(invoice) == ("partially_paid", Decimal("50.00"), Decimal("20.00"))
    assert org.state().last_error is None and len(xero_payments(invoice)) == 1


def test_timeouts_stop_the_run_cleanly(org, app, sleeps):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    app.config["XERO_TIMEOUT"] = 0.5
    org.sandbox.control("faults", kind="timeout", count=4, seconds=1.5, method="GET",
                        path_prefix="/api.xro/2.0/Payments")
    with XeroClient(org.tenant_id, sleep=sleeps.append) as impatient:
        result = sync_organisation(org.tenant_id, client=impatient)
        assert "did not answer within 0.5 seconds" in result.error
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
        assert org.state().payments_cursor == org.state().started_from

        assert sync_organisation(org.tenant_id, client=impatient).error is None
    assert amounts(invoice)[0] == "paid"


@pytest.mark.parametrize("refusals, waits", [(1, 1), (4, 3)],
                         ids=["429 then success", "429s that last: the next run resumes"])
def test_429s_are_waited_out_or_end_the_run(org, sleeps, refusals, waits):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    org.sandbox.control("faults", kind="429", count=refusals, method="GET",
                        path_prefix="/api.xro/2.0/Payments", retry_after=7)

    result = org.sync()

    assert sleeps.count(7) == waits  # Retry-After, at most three times in one call
    if refusals > 1:
        assert "limiting calls" in result.error
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
        result = org.sync()
    assert result.message == "1 payment added, 1 invoice updated"
    assert amounts(invoice)[0] == "paid" and len(xero_payments(invoice)) == 1


def test_the_daily_limit_parks_the_organisation_until_it_resets(org):
    org.sandbox.control("faults", kind="429", count=1, method="GET", problem="day",
                        retry_after=3600, path_prefix="/api.xro/2.0/Payments")
    result = org.sync()
    assert "daily limit" in result.error
    parked = org.state().next_run_at - utcnow()
    assert timedelta(minutes=59) < parked <= timedelta(hours=1)


def test_a_revoked_authorisation_stops_the_sync_until_reconnected(org, app):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "40.00")
    org.sync()
    org.pay(xero_doc, "60.00")
    # Someone removes Bridge from the organisation on Xero's side.
    answer = requests.post(f"{org.sandbox.url}/connect/revocation", timeout=10,
                           data={"token": stored_tokens(app)["refresh"]},
                           auth=(SANDBOX_CLIENT["id"], SANDBOX_CLIENT["secret"]))
    assert answer.status_code == 200

    result = org.sync()

    assert "reconnect" in result.error
    assert db.session.scalar(select(XeroConnection)).needs_reconnect
    assert amounts(invoice)[:2] == ("partially_paid", Decimal("40.00"))  # as before, whole
    assert "reconnect" in org.state().last_error
    assert org.sync().skipped == "Xero no longer accepts Bridge's access: reconnect it first."
