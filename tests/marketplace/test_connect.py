"""Connecting Xero against the sandbox: consent, the callback's refusals, the popup page,
the organisation choice, and reconnecting to the same or another organisation."""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.xero.settings.connect import BAD_STATE, DENIED, NONE_ASSIGNED, PENDING_GONE
from bridge.models import (
    ServiceTypeAccount,
    XeroAccount,
    XeroConnection,
    XeroPendingConsent,
    XeroSettings,
    utcnow,
)
from tests.marketplace.conftest import AU, AU_TENANT, NZ, NZ_TENANT, sandbox_connections, stored_tokens
from tests.workspace.conftest import count, make_service_type


def nothing_stored():
    assert count(XeroConnection) == 0
    assert count(XeroPendingConsent) == 0
    assert count(XeroSettings) == 0


def page_after(client, response) -> str:
    """The page a redirect leads to (its flashed messages included)."""
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_connect_starts_at_xeros_consent_with_a_fresh_state(xero, admin):
    first = admin.get("/marketplace/xero/connect")
    second = admin.get("/marketplace/xero/connect")
    url = urlsplit(first.headers["Location"])
    query = parse_qs(url.query)
    assert url.path == "/identity/connect/authorize"
    assert query["redirect_uri"] == ["http://localhost/marketplace/xero/callback"]
    assert "offline_access" in query["scope"][0].split()
    assert query["state"] != parse_qs(urlsplit(second.headers["Location"]).query)["state"]
    with admin.session_transaction() as session:
        # The state is kept server-side in the (signed) session; nothing else is.
        assert session["xero_oauth"] == {"state": parse_qs(urlsplit(second.headers["Location"]).query)["state"][0],
                                         "popup": False, "entity_id": 1}


def test_xero_redirect_uri_setting_wins(xero, admin, app):
    app.config["XERO_REDIRECT_URI"] = "https://bridge.example/marketplace/xero/callback"
    location = admin.get("/marketplace/xero/connect").headers["Location"]
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [app.config["XERO_REDIRECT_URI"]]


def test_one_organisation_connects_and_the_wizard_comes_next(xero, admin, users):
    response = xero.connect(tick=[NZ])
    assert response.headers["Location"] == "/marketplace/xero/1/setup"
    row = db.session.scalar(select(XeroConnection))
    assert (row.tenant_id, row.tenant_name, row.status) == (NZ_TENANT, NZ, "active")
    assert row.connected_by_id == users["admin"].id
    settings = db.session.get(XeroSettings, 1)
    assert settings.tenant_id == NZ_TENANT and settings.configured_at is None
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    assert "Connected to Demo Company (NZ)." in page
    card = admin.get("/settings/marketplace").get_data(as_text=True)
    assert "Connected to “Demo Company (NZ)”" in card and "Ada Admin" in card


