"""Connecting an organisation: authorize URL and state, code exchange, connections,
saving the connection, disconnecting and revoking."""
import base64
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from bridge.extensions import db
from bridge.models import XeroConnection
from bridge.xero.api.client import XeroClient, XeroTenant, states_match
from bridge.xero.api.errors import XeroAuthorisationLost, XeroError
from bridge.xero.api.tokens import TokenSet
from tests.xero.conftest import REFRESH_TOKEN, add_connection, stored
from tests.xero.payloads import (
    AUTH_EVENT_ID,
    CONNECTION_ID,
    REAL_XERO,
    TENANT_ID,
    TOKEN_URL,
    XERO_USER_ID,
    connections,
    token_response,
)

REDIRECT = "http://127.0.0.1:5000/marketplace/xero/callback"
REVOCATION_URL = REAL_XERO["XERO_REVOCATION_URL"]
CONNECTIONS_URL = REAL_XERO["XERO_CONNECTIONS_URL"]


def basic(config) -> str:
    pair = f"{config['XERO_CLIENT_ID']}:{config['XERO_CLIENT_SECRET']}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def form(call) -> dict:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def test_authorization_url_has_scopes_and_a_random_state(xero_app):
    client = XeroClient()
    url, state = client.authorization_url(REDIRECT)
    other_url, other_state = client.authorization_url(REDIRECT)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REAL_XERO["XERO_AUTHORIZE_URL"]
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code", "client_id": "test-client-id", "redirect_uri": REDIRECT,
        "scope": xero_app.config["XERO_SCOPES"], "state": state,
    }
    assert len(state) >= 40 and state != other_state


def test_state_compared_in_constant_time():
    assert states_match("abc", "abc")
    assert not states_match("abc", "abd")
    assert not states_match("abc", None) and not states_match(None, None)
    assert not states_match("", "")
    assert XeroClient.state_matches("x", "x")


def test_exchange_code(xero_app, xero_http):
    xero_http.post(TOKEN_URL, json=token_response(1, id_token=True))
    tokens = XeroClient().exchange_code("auth-code-123", REDIRECT)
    call = xero_http.calls[0]
    assert form(call) == {"grant_type": "authorization_code", "code": "auth-code-123",
                          "redirect_uri": REDIRECT}
    assert call.request.headers["Authorization"] == basic(xero_app.config)
    assert tokens.refresh_token == "refresh-token-1-d1a8e5c0b2"
    assert tokens.xero_user_id == XERO_USER_ID and tokens.auth_event_id == AUTH_EVENT_ID
    assert tokens.scope.startswith("openid profile email offline_access")


def test_exchange_code_expired_or_reused(xero_app, xero_http):
    xero_http.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    with pytest.raises(XeroAuthorisationLost, match="connect again"):
        XeroClient().exchange_code("used-code", REDIRECT)


def test_exchange_code_with_wrong_client_credentials(xero_app, xero_http):
    xero_http.post(TOKEN_URL, status=400, json={"error": "invalid_client"})
    with pytest.raises(XeroError, match="XERO_CLIENT_ID"):
        XeroClient().exchange_code("code", REDIRECT)


def test_exchange_code_is_not_retried(xero_app, xero_http):
    from bridge.xero.api.errors import XeroUnavailable

    xero_http.post(TOKEN_URL, status=503)
    xero_http.post(TOKEN_URL, json=token_response(1))
    with pytest.raises(XeroUnavailable):
        XeroClient().exchange_code("code", REDIRECT)
    assert len(xero_http.calls) == 1


def test_list_connections_of_a_new_token_set(xero_app, xero_http):
    xero_http.get(CONNECTIONS_URL, json=connections())
    tokens = TokenSet.from_response(token_response(1))
    found = XeroClient().list_connections(tokens, auth_event_id=tokens.auth_event_id)
    request = xero_http.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {tokens.access_token}"
    assert "xero-tenant-id" not in request.headers
    assert parse_qs(urlsplit(request.url).query) == {"authEventId": [AUTH_EVENT_ID]}
    assert found == [XeroTenant(
        connection_id=CONNECTION_ID, tenant_id=TENANT_ID, tenant_name="Demo Company (NZ)",
        tenant_type="ORGANISATION", auth_event_id=AUTH_EVENT_ID,
        created_at=datetime(2019, 12, 7, 18, 46, 19, 516540, tzinfo=timezone.utc),
        updated_at=datetime(2019, 12, 7, 18, 46, 19, 518784, tzinfo=timezone.utc),
    )]


