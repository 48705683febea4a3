"""What admins see and run: the Xero card's payment sync (last run, result, next run, last
error), the "Sync now" button (HTMX, CSRF), and `flask xero sync-payments`."""
import re

import pytest

from bridge.extensions import db
from bridge.models import Invoice, utcnow
from tests.conftest import ADMIN, form_token, header_token, make_app
from tests.payments.conftest import turn_sync_on


def sync_section(html: str) -> str:
    return re.search(r'<section id="xero-sync".*?</section>', html, re.S).group(0)


def test_the_card_says_when_sync_is_off(nz, admin):
    turn_sync_on(nz.tenant_id, on=False)
    section = sync_section(admin.get("/settings/marketplace").get_data(as_text=True))
    assert "Off: payments recorded in Xero are not brought to Bridge." in section
    assert "Sync now" not in section


def test_sync_now_runs_the_sync_and_shows_what_changed(org, admin, hx):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    before = sync_section(admin.get("/settings/marketplace").get_data(as_text=True))
    assert "Not yet" in before and "At the next check (Bridge checks Xero every 5 minutes)" in before

    answer = admin.post("/marketplace/xero/sync", headers=hx)

    fragment = answer.get_data(as_text=True)
    assert answer.status_code == 200 and fragment.startswith('<section id="xero-sync"')
    # Said once: the Result row carries what this run did.
    assert 'data-sync-result data-sync-message role="status">1 payment added, 1 invoice updated</dd>' in fragment
    assert fragment.count("1 payment added, 1 invoice updated") == 1
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).payment_status == "paid"
    assert org.state().last_run_by.startswith("button ")


def test_the_card_shows_the_last_sync_its_result_the_next_run_and_the_last_error(org, admin):
    state = org.sync() and org.state()
    state.next_run_at = utcnow().replace(year=2030, month=1, day=2, hour=3, minute=4)
    state.last_error = "Xero is having problems at the moment."
    db.session.commit()
    section = sync_section(admin.get("/settings/marketplace").get_data(as_text=True))
    assert "Last sync" in section and "Nothing changed" in section
    assert "Jan 2, 2030, 3:04\u202fAM UTC (Bridge checks Xero every 5 minutes)" in section
    assert 'class="error-text">Xero is having problems at the moment.' in section


def test_without_htmx_the_button_reports_in_a_message(org, admin):
    answer = admin.post("/marketplace/xero/sync", follow_redirects=True)
    assert "Payment sync: Nothing changed" in answer.get_data(as_text=True)


@pytest.fixture
def strict_admin(org, database_url, users):
    """The admin on an app with CSRF on, talking to the sandbox, logged in through the form."""
    client = make_app(database_url, WTF_CSRF_ENABLED=True, **org.sandbox.bridge_config()).test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"], "csrf_token": token})
    return client


def test_sync_now_is_for_admins_and_checks_csrf(org, member, strict_admin):
    assert member.post("/marketplace/xero/sync").status_code == 403
    assert strict_admin.post("/marketplace/xero/sync", headers={"HX-Request": "true"}).status_code == 400
    token = header_token(strict_admin, "/settings/marketplace")
    answer = strict_admin.post("/marketplace/xero/sync", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert answer.status_code == 200
    assert 'data-sync-message role="status">Nothing changed</dd>' in answer.get_data(as_text=True)


def test_a_long_rate_limit_wait_ends_the_button_run_instead_of_hanging(org, admin, hx):
    org.sandbox.control("faults", kind="429", count=1, method="GET", retry_after=60,
                        path_prefix="/api.xro/2.0/Payments")
    fragment = admin.post("/marketplace/xero/sync", headers=hx).get_data(as_text=True)
    assert "Xero asked Bridge to wait 60 seconds" in fragment and "error-text" in fragment
    assert fragment.count("Xero asked Bridge to wait 60 seconds") == 1


def test_the_cli_runs_the_same_sync_and_prints_what_changed(org, runner):
    _, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "40.00")
    result = runner.invoke(args=["xero", "sync-payments"])
    assert (result.exit_code, result.output) == (0, "Demo Company (NZ): 1 payment added, 1 invoice updated\n")
    assert org.state().last_run_by.startswith("cli ")
    result = runner.invoke(args=["xero", "sync-payments", "--tenant", org.tenant_id, "--earlier"])
    assert result.output == "Demo Company (NZ): Nothing changed\n"


def test_the_cli_exits_non_zero_when_a_sync_stopped(org, runner):
    org.sandbox.control("faults", kind="429", count=1, method="GET", problem="day", retry_after=7200,
                        path_prefix="/api.xro/2.0/Payments")
    result = runner.invoke(args=["xero", "sync-payments"])
    assert result.exit_code == 1 and "Stopped: Xero's daily limit" in result.output


def test_the_cli_says_when_no_organisation_syncs(runner, app):
    assert runner.invoke(args=["xero", "sync-payments"]).output == "No Xero organisation has payment sync on.\n"
