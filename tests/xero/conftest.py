"""Fixtures for the Xero client's tests: the app set to real Xero's URLs, Xero mocked
with `responses` (every request then checked against Xero's OpenAPI files), a connected
organisation, and a client whose sleeps are recorded instead of slept."""
from datetime import timedelta

import pytest

from tests import xero_spec
import responses
from sqlalchemy import text

from bridge.extensions import db
from bridge.models import XeroConnection, utcnow
from bridge.xero import client as client_module
from bridge.xero.client import XeroClient
from bridge.xero.ratelimit import CALLS, SHARED_BUDGET
from bridge.xero.tokens import TokenCipher
from tests.xero import contract
from tests.xero.payloads import AUTH_EVENT_ID, CONNECTION_ID, REAL_XERO, TENANT_ID

ACCESS_TOKEN = "access-token-1-9f8e7d6c5b4a"
REFRESH_TOKEN = "refresh-token-1-a1b2c3d4e5f6"


@pytest.fixture(autouse=True)
def fresh_process_state():
    """The budget, the call registry and the success-write throttle start empty."""
    SHARED_BUDGET.reset()
    CALLS.reset()
    client_module._LAST_SUCCESS_WRITE.clear()
    yield


@pytest.fixture
def xero_app(app):
    """The app, configured for real Xero (nothing leaves the machine: Xero is mocked)."""
    app.config.update(REAL_XERO)
    return app


@pytest.fixture
def xero_http(xero_app):
    """Xero as `responses`; afterwards every request sent is checked against the spec."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
        calls = list(mock.calls)
    if xero_spec.available() or xero_spec.IN_CI:
        found = [p for call in calls for p in contract.problems(call.request, xero_app.config)]
        assert not found, "requests that break Xero's contract:\n" + "\n".join(found)


def add_connection(app, *, expires_in=timedelta(minutes=30), access=ACCESS_TOKEN,
                   refresh=REFRESH_TOKEN, status="active", version=1) -> XeroConnection:
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    row = XeroConnection(
        tenant_id=TENANT_ID, tenant_name="Demo Company (NZ)", connection_id=CONNECTION_ID,
        auth_event_id=AUTH_EVENT_ID, access_token_encrypted=cipher.encrypt(access),
        refresh_token_encrypted=cipher.encrypt(refresh),
        access_token_expires_at=utcnow() + expires_in, scopes="offline_access",
        status=status, refresh_version=version,
    )
    db.session.add(row)
    db.session.commit()
    return row


def stored(app) -> dict:
    """The connection row as stored now (raw ciphertext, and the tokens decrypted)."""
    row = db.session.execute(text(
        "SELECT access_token_encrypted, refresh_token_encrypted, refresh_version, status, "
        "last_error, access_token_expires_at, last_success_at FROM xero_connections"
    )).mappings().one()
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    return {**row, "access": cipher.decrypt(row["access_token_encrypted"]),
            "refresh": cipher.decrypt(row["refresh_token_encrypted"])}


@pytest.fixture
def connection(xero_app):
    return add_connection(xero_app)


@pytest.fixture
def sleeps():
    """Seconds the client asked to sleep, in order."""
    return []


@pytest.fixture
def xero(xero_app, connection, sleeps):
    client = XeroClient(connection.tenant_id, sleep=sleeps.append)
    yield client
    client.close()


class FakeClock:
    """A monotonic clock that moves only when something sleeps on it."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