def test_save_connection_encrypts_and_upserts(xero_app, users):
    tokens = TokenSet.from_response(token_response(1, id_token=True))
    tenant = XeroTenant(CONNECTION_ID, TENANT_ID, "Demo Company (NZ)", "ORGANISATION",
                        AUTH_EVENT_ID, None, None)
    client = XeroClient()
    row = client.save_connection(tokens, tenant, connected_by_id=users["admin"].id)
    db.session.commit()
    saved = stored(xero_app)
    assert (saved["access"], saved["refresh"]) == (tokens.access_token, tokens.refresh_token)
    assert tokens.refresh_token not in saved["refresh_token_encrypted"]
    assert (row.xero_user_id, row.connection_id, row.status) == (XERO_USER_ID, CONNECTION_ID,
                                                                 "active")
    assert row.connected_by_id == users["admin"].id and row.refresh_version == 1

    # Reconnecting the same organisation (say after needs_reconnect) replaces the tokens.
    row.status, row.last_error = "needs_reconnect", "Xero refused the stored refresh token."
    db.session.commit()
    newer = TokenSet.from_response(token_response(2))
    again = client.save_connection(newer, tenant)
    db.session.commit()
    assert again.id == row.id
    assert db.session.scalar(db.select(db.func.count()).select_from(XeroConnection)) == 1
    saved = stored(xero_app)
    assert (saved["refresh"], saved["status"], saved["last_error"], saved["refresh_version"]) == (
        newer.refresh_token, "active", None, 2)


def test_delete_connection(xero_app, connection, xero_http, sleeps):
    xero_http.delete(f"{CONNECTIONS_URL}/{CONNECTION_ID}", status=204)
    client = XeroClient(TENANT_ID, sleep=sleeps.append)
    assert client.delete_connection() is True
    request = xero_http.calls[0].request
    assert request.headers["Authorization"].startswith("Bearer ")
    assert "xero-tenant-id" not in request.headers


def test_delete_connection_already_gone(xero_app, connection, xero_http, sleeps):
    xero_http.delete(f"{CONNECTIONS_URL}/{CONNECTION_ID}", status=404)
    assert XeroClient(TENANT_ID, sleep=sleeps.append).delete_connection() is False


def test_revoke_token(xero_app, connection, xero_http, sleeps):
    xero_http.post(REVOCATION_URL, status=200, body="")
    XeroClient(TENANT_ID, sleep=sleeps.append).revoke_token()
    call = xero_http.calls[0]
    assert form(call) == {"token": REFRESH_TOKEN}
    assert call.request.headers["Authorization"] == basic(xero_app.config)


def test_revoke_token_refused(xero_app, connection, xero_http, sleeps):
    xero_http.post(REVOCATION_URL, status=400, json={"error": "invalid_client"})
    with pytest.raises(XeroError, match="Xero refused to end Bridge's access.") as refused:
        XeroClient(TENANT_ID, sleep=sleeps.append).revoke_token()
    assert refused.value.status == 400


def test_identity_calls_are_counted(xero_app, xero_http):
    from bridge.xero.api.ratelimit import call_counts

    xero_http.post(TOKEN_URL, json=token_response(1))
    XeroClient().exchange_code("code", REDIRECT)
    assert call_counts() == {(None, "POST /connect/token"): 1}


def test_sandbox_over_plain_http_works_with_authlib(xero_app, xero_http):
    """The sandbox runs on http://127.0.0.1; Authlib must not refuse it."""
    xero_app.config.update(XERO_TOKEN_URL="http://127.0.0.1:5050/connect/token",
                           XERO_AUTHORIZE_URL="http://127.0.0.1:5050/identity/connect/authorize")
    xero_http.post("http://127.0.0.1:5050/connect/token", json=token_response(1))
    url, _ = XeroClient().authorization_url(REDIRECT)
    assert url.startswith("http://127.0.0.1:5050/identity/connect/authorize?")
    assert XeroClient().exchange_code("code", REDIRECT).refresh_token


def test_connection_needing_reconnect_refuses_calls(xero_app, xero_http, sleeps):
    add_connection(xero_app, status="needs_reconnect")
    with pytest.raises(XeroAuthorisationLost):
        XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()
    assert len(xero_http.calls) == 0
