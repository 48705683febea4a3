"""The home page's panels: Getting started (each step ticking from the database, hiding it) and
what needs attention (each item's count and link, the filtered lists they open), in a bounded
number of queries. The Xero side is rows as Bridge keeps them; the sandbox round trips are in
test_home_sandbox.py and tests/browser/test_getting_started.py."""
import datetime as dt
import html
import re
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import (
    Budget, Expense, Invoice, Payment, ServiceType, ServiceTypeAccount, WorkspaceSettings, XeroConnection,
    XeroCopy, XeroCurrency, XeroSettings, XeroSyncState, utcnow,
)
from bridge.xero.bills import mapping as bill_mapping
from bridge.xero.bills import send as bills
from tests.conftest import counting_queries
from tests.invoicing import factories
from tests.workspace.conftest import admin, member  # noqa: F401  (fixtures)

TENANT = "7a1d5c8e-0000-4c6d-9e0a-1b2c3d4e5f60"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def add(row):
    db.session.add(row)
    db.session.commit()
    return row


def connect(status="active") -> XeroConnection:
    """A connection as the consent leaves it (the tokens are never read here)."""
    return add(XeroConnection(tenant_id=TENANT, tenant_name="Demo Company (NZ)", connection_id=str(uuid4()),
                              access_token_encrypted="-", refresh_token_encrypted="-",
                              access_token_expires_at=NOW, status=status))


def configure(**values) -> XeroSettings:
    """The wizard saved for the connected organisation."""
    values = {"default_revenue_account_code": "200", **values}
    return add(XeroSettings(id=1, tenant_id=TENANT, configured_at=NOW, **values))


def copy(invoice=None, expense=None, state="done", action="create", number="INV-0042") -> XeroCopy:
    """One attempt as the copy service records it; a done copy marks the invoice copied."""
    row = add(XeroCopy(invoice_id=invoice.id if invoice else None, expense_id=expense.id if expense else None,
                       tenant_id=TENANT, attempt_key=str(uuid4()), action=action, state=state,
                       xero_id=str(uuid4()) if state == "done" else None,
                       xero_number=number if state == "done" else None, completed_at=utcnow()))
    if invoice is not None and state == "done":
        invoice.copied_at, invoice.xero_status, invoice.xero_number = utcnow(), "AUTHORISED", number
        db.session.commit()
    return row


def step(page: str, key: str) -> dict:
    """A step of Getting started: its state (done, current, later) and its action's link, if any."""
    found = re.search(rf'<li class="step step-(\w+)" data-step="{key}"(.*?)</li>', page, re.S)
    assert found, f"no step {key}"
    link = re.search(r'<a class="button[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', found.group(2))
    button = re.search(r'<form method="post" action="([^"]+)">.*?<button[^>]*>([^<]+)</button>', found.group(2), re.S)
    return {"state": found.group(1), "body": found.group(2),
            "link": (link.group(1), link.group(2)) if link else None,
            "button": (button.group(1), button.group(2)) if button else None}


def item(page: str, key: str) -> dict | None:
    """An item of Needs attention: its count (or "!") and its link, None when it is not there."""
    found = re.search(rf'<li class="attention-item" data-attention="{key}">(.*?)</li>', page, re.S)
    if not found:
        return None
    count = re.search(r'<span class="attention-count[^"]*"[^>]*>([^<]+)</span>', found.group(1)).group(1)
    link = re.search(r'<a class="button" href="([^"]+)">([^<]+)</a>', found.group(1))
    return {"count": count.strip(), "body": found.group(1), "link": (link.group(1), link.group(2)) if link else None}


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return text(response)


# Getting started: each step ticks from the database and links to where it is done.

def test_a_fresh_workspace_starts_with_connecting_xero(admin):
    page = home(admin)
    assert "Get started with Xero" in page and "0 of 5 done." in page
    assert step(page, "connect")["state"] == "current"
    assert step(page, "connect")["link"] == ("/settings/marketplace", "Connect Xero")
    for key in ("settings", "copy", "pay", "back"):
        assert step(page, key)["state"] == "later" and step(page, key)["link"] is None
    assert "Hide getting started" in page
    # Nothing to attend to yet, so no second panel while Getting started shows.
    assert 'id="attention"' not in page


