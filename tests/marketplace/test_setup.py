"""The setup wizard and the pencil: what is offered, what is refused, the cache of Xero's
accounts and tax rates, "Refresh from Xero", archived-since flags, payment sync later on."""
import re

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.formatting import moment
from bridge.models import (
    ServiceTypeAccount,
    TaxRateMapping,
    XeroAccount,
    XeroConnection,
    XeroSettings,
    XeroTaxRate,
)
from tests.marketplace.conftest import NZ, NZ_TENANT, api_calls, revoke_at_sandbox, stored_tokens
from tests.workspace.conftest import count, field_errors, make_custom_field, make_service_type, make_tax_rate

VALID = {"invoice_numbers_by": "xero", "pdfs_by": "bridge", "initial_status": "MANUAL",
         "reference_from": "subject", "default_revenue_account_code": "200"}


def options(html: str, name: str) -> list[str]:
    """The values offered by a select."""
    select_html = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [v for v in re.findall(r'value="([^"]*)"', select_html) if v]


@pytest.fixture
def connected(xero):
    xero.connect(tick=[NZ])
    return xero


@pytest.fixture
def workspace(app):
    """Two service types, a tax rate and a custom field in Bridge."""
    return {"design": make_service_type("Design"), "hosting": make_service_type("Hosting"),
            "gst": make_tax_rate("GST 15%", "15"), "note": make_custom_field("Private note for the accountant")}


def test_wizard_offers_only_active_revenue_accounts_and_revenue_tax_rates(connected, admin, workspace):
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    design, gst = workspace["design"], workspace["gst"]
    # 210 is archived, 090 a bank account, 400 an expense account, 610 a system account.
    assert options(page, "default_revenue_account_code") == ["200", "220", "260", "270"]
    assert options(page, f"revenue_account_{design.id}") == ["200", "220", "260", "270"]
    assert options(page, "default_expense_account_code") == ["310", "400", "404", "429", "453", "463", "493"]
    assert options(page, f"expense_account_{design.id}") == options(page, "default_expense_account_code")
    # Active, for sales: not INPUT2 (purchases), GSTONIMPORTS (neither), TAX002 (deleted).
    assert sorted(options(page, f"tax_type_{gst.id}")) == ["NONE", "OUTPUT2", "TAX001", "ZERORATED"]
    assert options(page, "notes_custom_field_id") == [str(workspace["note"].id)]
    for explanation in ("Xero receives Bridge&#39;s number", "Manual asks for it at each copy",
                        "One way only, Xero to Bridge", "Which value of the invoice Xero shows as its Reference",
                        "History &amp; Notes in Xero", "Budget expenses can then be sent to Xero as bills"):
        assert explanation in page


def test_accounts_and_tax_rates_are_read_once_and_cached(app, connected, admin, sandbox):
    admin.get("/marketplace/xero/setup")
    read_at = db.session.scalar(select(XeroAccount.read_at).limit(1))
    assert read_at is not None and count(XeroTaxRate) == 7
    admin.get("/marketplace/xero/setup")
    admin.post("/marketplace/xero/setup", data={})
    assert api_calls(sandbox, "/Accounts") == 1 and api_calls(sandbox, "/TaxRates") == 1
    with app.test_request_context():
        shown = moment(read_at)
    assert shown in admin.get("/marketplace/xero/setup").get_data(as_text=True)


def test_refresh_from_xero_reads_again_and_keeps_the_choices_being_made(connected, admin, sandbox, hx, workspace):
    admin.get("/marketplace/xero/setup")
    sandbox.control(f"organisations/{NZ_TENANT}/accounts/260/archive")
    unsaved = {**VALID, f"revenue_account_{workspace['design'].id}": "270"}
    response = admin.post("/marketplace/xero/setup/refresh", data=unsaved, headers=hx)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.startswith('<div id="xero-reference"') and "<html" not in fragment
    assert "read from Xero just now" in fragment
    assert options(fragment, "default_revenue_account_code") == ["200", "220", "270"]
    assert re.search(rf'name="revenue_account_{workspace["design"].id}".*?<option selected value="270">',
                     fragment, re.S)
    assert api_calls(sandbox, "/Accounts") == 2
    assert count(XeroSettings) == 1 and db.session.get(XeroSettings, 1).configured_at is None
    # Without HTMX the whole page comes back, the choices still made.
    page = admin.post("/marketplace/xero/setup/refresh", data=unsaved).get_data(as_text=True)
    assert "<html" in page and 'id="xero-reference"' in page


