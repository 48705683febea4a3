"""Tokens: encrypted at rest, refreshed before expiry and on 401 TokenExpired, rotated
atomically, never shown; invalid_grant asks for a reconnect."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from bridge.extensions import db
from bridge.models import XeroConnection, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroAuthorisationLost, XeroRateLimited, XeroUnavailable
from bridge.xero.api.tokens import TokenCipher, TokenSet
from tests.xero.conftest import ACCESS_TOKEN, REFRESH_TOKEN, add_connection, stored
from tests.xero.payloads import API, TENANT_ID, TOKEN_URL, organisation, problem, token_response


def form(call) -> dict:
    from urllib.parse import parse_qs
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def test_tokens_are_stored_encrypted(xero_app, connection):
    row = stored(xero_app)
    assert ACCESS_TOKEN not in row["access_token_encrypted"]
    assert REFRESH_TOKEN not in row["refresh_token_encrypted"]
    assert (row["access"], row["refresh"]) == (ACCESS_TOKEN, REFRESH_TOKEN)


def test_nothing_shows_a_token(xero_app, connection, xero):
    tokens = TokenSet.from_response(token_response(2, id_token=True))
    for shown in (repr(tokens), str(tokens), repr(connection), repr(xero),
                  repr(TokenCipher(xero_app.config["XERO_TOKEN_KEY"]))):
        assert tokens.access_token not in shown and tokens.refresh_token not in shown
        assert ACCESS_TOKEN not in shown and "refresh-token" not in shown
        assert xero_app.config["XERO_TOKEN_KEY"] not in shown


def test_refresh_before_expiry_rotates_both_tokens(xero_app, xero_http, sleeps, caplog):
    add_connection(xero_app, expires_in=timedelta(seconds=59))
    new = token_response(2)
    xero_http.post(TOKEN_URL, json=new)
    xero_http.get(f"{API}/Organisation", json=organisation())
    caplog.set_level(logging.DEBUG)

    XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()

    token_call, api_call = xero_http.calls
    assert form(token_call) == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
    assert api_call.request.headers["Authorization"] == f"Bearer {new['access_token']}"
    row = stored(xero_app)
    assert (row["access"], row["refresh"]) == (new["access_token"], new["refresh_token"])
    assert new["access_token"] not in row["access_token_encrypted"]
    assert new["refresh_token"] not in row["refresh_token_encrypted"]
    assert row["refresh_version"] == 2
    expires_at = db.session.scalar(db.select(XeroConnection.access_token_expires_at))
    assert utcnow() + timedelta(minutes=29) < expires_at <= utcnow() + timedelta(minutes=30)
    for secret in (new["access_token"], new["refresh_token"], REFRESH_TOKEN, ACCESS_TOKEN):
        assert secret not in caplog.text


def test_no_refresh_while_the_token_is_fresh(xero_app, connection, xero_http, xero):
    xero_http.get(f"{API}/Organisation", json=organisation())
    xero.get_organisation()
    xero.get_organisation()
    assert [c.request.url for c in xero_http.calls] == [f"{API}/Organisation"] * 2


def test_refresh_once_on_401_token_expired(xero_app, connection, xero_http, xero):
    new = token_response(2)
    xero_http.get(f"{API}/Organisation", status=401,
                  json=problem(401, "TokenExpired: token expired at 04/09/2026 05:16:59"))
    xero_http.get(f"{API}/Organisation", json=organisation())
    xero_http.post(TOKEN_URL, json=new)

    assert xero.get_organisation()["Name"] == "Demo Company (NZ)"

    first, token_call, second = xero_http.calls
    assert first.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert token_call.request.url == TOKEN_URL
    assert second.request.headers["Authorization"] == f"Bearer {new['access_token']}"
    assert stored(xero_app)["refresh"] == new["refresh_token"]


def test_401_twice_is_not_refreshed_twice(xero_app, connection, xero_http, xero):
    expired = problem(401, "TokenExpired: token expired at 04/09/2026 05:16:59")
    xero_http.get(f"{API}/Organisation", status=401, json=expired)
    xero_http.post(TOKEN_URL, json=token_response(2))
    with pytest.raises(XeroAuthorisationLost):
        xero.get_organisation()
    assert [c.request.url for c in xero_http.calls] == [
        f"{API}/Organisation", TOKEN_URL, f"{API}/Organisation"]
    assert stored(xero_app)["status"] == "needs_reconnect"


def test_401_other_than_expiry_asks_for_a_reconnect_without_refreshing(
        xero_app, connection, xero_http, xero):
    xero_http.get(f"{API}/Organisation", status=401,
                  json=problem(401, "AuthorizationUnsuccessful"))
    with pytest.raises(XeroAuthorisationLost, match="reconnect") as raised:
        xero.get_organisation()
    assert "AuthorizationUnsuccessful" in str(raised.value)
    assert len(xero_http.calls) == 1
    row = stored(xero_app)
    assert row["status"] == "needs_reconnect" and "AuthorizationUnsuccessful" in row["last_error"]


def test_403_asks_for_a_reconnect(xero_app, connection, xero_http, xero):
    xero_http.get(f"{API}/Organisation", status=403,
                  json=problem(403, "AuthenticationUnsuccessful"))
    with pytest.raises(XeroAuthorisationLost):
        xero.get_organisation()
    assert stored(xero_app)["status"] == "needs_reconnect"


def test_tokens_replaced_elsewhere_are_picked_up_after_a_401(xero_app, connection, xero_http, xero):
    """Another process refreshed (or an admin reconnected) after we read our token."""
    xero_http.get(f"{API}/Organisation", json=organisation())
    xero.get_organisation()  # caches version 1
    cipher = TokenCipher(xero_app.config["XERO_TOKEN_KEY"])
    db.session.execute(update(XeroConnection).values(
        access_token_encrypted=cipher.encrypt("access-from-elsewhere"), refresh_version=7))
    db.session.commit()
    xero_http.replace("GET", f"{API}/Organisation", status=401,
                      json=problem(401, "AuthorizationUnsuccessful"))
    xero_http.add("GET", f"{API}/Organisation", json=organisation())

    xero.get_organisation()

    assert xero_http.calls[-1].request.headers["Authorization"] == "Bearer access-from-elsewhere"
    assert not any(c.request.url == TOKEN_URL for c in xero_http.calls)
    assert stored(xero_app)["status"] == "active"


def test_invalid_grant_marks_needs_reconnect(xero_app, xero_http, sleeps):
    add_connection(xero_app, expires_in=timedelta(seconds=-5))
    xero_http.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    client = XeroClient(TENANT_ID, sleep=sleeps.append)
    with pytest.raises(XeroAuthorisationLost, match="must reconnect"):
        client.get_organisation()
    row = stored(xero_app)
    assert row["status"] == "needs_reconnect"
    assert row["refresh"] == REFRESH_TOKEN  # nothing half-written
    assert REFRESH_TOKEN not in row["last_error"]
    # From now on no call goes out until an admin reconnects.
    with pytest.raises(XeroAuthorisationLost):
        XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()
    assert len(xero_http.calls) == 1


def test_token_endpoint_down_changes_nothing(xero_app, xero_http, sleeps):
    add_connection(xero_app, expires_in=timedelta(seconds=10))
    xero_http.post(TOKEN_URL, status=503, body="Service Unavailable")
    with pytest.raises(XeroUnavailable, match="sign-in service"):
        XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()
    row = stored(xero_app)
    assert (row["refresh"], row["status"], row["refresh_version"]) == (REFRESH_TOKEN, "active", 1)


@pytest.mark.parametrize("status", [429, 502])
def test_token_endpoint_json_refusal_is_not_read_as_a_token(xero_app, xero_http, sleeps, status):
    # Authlib would parse any JSON body as a token; a limit or an outage must stay an error.
    add_connection(xero_app, expires_in=timedelta(seconds=10))
    xero_http.post(TOKEN_URL, status=status, json=problem(status, "Too many requests"),
                   headers={"Retry-After": "30"})
    expected = XeroRateLimited if status == 429 else XeroUnavailable
    with pytest.raises(expected):
        XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()
    row = stored(xero_app)
    assert (row["refresh"], row["status"], row["refresh_version"]) == (REFRESH_TOKEN, "active", 1)


def test_undecryptable_tokens_ask_for_a_reconnect(xero_app, connection, xero_http, sleeps):
    from cryptography.fernet import Fernet

    xero_app.config["XERO_TOKEN_KEY"] = Fernet.generate_key().decode()
    with pytest.raises(XeroAuthorisationLost, match="encryption key changed"):
        XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()
    assert stored_status(xero_app) == "needs_reconnect"
    assert len(xero_http.calls) == 0


def stored_status(app) -> str:
    return db.session.scalar(db.select(XeroConnection.status))


def test_not_connected(xero_app, xero_http, sleeps):
    with pytest.raises(XeroAuthorisationLost, match="not connected"):
        XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()


def test_token_set_reads_ids_from_the_jwts():
    tokens = TokenSet.from_response(token_response(1, id_token=True))
    assert tokens.xero_user_id == "9a4a2b1e-62f5-4f2b-9b77-3f1d2a6c0e11"
    assert tokens.auth_event_id == "d99ecdfe-391d-43d2-b834-17636ba90e8d"
    opaque = TokenSet.from_response({"access_token": "opaque", "refresh_token": "r",
                                     "expires_in": 1800})
    assert opaque.xero_user_id is None and opaque.auth_event_id is None


def test_token_set_needs_a_refresh_token():
    with pytest.raises(ValueError, match="lasting access"):
        TokenSet.from_response({"access_token": "a", "expires_in": 1800})