def test_popup_gets_the_page_that_hands_the_next_url_to_the_marketplace(xero, admin):
    response = xero.connect(popup=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="consent-done" data-next="/marketplace/xero/1/setup"' in page
    assert "/static/js/marketplace.js" in page
    assert '<noscript><meta http-equiv="refresh" content="0; url=/marketplace/xero/1/setup"></noscript>' in page
    # The flash waits for the marketplace window: the popup page does not consume it.
    assert "Connected to Demo Company (NZ)" not in page
    assert "Connected to Demo Company (NZ)" in admin.get("/marketplace/xero/setup").get_data(as_text=True)


def test_deny_says_so_and_stores_nothing(xero, admin):
    response = admin.get(xero.consent(press="deny"))
    assert DENIED in page_after(admin, response)
    nothing_stored()


def test_deny_in_the_popup(xero, admin):
    response = admin.get(xero.consent(press="deny", popup=True))
    assert response.status_code == 400
    assert 'data-next="/settings/marketplace"' in response.get_data(as_text=True)
    assert DENIED in admin.get("/settings/marketplace").get_data(as_text=True)
    nothing_stored()


def test_forged_state_is_refused(xero, admin):
    callback = xero.consent()
    forged = callback.replace("state=", "state=forged")
    assert BAD_STATE in page_after(admin, admin.get(forged))
    nothing_stored()


def test_callback_without_a_started_connect_is_refused(xero, admin):
    callback = xero.consent()
    with admin.session_transaction() as session:
        session.pop("xero_oauth")
    assert BAD_STATE in page_after(admin, admin.get(callback))
    nothing_stored()


def test_replayed_callback_is_refused_and_changes_nothing(xero, admin):
    callback = xero.consent()
    admin.get(callback)
    before = db.session.scalar(select(XeroConnection))
    version, access = before.refresh_version, before.access_token_encrypted
    assert BAD_STATE in page_after(admin, admin.get(callback))
    db.session.expire_all()
    after = db.session.scalar(select(XeroConnection))
    assert count(XeroConnection) == 1
    assert (after.refresh_version, after.access_token_encrypted) == (version, access)


def test_expired_code_is_refused(xero, admin):
    callback = xero.consent()
    xero.control("clock/advance", seconds=301)  # codes live 5 minutes
    page = page_after(admin, admin.get(callback))
    assert "The Xero sign-in expired or was already used. Please connect again. Nothing was connected." in page
    nothing_stored()


def test_error_from_xero_and_a_missing_code(xero, admin):
    admin.get("/marketplace/xero/connect")
    with admin.session_transaction() as session:
        state = session["xero_oauth"]["state"]
    response = admin.get(f"/marketplace/xero/callback?error=server_error&state={state}")
    assert "Xero did not connect Bridge (server_error). Nothing was connected." in page_after(admin, response)
    admin.get("/marketplace/xero/connect")
    with admin.session_transaction() as session:
        state = session["xero_oauth"]["state"]
    response = admin.get(f"/marketplace/xero/callback?state={state}")
    assert "Xero&#39;s answer had no authorization code." in page_after(admin, response)
    nothing_stored()


def test_xero_unavailable_on_the_code_exchange_is_a_message(xero, admin):
    callback = xero.consent()
    xero.control("faults", kind="503", count=1, path_prefix="/connect/token")
    page = page_after(admin, admin.get(callback))
    assert "Xero&#39;s sign-in service is having problems at the moment. Nothing was connected." in page
    nothing_stored()


def test_several_organisations_ask_which_one_and_the_others_are_disconnected_at_xero(xero, admin):
    response = xero.connect(tick=[NZ, AU])
    pending = db.session.scalar(select(XeroPendingConsent))
    assert response.headers["Location"] == f"/marketplace/xero/organisations/{pending.id}?entity=1"
    assert count(XeroConnection) == 0
    assert {t["tenant_name"] for t in pending.tenants} == {NZ, AU}
    choice = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert NZ in choice and AU in choice

    chosen = xero.choose(AU)
    assert chosen.headers["Location"] == "/marketplace/xero/1/setup"
    assert count(XeroPendingConsent) == 0
    assert [r.tenant_id for r in db.session.scalars(select(XeroConnection))] == [AU_TENANT]
    # At Xero, only the chosen organisation is still connected to Bridge.
    listed = sandbox_connections(xero.sandbox, stored_tokens(admin.application)["access"])
    assert listed.status_code == 200
    assert [c["tenantId"] for c in listed.json()] == [AU_TENANT]


def test_choice_must_be_an_entity_of_the_list_and_use_one_organisation_at_least(xero, admin):
    xero.connect(tick=[NZ, AU])
    pending = db.session.scalar(select(XeroPendingConsent))
    url = f"/marketplace/xero/organisations/{pending.id}"
    response = admin.post(url, data={f"use-{NZ_TENANT}": "999", f"use-{AU_TENANT}": ""})
    assert response.status_code == 422
    assert "Not a valid choice." in response.get_data(as_text=True)
    response = admin.post(url, data={f"use-{NZ_TENANT}": "", f"use-{AU_TENANT}": ""})
    assert response.status_code == 422
    assert NONE_ASSIGNED in response.get_data(as_text=True).replace("&#39;", "'")
    assert count(XeroConnection) == 0 and count(XeroPendingConsent) == 1


def test_a_choice_is_single_use_and_expires(xero, admin):
    xero.connect(tick=[NZ, AU])
    pending = db.session.scalar(select(XeroPendingConsent))
    url = f"/marketplace/xero/organisations/{pending.id}"
    xero.choose(NZ)
    again = admin.post(url, data={f"use-{AU_TENANT}": "1"})
    assert PENDING_GONE in page_after(admin, again)
    assert [r.tenant_id for r in db.session.scalars(select(XeroConnection))] == [NZ_TENANT]

    db.session.execute(db.delete(XeroConnection))
    db.session.commit()
    xero.connect(tick=[NZ, AU])
    pending = db.session.scalar(select(XeroPendingConsent))
    pending.created_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    late = admin.get(f"/marketplace/xero/organisations/{pending.id}")
    assert PENDING_GONE in page_after(admin, late)
    assert count(XeroPendingConsent) == 0 and count(XeroConnection) == 0


def test_cancelling_the_choice_forgets_the_consent(xero, admin):
    xero.connect(tick=[NZ, AU])
    pending = db.session.scalar(select(XeroPendingConsent))
    response = admin.post(f"/marketplace/xero/organisations/{pending.id}/cancel")
    assert "Nothing was connected." in page_after(admin, response)
    nothing_stored()


def configure(admin, **extra):
    """Save the wizard with a default revenue account (and whatever else is given)."""
    data = {"invoice_numbers_by": "xero", "pdfs_by": "xero", "initial_status": "AUTHORISED",
            "reference_from": "purchase_order_number", "default_revenue_account_code": "200", **extra}
    response = admin.post("/marketplace/xero/setup", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_reconnecting_the_same_organisation_keeps_its_settings(xero, admin):
    design = make_service_type("Design")
    xero.connect(tick=[NZ])
    configure(admin, **{f"revenue_account_{design.id}": "220"})
    configured_at = db.session.get(XeroSettings, 1).configured_at
    admin.post("/marketplace/xero/disconnect")
    assert count(XeroConnection) == 0

    response = xero.connect(tick=[NZ])
    assert response.headers["Location"] == "/settings/marketplace"
    assert "Reconnected to Demo Company (NZ). Your settings are kept." in page_after(admin, response)
    db.session.expire_all()
    settings = db.session.get(XeroSettings, 1)
    assert (settings.tenant_id, settings.configured_at, settings.default_revenue_account_code,
            settings.initial_status) == (NZ_TENANT, configured_at, "200", "AUTHORISED")
    assert db.session.scalar(select(ServiceTypeAccount.revenue_account_code)) == "220"


def test_connecting_another_organisation_starts_fresh_and_says_so(xero, admin):
    design = make_service_type("Design")
    xero.connect(tick=[NZ])
    configure(admin, **{f"revenue_account_{design.id}": "220"})
    admin.post("/marketplace/xero/disconnect")

    response = xero.connect(tick=[AU])
    assert response.headers["Location"] == "/marketplace/xero/1/setup"
    assert ("Connected to a different organisation (Demo Company (AU)): settings start fresh."
            in page_after(admin, response))
    db.session.expire_all()
    settings = db.session.get(XeroSettings, 1)
    assert settings.tenant_id == AU_TENANT
    assert (settings.configured_at, settings.default_revenue_account_code, settings.initial_status,
            settings.invoice_numbers_by) == (None, None, "DRAFT", "bridge")
    assert count(ServiceTypeAccount) == 0
    assert set(db.session.scalars(select(XeroAccount.tenant_id))) == {AU_TENANT}


def test_connecting_another_organisation_while_connected_replaces_the_connection(xero, admin):
    xero.connect(tick=[NZ])
    old_access = stored_tokens(admin.application)["access"]
    xero.connect(tick=[AU])
    assert [r.tenant_id for r in db.session.scalars(select(XeroConnection))] == [AU_TENANT]
    # The old organisation was disconnected at Xero: the user's connections list only AU now.
    listed = sandbox_connections(xero.sandbox, stored_tokens(admin.application)["access"]).json()
    assert [c["tenantId"] for c in listed] == [AU_TENANT]
    assert sandbox_connections(xero.sandbox, old_access).json() == listed


@pytest.mark.parametrize("popup", [False, True])
def test_reconnect_after_needs_reconnect_keeps_settings(xero, admin, popup):
    xero.connect(tick=[NZ])
    configure(admin)
    row = db.session.scalar(select(XeroConnection))
    row.status, row.last_error = "needs_reconnect", "Xero refused the stored refresh token."
    db.session.commit()
    xero.connect(tick=[NZ], popup=popup)
    db.session.expire_all()
    row = db.session.scalar(select(XeroConnection))
    assert (row.status, row.last_error) == ("active", None)
    assert db.session.get(XeroSettings, 1).default_revenue_account_code == "200"