def test_saving_the_wizard(connected, admin, workspace, users):
    design, hosting, gst, note = (workspace[k] for k in ("design", "hosting", "gst", "note"))
    response = admin.post("/marketplace/xero/setup", data={
        **VALID, "sync_payments": "y", "notes_custom_field_id": str(note.id),
        f"revenue_account_{design.id}": "220", f"revenue_account_{hosting.id}": "",
        f"tax_type_{gst.id}": "OUTPUT2",
        "export_expenses": "y", "default_expense_account_code": "429", f"expense_account_{design.id}": "463",
    })
    assert response.status_code == 302 and response.headers["Location"] == "/settings/marketplace"
    settings = db.session.get(XeroSettings, 1)
    assert (settings.invoice_numbers_by, settings.pdfs_by, settings.initial_status, settings.reference_from,
            settings.notes_custom_field_id, settings.default_revenue_account_code, settings.export_expenses,
            settings.default_expense_account_code, settings.sync_payments) == (
        "xero", "bridge", "MANUAL", "subject", note.id, "200", True, "429", True)
    assert settings.payments_synced_since is not None and settings.configured_at is not None
    assert settings.updated_by_id == users["admin"].id
    mappings = {m.service_type_id: (m.revenue_account_code, m.expense_account_code)
                for m in db.session.scalars(select(ServiceTypeAccount))}
    assert mappings == {design.id: ("220", "463")}
    assert db.session.scalar(select(TaxRateMapping.xero_tax_type).where(TaxRateMapping.tax_rate_id == gst.id)) == "OUTPUT2"
    assert "Xero is set up." in admin.get("/settings/marketplace").get_data(as_text=True)