def test_a_member_sees_the_steps_but_no_admin_links(member):
    page = home(member)
    assert step(page, "connect")["link"] is None
    assert "An admin does this in Settings." in step(page, "connect")["body"]
    assert "Hide getting started" not in page


def test_connecting_ticks_the_first_step_and_opens_the_setup(admin):
    connect()
    page = home(admin)
    assert step(page, "connect")["state"] == "done"
    assert "Connected to Demo Company (NZ)." in step(page, "connect")["body"]
    assert step(page, "settings")["state"] == "current"
    assert step(page, "settings")["link"] == ("/marketplace/xero/setup", "Open the setup")
    assert "1 of 5 done." in page


def test_settings_tick_the_second_step_and_offer_to_copy_the_newest_invoice(admin):
    connect()
    configure()
    acme = factories.company()
    factories.invoice(acme, issue_date=dt.date(2026, 3, 1))
    newest = factories.invoice(acme, issue_date=dt.date(2026, 4, 1))
    page = home(admin)
    assert step(page, "settings")["state"] == "done"
    assert step(page, "copy")["state"] == "current"
    assert step(page, "copy")["link"] == (f"/invoices/{newest.id}?xero=copy", f"Copy {newest.number}")
    # Payment sync is off: turning it on can be done now (only payments after it come back).
    assert step(page, "back")["link"] == ("/marketplace/xero/setup", "Turn on payment sync")
    assert step(page, "pay")["link"] is None


def test_with_no_invoice_yet_the_copy_step_creates_one(admin):
    connect()
    configure()
    assert step(home(admin), "copy")["link"] == ("/invoices/new", "Create an invoice")


def test_settings_made_for_another_organisation_do_not_tick(admin):
    connect()
    add(XeroSettings(id=1, tenant_id="another-organisation", configured_at=NOW))
    assert step(home(admin), "settings")["state"] == "current"


def test_a_done_copy_ticks_the_copy_and_opens_it_in_xero(admin, app):
    connect()
    configure(sync_payments=True)
    invoice = factories.invoice(factories.company())
    copy(invoice, state="failed")
    assert step(home(admin), "copy")["state"] == "current"  # a failed attempt is not a copy

    row = copy(invoice, number="INV-0042")
    page = home(admin)
    assert step(page, "copy")["state"] == "done"
    assert f"Invoice {invoice.number} is in Xero as INV-0042." in step(page, "copy")["body"]
    assert step(page, "pay")["state"] == "current"
    url = app.config["XERO_INVOICE_URL"].format(tenant_id=TENANT, invoice_id=row.xero_id)
    assert step(page, "pay")["link"] == (url, "Open INV-0042 in Xero")
    assert 'target="_blank"' in step(page, "pay")["body"]
    # With payment sync on, the last step is Sync now, which comes back to the home page.
    assert step(page, "back")["button"] == ("/marketplace/xero/sync", "Sync now")
    assert '<input type="hidden" name="back" value="home">' in step(page, "back")["body"]
    assert "3 of 5 done." in page


def test_a_payment_from_xero_ticks_the_last_steps_and_the_panel_goes(admin):
    connect()
    configure(sync_payments=True)
    invoice = factories.invoice(factories.company())
    copy(invoice)
    add(Payment(invoice_id=invoice.id, amount=Decimal("10.00"), date=dt.date(2026, 3, 5), source="manual"))
    assert step(home(admin), "pay")["state"] == "current"  # a payment recorded in Bridge proves nothing

    add(Payment(invoice_id=invoice.id, amount=Decimal("20.00"), date=dt.date(2026, 3, 6), source="xero",
                xero_payment_id=str(uuid4())))
    page = home(admin)
    assert "Get started with Xero" not in page
    assert "Nothing needs your attention." in page


def test_an_admin_hides_getting_started_for_the_workspace(admin, member, client, auth):
    assert db.session.get(WorkspaceSettings, 1) is None
    response = admin.post("/getting-started/hide")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert db.session.get(WorkspaceSettings, 1).getting_started_hidden_at is not None
    page = home(admin)
    assert "Get started with Xero" not in page and "Nothing needs your attention." in page
    auth.logout()
    auth.login("member")
    assert "Get started with Xero" not in home(client)


