"""Xero's refusals keep the modal open (422) with Xero's messages verbatim beside what to check,
and change nothing in Bridge; rate limits and outages say when to try again; a lost
authorisation offers Reconnect; input Bridge can check is refused before anything is sent."""
import re
from uuid import uuid4

import pytest
from flask import g
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, Invoice, XeroActivity, XeroConnection
from bridge.xero.sending.explain import XERO_SETTINGS
from tests.conftest import MEMBER
from tests.copy.conftest import configure, copies, forget_currencies, make_invoice, northwind, post_copy, recorded, text
from tests.marketplace.conftest import revoke_at_sandbox, stored_tokens


def snapshot(invoice_id: int) -> tuple:
    """What a refused copy must not change: the invoice and its client's Xero link."""
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice_id)
    client = db.session.get(Company, invoice.client_id)
    return (invoice.number, invoice.total, invoice.updated_at, client.xero_contact_id)


def test_an_invalid_account_code_shows_xeros_message_and_changes_nothing(connected, admin, invoice):
    configure(default_revenue_account_code="090")  # a bank account: Xero refuses it on sales lines
    before, key = snapshot(invoice.id), str(uuid4())
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy", headers={"HX-Request": "true"})
    assert "090 · Business Bank Account is not a revenue account in Xero" in text(modal)  # said before sending
    response = post_copy(admin, invoice, contact=northwind(), key=key)
    assert response.status_code == 422
    page = text(response)
    assert "Xero refused it. Nothing was changed" in page
    assert "Account code '090' is not a valid code for this document." in page
    assert f"Check the revenue account mapping in {XERO_SETTINGS}" in page
    assert snapshot(invoice.id) == before
    (row,) = copies()
    assert (row.state, row.error_kind) == ("failed", "validation")
    assert row.messages == ["Account code '090' is not a valid code for this document."]
    # The modal stays open for another attempt, with a new key (that one is over).
    fresh = re.search(r'name="attempt_key" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert fresh and fresh.group(1) != key
    assert db.session.scalar(select(XeroActivity.outcome)) == "error"


def test_a_currency_xero_does_not_use(connected, admin, workspace):
    forget_currencies()  # Bridge does not know Xero's currencies (tests/copy/test_currencies.py: it does)
    invoice = make_invoice(workspace, currency="JPY")
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 422
    assert "Organisation is not subscribed to currency JPY" in text(response)
    assert "does not use the invoice's currency" in text(response)


def test_the_same_key_after_a_refusal_answers_the_refusal_without_calling_xero(connected, admin, invoice, sandbox):
    configure(default_revenue_account_code="090")
    key = str(uuid4())
    post_copy(admin, invoice, contact=northwind(), key=key)
    again = post_copy(admin, invoice, contact=northwind(), key=key)
    assert again.status_code == 422 and "Account code '090'" in text(again)
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1


@pytest.mark.parametrize("problem, retry_after, expected", [
    ("minute", 30, "Xero is receiving too many calls for this organisation right now, so nothing was sent. "
                   "Try again in 30 seconds."),
    ("day", 7200, "Xero's daily limit of calls for this organisation is used up, so nothing was sent. "
                  "Try again in about 2 hours."),
])
def test_rate_limits_say_when_to_try_again(connected, admin, invoice, sandbox, no_waiting, problem,
                                           retry_after, expected):
    sandbox.control("faults", kind="429", count=4, method="PUT", path_prefix="/api.xro/2.0/Invoices",
                    retry_after=retry_after, problem=problem)
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 422
    assert expected in text(response)
    assert copies()[0].state == "failed" and copies()[0].error_kind == "rate_limited"
    # A minute limit is waited out three times first (the waits are recorded, not slept).
    assert no_waiting == ([retry_after] * 3 if problem == "minute" else [])


def test_an_outage_says_xero_is_unavailable_and_to_try_again(connected, admin, invoice, sandbox):
    sandbox.control("faults", kind="500", count=4, method="PUT", path_prefix="/api.xro/2.0/Invoices")
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 422
    page = text(response)
    assert "Xero is having problems at the moment (Bridge tried 4 times)" in page
    assert "Try again in a few minutes: Bridge looks in Xero first and will not copy it twice." in page
    assert "Try again" in page


def test_a_lost_authorisation_offers_reconnect(connected, admin, invoice, sandbox, app, hx):
    contact = northwind()
    revoke_at_sandbox(sandbox, stored_tokens(app)["refresh"])
    response = post_copy(admin, invoice, contact=contact)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Xero no longer accepts Bridge&#39;s access to this organisation" in page
    assert 'href="/settings/marketplace">Reconnect Xero</a>' in page
    assert db.session.scalar(select(XeroConnection.status)) == "needs_reconnect"
    # From now on the modal does not open; the page says why and links to the marketplace.
    reopened = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx)
    assert reopened.status_code == 409 and "reconnect" in reopened.get_data(as_text=True)
    show = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "nothing can be copied until it is reconnected" in show


def test_a_member_is_told_to_ask_an_admin(connected, member_client, invoice, sandbox, app):
    contact = northwind()
    revoke_at_sandbox(sandbox, stored_tokens(app)["refresh"])
    # The tests share one app context, whose `g` caches the last user Flask-Login loaded.
    g.pop("_login_user", None)
    response = post_copy(member_client, invoice, contact=contact)
    assert response.status_code == 422
    assert "Ask an admin to reconnect Xero" in text(response)
    assert "Reconnect Xero</a>" not in response.get_data(as_text=True)


@pytest.fixture
def member_client(app, users, connected):
    """The member's own client (the tests share an app context: `g` must forget the admin)."""
    client = app.test_client()
    g.pop("_login_user", None)
    assert client.post("/login", data={"email": MEMBER["email"], "password": MEMBER["password"]}).status_code == 302
    return client


@pytest.mark.parametrize("fields, message", [
    ({"contact": ""}, "Pick a Xero contact, or create a new one."),
    ({"contact": "not-an-id|Somebody"}, "Pick a Xero contact, or create a new one."),
    ({"tax_type": "INPUT2"}, "Choose one of Xero's tax rates for sales."),
    ({"attempt_key": "123"}, "This window is out of date"),
])
def test_input_bridge_can_check_is_refused_before_sending(connected, admin, invoice, sandbox, fields, message):
    data = {"contact": northwind(), **fields}
    response = post_copy(admin, invoice, **data)
    assert response.status_code == 422
    assert message in text(response)
    assert copies() == [] and recorded(sandbox, "PUT", "/Invoices") == []


def test_manual_status_must_be_chosen(connected, admin, invoice, sandbox, hx):
    configure(initial_status="MANUAL")
    modal = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx).get_data(as_text=True)
    assert 'name="status"' in modal
    refused = post_copy(admin, invoice, contact=northwind(), status="PAID")
    assert refused.status_code == 422 and "Choose the status the invoice gets in Xero." in text(refused)
    done = post_copy(admin, invoice, contact=northwind(), status="SUBMITTED")
    assert done.status_code == 200 and copies()[0].xero_status == "SUBMITTED"
    assert "Awaiting Approval" in text(done)


def test_not_connected_no_copy(app, admin, invoice, hx):
    response = admin.get(f"/invoices/{invoice.id}/xero/copy", headers=hx)
    assert response.status_code == 409 and "Xero is not connected" in response.get_data(as_text=True)
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Copy to Xero" not in page and '<section id="xero-copy-state" class="card xero-state"\n         hidden' in page
    assert "copy_to_xero" not in admin.get(f"/invoices/{invoice.id}/edit").get_data(as_text=True)
