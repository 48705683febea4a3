"""One consent, several organisations (one per billing entity): their rows share a token set,
so a refresh for one rewrites them all, and a refused refresh asks all of them to reconnect."""
from datetime import timedelta

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import BillingEntity, XeroConnection, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroAuthorisationLost
from bridge.xero.api.tokens import TokenCipher
from tests.xero.conftest import ACCESS_TOKEN, REFRESH_TOKEN
from tests.xero.payloads import API, AUTH_EVENT_ID, TOKEN_URL, organisation, token_response

NZ, UK = "2f6f0c9e-6b43-4f0a-9c52-4d3f5a3e1a11", "5d1e7a44-3b2c-4c1d-9e8f-0a1b2c3d4e5f"


def add_pair(app, *, second_auth_event=AUTH_EVENT_ID) -> None:
    """Two entities, each connected to its own organisation; tokens about to expire."""
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    for index, (tenant, auth_event) in enumerate([(NZ, AUTH_EVENT_ID), (UK, second_auth_event)], start=1):
        entity = BillingEntity(name=f"Entity {index}", base_currency="NZD")
        db.session.add(entity)
        db.session.flush()
        db.session.add(XeroConnection(
            entity_id=entity.id, tenant_id=tenant, tenant_name=f"Org {index}", connection_id=f"c{index}",
            auth_event_id=auth_event, access_token_encrypted=cipher.encrypt(ACCESS_TOKEN),
            refresh_token_encrypted=cipher.encrypt(REFRESH_TOKEN), access_token_expires_at=utcnow() + timedelta(
                seconds=30), scopes="offline_access", status="active", refresh_version=1))
    db.session.commit()


def tokens(app) -> dict[str, tuple[str, str, int]]:
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    db.session.expire_all()
    return {row.tenant_id: (cipher.decrypt(row.access_token_encrypted), cipher.decrypt(row.refresh_token_encrypted),
                            row.refresh_version) for row in db.session.scalars(select(XeroConnection))}


def test_a_refresh_for_one_organisation_renews_its_whole_token_set(xero_app, xero_http, sleeps):
    add_pair(xero_app)
    new = token_response(2)
    xero_http.post(TOKEN_URL, json=new)
    xero_http.get(f"{API}/Organisation", json=organisation())

    XeroClient(NZ, sleep=sleeps.append).get_organisation()
    assert tokens(xero_app) == {NZ: (new["access_token"], new["refresh_token"], 2),
                                UK: (new["access_token"], new["refresh_token"], 2)}
    # The other organisation's client uses the new tokens: no second refresh (the old refresh
    # token is spent).
    XeroClient(UK, sleep=sleeps.append).get_organisation()
    assert [call.request.url for call in xero_http.calls].count(TOKEN_URL) == 1
    assert xero_http.calls[-1].request.headers["Authorization"] == f"Bearer {new['access_token']}"
    assert xero_http.calls[-1].request.headers["xero-tenant-id"] == UK


def test_separate_consents_refresh_separately(xero_app, xero_http, sleeps):
    add_pair(xero_app, second_auth_event="0b5e0c2e-1111-4a2b-9c3d-444455556666")
    new = token_response(2)
    xero_http.post(TOKEN_URL, json=new)
    xero_http.get(f"{API}/Organisation", json=organisation())

    XeroClient(NZ, sleep=sleeps.append).get_organisation()
    assert tokens(xero_app) == {NZ: (new["access_token"], new["refresh_token"], 2),
                                UK: (ACCESS_TOKEN, REFRESH_TOKEN, 1)}


def test_a_refused_refresh_asks_every_organisation_of_the_set_to_reconnect(xero_app, xero_http, sleeps):
    add_pair(xero_app)
    xero_http.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})

    try:
        XeroClient(NZ, sleep=sleeps.append).get_organisation()
    except XeroAuthorisationLost:
        pass
    else:
        raise AssertionError("the refused refresh should have raised")
    db.session.expire_all()
    assert {row.tenant_id: row.status for row in db.session.scalars(select(XeroConnection))} == {
        NZ: "needs_reconnect", UK: "needs_reconnect"}