def test_hiding_with_htmx_swaps_the_panels(admin, hx):
    response = admin.post("/getting-started/hide", headers=hx)
    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="home-panels"')
    assert "Get started with Xero" not in page and "Nothing needs your attention." in page
    assert "<html" not in page


def test_a_member_cannot_hide_getting_started(member):
    assert member.post("/getting-started/hide").status_code == 403
    assert "Get started with Xero" in home(member)


# Needs attention: each item's count and link, and the list it opens.

@pytest.fixture
def ready(app):
    """Connected, set up, and Getting started hidden, so the attention panel shows."""
    connect()
    configure()
    add(WorkspaceSettings(id=1, getting_started_hidden_at=NOW))


def test_nothing_needs_attention_in_one_calm_line(admin, ready):
    page = home(admin)
    assert '<p class="all-clear">' in page and "Nothing needs your attention." in page
    assert "attention-item" not in page


def test_invoices_xero_refused_are_counted_and_listed(admin, ready):
    acme = factories.company()
    refused = factories.invoice(acme, "Refused first time")
    retried = factories.invoice(acme, "Refused, then copied")
    updated_badly = factories.invoice(acme, "Copied, then its update refused")
    copy(refused, state="failed")
    copy(retried, state="failed")
    copy(retried)
    copy(updated_badly)
    copy(updated_badly, action="update", state="failed")
    page = home(admin)
    assert item(page, "refused")["count"] == "2"
    assert item(page, "refused")["link"] == ("/?xero=refused", "Show 2 invoices")
    listed = text(admin.get("/?xero=refused"))
    assert "Refused first time" in listed and "Copied, then its update refused" in listed
    assert "Refused, then copied" not in listed
    assert listed.count('title="Xero refused the last copy: the invoice shows why">refused</span>') == 2
    # The filtered list is the list alone: the panels belong to the home page.
    assert "Needs attention" not in listed


def test_invoices_changed_since_copied_are_counted_and_listed(admin, ready):
    acme = factories.company()
    changed = factories.invoice(acme, "Changed after its copy")
    unchanged = factories.invoice(acme, "Edited before its copy")
    never = factories.invoice(acme, "Never copied")
    for invoice in (changed, unchanged):
        copy(invoice)
    changed.edited_at = changed.copied_at + dt.timedelta(minutes=5)
    unchanged.edited_at = unchanged.copied_at - dt.timedelta(minutes=5)
    never.edited_at = utcnow()
    db.session.commit()
    page = home(admin)
    assert item(page, "changed")["count"] == "1"
    assert item(page, "changed")["link"] == ("/?xero=changed", "Show 1 invoice")
    listed = text(admin.get("/?xero=changed"))
    assert "Changed after its copy" in listed
    assert "Edited before its copy" not in listed and "Never copied" not in listed


@pytest.mark.parametrize("value, subjects", [
    ("not_copied", {"Stayed home"}), ("copied", {"Went across"}),
])
def test_the_xero_filter_tells_copied_from_not_copied(admin, ready, value, subjects):
    acme = factories.company()
    factories.invoice(acme, "Stayed home")
    copy(factories.invoice(acme, "Went across"))
    listed = text(admin.get(f"/?xero={value}"))
    assert {s for s in ("Stayed home", "Went across") if s in listed} == subjects


def test_an_unknown_xero_filter_gets_a_clear_message(admin):
    response = admin.get("/?xero=lost")
    assert response.status_code == 422 and "Xero: Pick a Xero state from the list." in text(response)


def expense(budget, **values) -> Expense:
    """An expense with what a bill needs unless told otherwise."""
    supplier = values.pop("supplier", None) or factories.company(f"Supplier {uuid4().hex[:6]}")
    values = {"description": "Stock photos", "amount": Decimal("100.00"), "currency": budget.currency,
              "date": dt.date(2026, 3, 1), "due_date": dt.date(2026, 3, 31), "supplier_id": supplier.id, **values}
    return add(Expense(budget_id=budget.id, **values))


