"""Bridge's XeroClient against the Xero sandbox over real HTTP: connecting through the
consent screen, refresh-token rotation, Xero's limits and failures, and disconnecting.

The sandbox's clock is moved through its control API; Bridge's sleeps are recorded, never
slept. Accounting calls are in test_integration_sandbox_accounting.py.
"""
import shutil
from datetime import timedelta

import pytest

from bridge import config
from bridge.config import XERO_SANDBOX_PATHS
from bridge.extensions import db
from bridge.models import XeroConnection, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroAuthorisationLost, XeroRateLimited, XeroUnavailable
from bridge.xero.api.tokens import TokenCipher
from bridge.xero_sandbox import create_app as create_sandbox
from bridge.xero_sandbox.db import db as sandbox_db
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT
from tests.live import LiveServer
from tests.xero.conftest import connect, sandbox_requests, stored
from tests.xero.consent import REDIRECT, consent

NZ_NAME, AU_NAME = "Demo Company (NZ)", "Demo Company (AU)"
TOKEN = (NZ_TENANT, "POST /connect/token")
ORGANISATION = (NZ_TENANT, "GET /Organisation")


def test_connect_an_organisation_through_the_consent_screen(sandbox_app, users, sleeps):
    tokens, tenants = connect(tick=[NZ_NAME])
    assert [(t.tenant_id, t.tenant_name, t.tenant_type) for t in tenants] == [
        (NZ_TENANT, NZ_NAME, "ORGANISATION")]
    assert tenants[0].auth_event_id == tokens.auth_event_id and tokens.xero_user_id
    assert "offline_access" in tokens.scope.split()

    row = XeroClient().save_connection(tokens, tenants[0], connected_by_id=users["admin"].id)
    db.session.commit()
    assert (row.tenant_name, row.status, row.connected_by_id) == (NZ_NAME, "active",
                                                                   users["admin"].id)
    assert stored(sandbox_app)["refresh"] == tokens.refresh_token
    with XeroClient(NZ_TENANT, sleep=sleeps.append) as client:
        assert client.get_organisation()["Name"] == NZ_NAME
        assert [t.tenant_id for t in client.list_connections()] == [NZ_TENANT]