def posted_and_refused(admin, data, field: str) -> list[str]:
    """Post the wizard: 422, nothing saved, only `field` marked invalid; its error messages."""
    response = admin.post("/marketplace/xero/setup", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was saved." in html
    settings = db.session.get(XeroSettings, 1)
    assert settings.configured_at is None and settings.default_revenue_account_code is None
    assert count(ServiceTypeAccount) == 0 and count(TaxRateMapping) == 0
    invalid = set(re.findall(r'<(?:select|input)[^>]*aria-invalid="true"[^>]*name="([^"]+)"', html))
    assert invalid == {field}
    return field_errors(response)


def test_default_revenue_account_is_required(connected, admin):
    errors = posted_and_refused(admin, {**VALID, "default_revenue_account_code": ""}, "default_revenue_account_code")
    assert errors == ["Choose the default revenue account."]


def test_expenses_on_need_a_default_expense_account(connected, admin):
    response_errors = posted_and_refused(admin, {**VALID, "export_expenses": "y"}, "default_expense_account_code")
    assert response_errors == ["Choose the default expense account, or turn exporting expenses off."]
    # The Expenses card stays open to show it.
    html = admin.post("/marketplace/xero/setup", data={**VALID, "export_expenses": "y"}).get_data(as_text=True)
    assert '<div id="expense-fields">' in html


@pytest.mark.parametrize("field, value", [
    ("default_revenue_account_code", "400"),  # an expense account
    ("default_revenue_account_code", "210"),  # archived revenue account
    ("default_revenue_account_code", "999"),  # not in the chart at all
    ("revenue_account_{design}", "090"),  # a bank account
    ("expense_account_{design}", "200"),  # a revenue account as an expense account
    ("tax_type_{gst}", "INPUT2"),  # purchases only
    ("expense_tax_type", "OUTPUT2"),  # sales only: not a rate for bills
])
def test_tampered_codes_are_refused_at_the_field(connected, admin, workspace, field, value):
    name = field.format(design=workspace["design"].id, gst=workspace["gst"].id)
    data = {**VALID, "export_expenses": "y", "default_expense_account_code": "429"}
    errors = posted_and_refused(admin, {**data, name: value}, name)
    assert errors in (["Choose an account from the list."], ["Choose a tax rate from the list."])


def test_bills_get_a_tax_rate_for_purchases_or_the_accounts_default(connected, admin):
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    offered = options(page, "expense_tax_type")
    assert "INPUT2" in offered and "OUTPUT2" not in offered
    assert "None: the account&#39;s default" in page
    data = {**VALID, "export_expenses": "y", "default_expense_account_code": "429", "expense_tax_type": "INPUT2"}
    assert admin.post("/marketplace/xero/setup", data=data).status_code == 302
    assert db.session.get(XeroSettings, 1).expense_tax_type == "INPUT2"
    assert admin.post("/marketplace/xero/setup", data={**data, "expense_tax_type": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(XeroSettings, 1).expense_tax_type is None


@pytest.mark.parametrize("field, value", [("initial_status", "PAID"), ("reference_from", "notes"),
                                          ("invoice_numbers_by", ""), ("notes_custom_field_id", "12345")])
def test_unknown_choices_are_refused(connected, admin, field, value):
    assert posted_and_refused(admin, {**VALID, field: value}, field)


def test_mapping_archived_in_xero_since_is_flagged(connected, admin, sandbox, workspace):
    design = workspace["design"]
    admin.post("/marketplace/xero/setup", data={**VALID, f"revenue_account_{design.id}": "220"})
    sandbox.control(f"organisations/{NZ_TENANT}/accounts/220/archive")
    sandbox.control(f"organisations/{NZ_TENANT}/accounts/200/archive")
    page = admin.post("/marketplace/xero/setup/refresh", data={}).get_data(as_text=True)
    assert "220 · Design Services is archived in Xero — pick another." in page
    assert "200 · Sales is archived in Xero — pick another." in page
    # Saving it unchanged is refused, at the fields; picking another works.
    response = admin.post("/marketplace/xero/setup", data={**VALID, f"revenue_account_{design.id}": "220"})
    assert response.status_code == 422
    assert {"220 · Design Services is archived in Xero — pick another.",
            "200 · Sales is archived in Xero — pick another."} <= set(field_errors(response))
    fixed = admin.post("/marketplace/xero/setup", data={
        **VALID, "default_revenue_account_code": "260", f"revenue_account_{design.id}": ""})
    assert fixed.status_code == 302
    assert count(ServiceTypeAccount) == 0


def test_pencil_shows_the_saved_settings_and_payment_sync_can_be_turned_on_later(connected, admin):
    admin.post("/marketplace/xero/setup", data=VALID)
    settings = db.session.get(XeroSettings, 1)
    assert settings.sync_payments is False and settings.payments_synced_since is None
    card = admin.get("/settings/marketplace").get_data(as_text=True)
    assert 'href="/marketplace/xero/1/setup"' in card and 'aria-label="Edit the Xero integration of My agency"' in card
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    assert "<h1>Xero settings</h1>" in page
    assert '<input checked id="initial_status-3" name="initial_status" type="radio" value="MANUAL">' in page
    assert '<option selected value="200">' in page

    admin.post("/marketplace/xero/setup", data={**VALID, "sync_payments": "y"})
    db.session.expire_all()
    settings = db.session.get(XeroSettings, 1)
    on_since = settings.payments_synced_since
    assert settings.sync_payments is True and on_since is not None
    assert "Xero settings saved. They apply from the next copy or sync." in admin.get(
        "/settings/marketplace").get_data(as_text=True)
    # Saving again keeps the moment it was turned on; turning it off forgets it.
    admin.post("/marketplace/xero/setup", data={**VALID, "sync_payments": "y"})
    db.session.expire_all()
    assert db.session.get(XeroSettings, 1).payments_synced_since == on_since
    admin.post("/marketplace/xero/setup", data=VALID)
    db.session.expire_all()
    assert db.session.get(XeroSettings, 1).payments_synced_since is None


def test_wizard_without_a_connection_sends_to_the_marketplace(admin, sandbox):
    response = admin.get("/marketplace/xero/setup")
    assert response.headers["Location"] == "/settings/marketplace"
    assert admin.post("/marketplace/xero/setup/refresh").headers["Location"] == "/settings/marketplace"


def test_xero_refusing_the_reference_read_is_a_message_not_a_500(connected, admin, sandbox):
    sandbox.control("faults", kind="429", count=1, path_prefix="/api.xro/2.0/Accounts", problem="day",
                    retry_after=7200)
    response = admin.get("/marketplace/xero/setup")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ("Bridge could not read the accounts and tax rates from Xero: Xero&#39;s daily limit of calls "
            "for this organisation is used up") in page
    assert "not read from Xero yet" in page
    # The next visit reads them.
    assert options(admin.get("/marketplace/xero/setup").get_data(as_text=True),
                   "default_revenue_account_code") == ["200", "220", "260", "270"]


def test_access_ended_on_xeros_side_shows_needs_reconnecting(connected, admin, sandbox):
    admin.post("/marketplace/xero/setup", data=VALID)
    revoke_at_sandbox(sandbox, stored_tokens(admin.application)["refresh"])
    page = admin.post("/marketplace/xero/setup/refresh").get_data(as_text=True)
    assert "Bridge&#39;s access to this Xero organisation has ended. An admin must reconnect it." in page
    db.session.expire_all()
    assert db.session.scalar(select(XeroConnection.status)) == "needs_reconnect"
    card = admin.get("/settings/marketplace").get_data(as_text=True)
    assert "Needs reconnecting" in card
    assert re.search(r'<a class="button primary" data-popup href="/marketplace/xero/1/connect\?popup=1">Reconnect</a>', card)
    assert "Reconnecting keeps your settings." in card
    # The cache stays usable for the form meanwhile.
    assert options(admin.get("/marketplace/xero/setup").get_data(as_text=True),
                   "default_revenue_account_code") == ["200", "220", "260", "270"]


def test_tax_rate_mapping_deleted_in_xero_since_is_flagged(connected, admin, workspace):
    gst = workspace["gst"]
    admin.post("/marketplace/xero/setup", data={**VALID, f"tax_type_{gst.id}": "TAX001"})
    # As a later read from Xero would find it (the sandbox has no control to delete a rate).
    cached = db.session.scalar(select(XeroTaxRate).filter_by(tenant_id=NZ_TENANT, tax_type="TAX001"))
    cached.status = "DELETED"
    db.session.commit()
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    assert "Local Levy 5% · 5% (TAX001) is deleted in Xero — pick another." in page
    response = admin.post("/marketplace/xero/setup", data={**VALID, f"tax_type_{gst.id}": "TAX001"})
    assert response.status_code == 422
    assert field_errors(response) == ["Local Levy 5% · 5% (TAX001) is deleted in Xero — pick another."]


def test_the_page_follows_the_help_article_and_sums_up_its_errors_at_the_top(connected, admin, workspace):
    """Numbering, PDFs, payments, status, reference, notes, accounts, tax rates, expenses; a
    refused save lists each error first, linked to its field, in the same order."""
    html = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    order = ["Invoice numbers are generated by", "Invoice PDFs are generated by",
             "Synchronize payments from Xero to Bridge", "Initial invoice status in Xero", "Xero Reference field",
             "Custom field sent to Xero internal notes", "Default revenue account", "<h2>Tax rates</h2>",
             "Export expenses to Xero"]
    places = [html.index(words) for words in order]
    assert places == sorted(places)
    assert "error-summary" not in html

    refused = admin.post("/marketplace/xero/setup", data={
        **VALID, "initial_status": "", "default_revenue_account_code": "", "export_expenses": "y"})
    html = refused.get_data(as_text=True)
    summary = re.search(r'<div class="errors error-summary"[^>]*data-error-summary>(.*?)</div>', html, re.S).group(1)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert [(target, text.replace("&#39;", "'")) for target, text in links] == [
        ("initial_status-0", "Initial invoice status in Xero: Choose a status from the list."),
        ("default_revenue_account_code", "Default revenue account: Choose the default revenue account."),
        ("default_expense_account_code",
         "Default expense account: Choose the default expense account, or turn exporting expenses off."),
    ]
    for target, _ in links:
        assert f'id="{target}"' in html