@pytest.fixture
def exporting(ready):
    settings = db.session.get(XeroSettings, 1)
    settings.export_expenses, settings.default_expense_account_code = True, "429"
    db.session.commit()
    return settings


def test_expenses_ready_for_xero_link_to_their_budget(admin, exporting):
    budget = add(Budget(name="Launch", currency="NZD"))
    expense(budget)
    expense(budget)
    expense(budget, supplier_id=None, supplier=factories.company("Unused"))
    expense(budget, due_date=None)
    copy(expense=expense(budget))
    page = home(admin)
    assert item(page, "expenses")["count"] == "2"
    assert item(page, "expenses")["link"] == (f"/budgets/{budget.id}", "Send 2 expenses")


def test_expenses_ready_in_several_budgets_link_to_those_budgets(admin, exporting):
    launch = add(Budget(name="Launch", currency="NZD"))
    retainer = add(Budget(name="Retainer", currency="NZD"))
    quiet = add(Budget(name="Quiet", currency="NZD"))
    expense(launch)
    expense(retainer)
    expense(retainer)
    expense(quiet, due_date=None)
    page = home(admin)
    assert item(page, "expenses")["link"] == ("/budgets?xero=ready", "Send 3 expenses")
    listed = text(admin.get("/budgets?xero=ready"))
    assert "Launch" in listed and "Retainer" in listed and "Quiet" not in listed
    retainer_row = listed.split(f'href="/budgets/{retainer.id}"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', retainer_row) == ["2", "2"]  # expenses, ready
    assert "Show all budgets" in listed


def test_no_expense_item_while_export_is_off(admin, ready):
    expense(add(Budget(name="Launch", currency="NZD")))
    assert item(home(admin), "expenses") is None
    # ?xero=ready then shows every budget, as nothing can be sent.
    assert "Launch" in text(admin.get("/budgets?xero=ready"))


def test_the_count_follows_the_bills_own_rule(app, exporting):
    """ready_to_send (SQL) agrees with what a bill needs (mapping.missing_fields), the currencies
    Xero enabled and the bills already made, expense by expense."""
    design = add(ServiceType(name="Design"))
    hosting = add(ServiceType(name="Hosting"))
    add(ServiceTypeAccount(service_type_id=design.id, expense_account_code="463"))
    add(XeroCurrency(tenant_id=TENANT, code="NZD", description="New Zealand Dollar"))
    add(XeroCurrency(tenant_id=TENANT, code="EUR", description="Euro"))
    budget = add(Budget(name="Launch", currency="NZD"))
    expenses = [
        expense(budget), expense(budget, service_type_id=design.id), expense(budget, service_type_id=hosting.id),
        expense(budget, supplier_id=None, supplier=factories.company("Nobody")), expense(budget, due_date=None),
        expense(budget, description="   "), expense(budget, currency="USD"), expense(budget, currency="EUR"),
    ]
    copy(expense=expenses[0])
    copy(expense=expenses[1], state="failed")

    def ready_ids() -> set[int]:
        return set(db.session.scalars(select(Expense.id).where(bills.ready_to_send(exporting))))

    def by_rule() -> set[int]:
        choices = bills.choices(exporting)
        billed = {row.expense_id for row in db.session.scalars(select(XeroCopy).where(XeroCopy.state == "done"))}
        return {e.id for e in expenses if not bill_mapping.missing_fields(e, choices)
                and e.currency in ("NZD", "EUR") and e.id not in billed}

    assert ready_ids() == by_rule() == {expenses[1].id, expenses[2].id, expenses[7].id}
    # Without a default expense account only mapped service types have an account.
    exporting.default_expense_account_code = None
    db.session.commit()
    assert ready_ids() == by_rule() == {expenses[1].id}


def test_a_connection_needing_a_reconnect_comes_first(admin, ready):
    connection = db.session.scalar(select(XeroConnection))
    connection.status = "needs_reconnect"
    settings = db.session.get(XeroSettings, 1)
    settings.sync_payments = True
    add(XeroSyncState(tenant_id=TENANT, last_error="Xero no longer accepts Bridge's access."))
    copy(factories.invoice(factories.company()), state="failed")
    page = home(admin)
    reconnect = item(page, "reconnect")
    assert reconnect["count"] == "!" and reconnect["link"] == ("/settings/marketplace", "Reconnect")
    assert "Demo Company (NZ)" in reconnect["body"]
    # The failing sync is the same cause: reconnecting resolves both, so it is not said twice.
    assert item(page, "sync") is None
    assert page.index('data-attention="reconnect"') < page.index('data-attention="refused"')