@pytest.mark.parametrize("redirect", [
    "http://127.0.0.1:5000/marketplace/xero/callback",
    "http://localhost:5000/marketplace/xero/callback",
])
def test_bridge_defaults_reach_the_sandbox_demo_client(app, sandbox_seed, tmp_path,
                                                        monkeypatch, redirect):
    """Without XERO_CLIENT_ID, Bridge's demo client is one the sandbox knows by default."""
    path = tmp_path / "sandbox.sqlite"
    shutil.copyfile(sandbox_seed, path)
    sandbox = create_sandbox({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with LiveServer(sandbox) as live:
        for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", *XERO_SANDBOX_PATHS):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("XERO_SANDBOX_URL", live.url)  # dev.py serves it on :5050
        monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
        settings = config.from_environment()
        app.config.update({k: v for k, v in settings.items() if k.startswith("XERO_")})
        assert app.config["XERO_CLIENT_ID"] == "bridge-demo"
        client = XeroClient()
        url, state = client.authorization_url(redirect)
        answer = consent(url, redirect=redirect, tick=[NZ_NAME])
        tokens = client.exchange_code(answer["code"], redirect)
        assert [t.tenant_name for t in client.list_connections(tokens)] == [NZ_NAME]
    with sandbox.app_context():
        sandbox_db.engine.dispose()


def test_one_consent_can_grant_several_organisations(sandbox_app):
    tokens, tenants = connect(tick=[NZ_NAME, AU_NAME])
    assert {t.tenant_id for t in tenants} == {NZ_TENANT, AU_TENANT}
    assert {t.auth_event_id for t in tenants} == {tokens.auth_event_id}


def test_an_authorization_code_is_single_use(sandbox_app):
    client = XeroClient()
    url, state = client.authorization_url(REDIRECT)
    answer = consent(url)
    assert client.state_matches(state, answer["state"])
    client.exchange_code(answer["code"], REDIRECT)
    with pytest.raises(XeroAuthorisationLost, match="connect again"):
        client.exchange_code(answer["code"], REDIRECT)


def test_denying_consent_returns_the_state_and_no_code(sandbox_app):
    url, state = XeroClient().authorization_url(REDIRECT)
    answer = consent(url, press="deny")
    assert answer == {"error": "access_denied", "state": state}


def test_an_expired_access_token_is_refreshed_once_and_the_rotation_saved(
        nz, xero_sandbox, sandbox_app):
    assert nz.get_organisation()["Name"] == NZ_NAME
    before = stored(sandbox_app)

    # Xero's access tokens last 30 minutes; Bridge still believes its own is fresh.
    xero_sandbox.control("clock/advance", seconds=31 * 60)
    assert nz.get_organisation()["Name"] == NZ_NAME

    after = stored(sandbox_app)
    assert after["refresh"] != before["refresh"] and after["access"] != before["access"]
    assert (after["refresh_version"], after["status"]) == (before["refresh_version"] + 1, "active")
    assert nz.calls[TOKEN] == 1 and nz.calls[ORGANISATION] == 3  # ok, 401 TokenExpired, ok
    refreshes = sandbox_requests(xero_sandbox, path_prefix="/connect/token")
    assert [r["status"] for r in refreshes] == [200, 200]  # the code exchange, the refresh

    # A second client (another worker) reads the rotated tokens: no second refresh.
    with XeroClient(NZ_TENANT) as other:
        assert other.get_organisation()["Name"] == NZ_NAME
        assert other.calls[TOKEN] == 0


def test_the_previous_refresh_token_works_for_30_minutes_then_never(
        nz, xero_sandbox, sandbox_app):
    nz.get_organisation()
    old_refresh = stored(sandbox_app)["refresh"]
    xero_sandbox.control("clock/advance", seconds=31 * 60)
    nz.get_organisation()  # refreshes: old_refresh is now rotated
    rotated = stored(sandbox_app)["refresh"]

    # The answer to a refresh was lost (say a crash before saving): Xero replays it.
    put_back_stale_tokens(sandbox_app, old_refresh)
    with XeroClient(NZ_TENANT) as client:
        assert client.get_organisation()["Name"] == NZ_NAME
    assert stored(sandbox_app)["refresh"] == rotated

    # After the 30-minute grace period the old token is refused for good.
    xero_sandbox.control("clock/advance", seconds=31 * 60)
    put_back_stale_tokens(sandbox_app, old_refresh)
    with XeroClient(NZ_TENANT) as client:
        with pytest.raises(XeroAuthorisationLost, match="reconnect"):
            client.get_organisation()
        row = stored(sandbox_app)
        assert row["status"] == "needs_reconnect"
        assert "no longer accepts Bridge's sign-in" in row["last_error"]
        sent = sum(client.calls.values())
        with pytest.raises(XeroAuthorisationLost):
            client.get_organisation()
        assert sum(client.calls.values()) == sent  # nothing more is sent to Xero


def put_back_stale_tokens(app, refresh_token: str) -> None:
    """Store an old refresh token with an expired access token, as a stale copy would."""
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    row = db.session.scalar(db.select(XeroConnection))
    row.refresh_token_encrypted = cipher.encrypt(refresh_token)
    row.access_token_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_a_minute_limit_429_is_waited_out(nz, xero_sandbox, sleeps):
    xero_sandbox.control("faults", kind="429", count=1, retry_after=7, problem="minute",
                         path_prefix="/api.xro/2.0/Organisation")
    assert nz.get_organisation()["Name"] == NZ_NAME
    assert sleeps == [7.0] and nz.calls[ORGANISATION] == 2


def test_a_day_limit_429_is_raised_with_its_retry_after(nz, xero_sandbox, sleeps):
    xero_sandbox.control("faults", kind="429", count=1, retry_after=5400, problem="day",
                         path_prefix="/api.xro/2.0/Organisation")
    with pytest.raises(XeroRateLimited, match="daily limit") as raised:
        nz.get_organisation()
    assert raised.value.is_daily and raised.value.retry_after == 5400
    assert sleeps == [] and nz.calls[ORGANISATION] == 1


def test_a_503_on_a_read_is_retried(nz, xero_sandbox):
    xero_sandbox.control("faults", kind="503", count=1, method="GET",
                         path_prefix="/api.xro/2.0/Organisation")
    assert nz.get_organisation()["Name"] == NZ_NAME
    assert nz.calls[ORGANISATION] == 2
    statuses = [r["status"] for r in sandbox_requests(xero_sandbox,
                                                      path_prefix="/api.xro/2.0/Organisation")]
    assert statuses == [503, 200]


def test_a_503_on_a_write_without_idempotency_key_is_not_retried(nz, xero_sandbox):
    xero_sandbox.control("faults", kind="503", count=1, method="PUT",
                         path_prefix="/api.xro/2.0/Contacts")
    with pytest.raises(XeroUnavailable, match="did not retry"):
        nz.create_contact({"Name": "Unsure Ltd"})
    assert nz.calls[(NZ_TENANT, "PUT /Contacts")] == 1

    xero_sandbox.control("faults", kind="503", count=1, method="PUT",
                         path_prefix="/api.xro/2.0/Contacts")
    created = nz.create_contact({"Name": "Unsure Ltd"}, idempotency_key="contact-unsure-1")
    assert created["Name"] == "Unsure Ltd"
    assert nz.calls[(NZ_TENANT, "PUT /Contacts")] == 3


def test_disconnecting_removes_the_connection_and_revokes_the_tokens(nz, sandbox_app):
    assert nz.delete_connection() is True
    assert nz.list_connections() == []
    nz.revoke_token()

    with pytest.raises(XeroAuthorisationLost, match="reconnect"):
        nz.get_organisation()
    assert stored(sandbox_app)["status"] == "needs_reconnect"
    fresh_tokens, _ = connect()  # the organisation can be connected again afterwards
    assert XeroClient().list_connections(fresh_tokens)[0].tenant_id == NZ_TENANT
