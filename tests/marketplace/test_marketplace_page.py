"""The App Marketplace page: its place in Settings, the Xero card in each state with the
connection's health, and the rule that only admins get in."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroConnection
from tests.marketplace.conftest import NZ

ROUTES = [
    ("get", "/settings/marketplace"),
    ("get", "/marketplace/xero/connect"),
    ("get", "/marketplace/xero/callback?code=x&state=y"),
    ("get", "/marketplace/xero/organisations/some-id"),
    ("post", "/marketplace/xero/organisations/some-id"),
    ("post", "/marketplace/xero/organisations/some-id/cancel"),
    ("get", "/marketplace/xero/setup"),
    ("post", "/marketplace/xero/setup"),
    ("post", "/marketplace/xero/setup/refresh"),
    ("post", "/marketplace/xero/setup/tracking"),
    ("get", "/marketplace/xero/disconnect"),
    ("post", "/marketplace/xero/disconnect"),
    ("get", "/settings/marketplace/xero/activity"),
    ("get", "/settings/marketplace/xero/reconcile"),
    ("post", "/marketplace/xero/sync"),
    # The same, for one billing entity (the URLs above mean the first entity).
    ("get", "/marketplace/xero/1/connect"),
    ("get", "/marketplace/xero/1/setup"),
    ("post", "/marketplace/xero/1/setup"),
    ("post", "/marketplace/xero/1/setup/refresh"),
    ("post", "/marketplace/xero/1/setup/tracking"),
    ("get", "/marketplace/xero/1/disconnect"),
    ("post", "/marketplace/xero/1/disconnect"),
    ("get", "/settings/marketplace/xero/1/reconcile"),
    ("post", "/marketplace/xero/1/sync"),
]


def test_every_marketplace_route_is_registered_here(app):
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("marketplace.")}
    assert rules == {url.split("?")[0].replace("some-id", "<pending_id>").replace("/1/", "/<int:entity_id>/")
                     for _, url in ROUTES}


@pytest.mark.parametrize("method, url", [r for r in ROUTES if r != ("get", "/settings/marketplace")])
def test_members_get_403_everywhere_but_the_cards(member, method, url):
    assert getattr(member, method)(url).status_code == 403


@pytest.mark.parametrize("method, url", [r for r in ROUTES if r[0] == "get"])
def test_logged_out_people_are_sent_to_log_in(client, method, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_marketplace_is_a_settings_section(admin):
    settings = admin.get("/settings").get_data(as_text=True)
    assert '<a href="/settings/marketplace">App Marketplace</a>' in settings


def test_not_connected(admin, sandbox):
    page = admin.get("/settings/marketplace").get_data(as_text=True)
    assert "<h1>App Marketplace</h1>" in page and "Xero" in page
    assert '<span class="badge">Not connected</span>' in page
    assert '<a class="button primary" data-popup href="/marketplace/xero/1/connect?popup=1">Connect App</a>' in page
    assert "/static/js/marketplace.js" in page
    assert 'aria-label="Disconnect Xero"' not in page


def card_after(xero, admin, **values) -> str:
    """The marketplace page once connected, with these values set on the connection row."""
    xero.connect(tick=[NZ])
    row = db.session.scalar(select(XeroConnection))
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()
    return admin.get("/settings/marketplace").get_data(as_text=True)


def test_connected_card_shows_the_connection_health(xero, admin):
    page = card_after(
        xero, admin, connected_at=datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc),
        last_success_at=datetime(2026, 11, 3, 14, 5, tzinfo=timezone.utc),
        last_error="Xero is having problems at the moment. Please try again in a few minutes.")
    assert '<span class="badge badge-ok">Connected to “Demo Company (NZ)”</span>' in page
    assert "<dt>Organisation</dt><dd>Demo Company (NZ)</dd>" in page
    assert "Ada Admin, Nov 2, 2026, 9:30\u202fAM UTC" in page
    assert "Nov 3, 2026, 2:05\u202fPM UTC" in page
    assert "Xero is having problems at the moment." in page
    assert "The setup is not finished" in page
    assert "Connect App" not in page


def test_needs_reconnecting_card(xero, admin):
    page = card_after(xero, admin, status="needs_reconnect",
                      last_error="Bridge's access to this Xero organisation has ended. An admin must reconnect it.")
    assert '<span class="badge badge-warn">Needs reconnecting</span>' in page
    assert '<a class="button primary" data-popup href="/marketplace/xero/1/connect?popup=1">Reconnect</a>' in page
    assert "Reconnecting keeps your settings." in page
    assert "An admin must reconnect it." in page