def test_a_failing_payment_sync_is_shown_until_a_run_succeeds(admin, ready):
    settings = db.session.get(XeroSettings, 1)
    settings.sync_payments = True
    state = add(XeroSyncState(tenant_id=TENANT, last_run_at=NOW,
                              last_error="Xero is having problems (HTTP 503, 4 attempts)."))
    page = home(admin)
    sync = item(page, "sync")
    assert sync["count"] == "!" and sync["link"] == ("/settings/marketplace#xero-sync", "See the sync")
    assert "Xero is having problems (HTTP 503, 4 attempts)." in sync["body"] and "Dec 1, 2026" in sync["body"]
    state.last_error = None
    db.session.commit()
    assert item(home(admin), "sync") is None
    # With payment sync off, an old error is not a failing sync.
    state.last_error, settings.sync_payments = "Old error", False
    db.session.commit()
    assert item(home(admin), "sync") is None


def test_a_member_sees_the_items_but_only_admins_get_the_settings_links(member, ready):
    db.session.scalar(select(XeroConnection)).status = "needs_reconnect"
    db.session.commit()
    copy(factories.invoice(factories.company()), state="failed")
    page = home(member)
    assert item(page, "reconnect")["link"] is None
    assert "An admin can resolve this in Settings." in item(page, "reconnect")["body"]
    assert item(page, "refused")["link"] == ("/?xero=refused", "Show 1 invoice")


def test_attention_shows_during_getting_started_only_when_something_needs_it(admin):
    connect()
    configure()
    page = home(admin)
    assert "Get started with Xero" in page and 'id="attention"' not in page
    copy(factories.invoice(factories.company()), state="failed")
    page = home(admin)
    assert "Get started with Xero" in page and item(page, "refused")["count"] == "1"


# Fast: the panels cost a bounded number of queries whatever the number of invoices.

def busy_workspace(invoices: int) -> None:
    """Invoices copied, refused and changed, expenses ready, a failing sync: every panel query runs."""
    settings = db.session.get(XeroSettings, 1)
    settings.export_expenses, settings.default_expense_account_code, settings.sync_payments = True, "429", True
    if db.session.scalar(select(XeroSyncState)) is None:
        add(XeroSyncState(tenant_id=TENANT, last_run_at=NOW, last_error="Xero is having problems."))
    acme = factories.company(f"Client {invoices}")
    budget = add(Budget(name=f"Budget {invoices}", currency="EUR"))
    rows = [Invoice(number=f"B{invoices}-{i:04}", subject=f"Job {i}", client=acme, currency="EUR",
                    issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1)) for i in range(invoices)]
    db.session.add_all(rows)
    db.session.commit()
    for i, invoice in enumerate(rows):
        db.session.add(XeroCopy(invoice_id=invoice.id, tenant_id=TENANT, attempt_key=str(uuid4()), action="create",
                                state="failed" if i % 3 == 0 else "done", xero_id=str(uuid4())))
        if i % 3:
            invoice.copied_at = NOW
            invoice.edited_at = NOW + dt.timedelta(minutes=1) if i % 3 == 2 else None
        db.session.add(Expense(budget_id=budget.id, description=f"Cost {i}", amount=Decimal("1.00"),
                               currency="EUR", date=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1),
                               supplier_id=acme.id))
    db.session.commit()


def test_the_home_page_costs_the_same_queries_for_30_and_300_invoices(admin, ready, app):
    counts = {}
    for size in (30, 300):
        busy_workspace(size)
        db.session.expire_all()
        with counting_queries() as statements:
            page = home(admin)
        counts[size] = len(statements)
        assert item(page, "refused") and item(page, "changed") and item(page, "expenses") and item(page, "sync")
    assert counts[30] == counts[300], counts
    assert counts[300] <= 16, counts
