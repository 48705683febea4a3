"""The Xero activity log: per invoice on its page, and for admins under Settings > App
Marketplace > Xero > Activity, filterable by outcome and paginated."""
from flask import g

from bridge.extensions import db
from bridge.models import XeroActivity
from bridge.xero.sending import activity
from tests.conftest import MEMBER
from tests.copy.conftest import configure, northwind, post_copy

LOG = "/settings/marketplace/xero/activity"


def test_the_invoice_page_lists_its_xero_activity(connected, admin, invoice):
    configure(default_revenue_account_code="090")
    post_copy(admin, invoice, contact=northwind())
    configure(default_revenue_account_code="200")
    post_copy(admin, invoice, contact=northwind())
    page = admin.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert page.count('<li class="activity-') == 2
    assert "Account code &#39;090&#39; is not a valid code" in page
    assert f"Copied invoice {invoice.number} as {invoice.number} (Draft) in Xero." in page
    assert "Ada Admin" in page


def test_the_log_for_admins_filtered_and_paginated(connected, admin, invoice, hx):
    for n in range(30):
        activity.record("copy", "ok" if n % 3 else "error", f"entry {n}", invoice_id=invoice.id,
                        request={"n": n}, response={"Answer": n})
    db.session.commit()
    page = admin.get(LOG)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Xero activity" in html
    assert "entry 29" in html and "entry 4" not in html and "Page 1 of 2 · 30 entries" in html
    assert f'href="/invoices/{invoice.id}">{invoice.number}</a>' in html
    assert "&#34;Answer&#34;: 29" in html or '"Answer": 29' in html

    errors = admin.get(f"{LOG}?outcome=error", headers=hx).get_data(as_text=True)
    assert errors.lstrip().startswith('<section id="xero-activity">')
    assert "entry 27" in errors and "entry 28" not in errors and "10 entries" not in errors
    assert admin.get(f"{LOG}?page=2").get_data(as_text=True).count('<tr class="activity-') == 5
    assert admin.get(f"{LOG}?outcome=maybe").status_code == 422


def test_members_cannot_see_the_log(app, users, connected):
    member = app.test_client()
    g.pop("_login_user", None)  # the tests share one app context and its `g`
    member.post("/login", data={"email": MEMBER["email"], "password": MEMBER["password"]})
    assert member.get(LOG).status_code == 403


def test_secrets_never_reach_the_log(connected, admin, invoice, app):
    post_copy(admin, invoice, contact=northwind())
    from tests.marketplace.conftest import stored_tokens
    tokens = stored_tokens(app)
    for entry in db.session.scalars(db.select(XeroActivity)):
        for value in (entry.request or "", entry.response or "", entry.summary):
            assert tokens["access"] not in value and tokens["refresh"] not in value
            assert "Bearer" not in value
