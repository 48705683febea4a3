"""Fixtures for the Xero client's tests: the app set to real Xero's URLs, Xero mocked
with `responses` (every request then checked against Xero's OpenAPI files), a connected
organisation, and a client whose sleeps are recorded instead of slept; and, for the
integration tests, the app pointed at the Xero sandbox over real HTTP."""
from datetime import timedelta

import pytest

from tests import xero_spec
import requests
import responses
from sqlalchemy import text

from bridge.extensions import db
from bridge.models import XeroConnection, utcnow
from bridge.xero.api import connection as connection_module
from bridge.xero.api.client import XeroClient, XeroTenant, states_match
from bridge.xero.api.ratelimit import CALLS, SHARED_BUDGET
from bridge.xero.api.tokens import TokenCipher, TokenSet
from tests.xero import contract
from tests.xero.consent import REDIRECT, consent
from tests.xero.payloads import AUTH_EVENT_ID, CONNECTION_ID, REAL_XERO, TENANT_ID

ACCESS_TOKEN = "access-token-1-9f8e7d6c5b4a"
REFRESH_TOKEN = "refresh-token-1-a1b2c3d4e5f6"


@pytest.fixture(autouse=True)
def fresh_process_state():
    """The budget, the call registry and the success-write throttle start empty."""
    SHARED_BUDGET.reset()
    CALLS.reset()
    connection_module._LAST_SUCCESS_WRITE.clear()
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


# --- the Xero sandbox over real HTTP (test_integration_sandbox*.py) -----------------------

@pytest.fixture
def sandbox_app(app, xero_sandbox):
    """The app pointed at a fresh Xero sandbox on a free port: real HTTP, nothing mocked.

    Afterwards, no Accounting request may have gone without `Accept: application/json`
    (real Xero would have answered it in XML).
    """
    app.config.update(xero_sandbox.bridge_config())
    xero_sandbox.allow_redirect(REDIRECT)
    yield app
    unasked = sandbox_requests(xero_sandbox, missing_accept="true")
    assert not unasked, f"requests without Accept: {unasked}"


def sandbox_requests(xero_sandbox, **filters) -> list[dict]:
    """The requests the sandbox recorded (filters: path_prefix, missing_accept)."""
    answer = requests.get(f"{xero_sandbox.url}/_sandbox/requests", params=filters, timeout=10)
    answer.raise_for_status()
    return answer.json()["requests"]


def connect(tick=("Demo Company (NZ)",)) -> tuple[TokenSet, list[XeroTenant]]:
    """Bridge's connect flow, with the consent screen answered as a person would."""
    client = XeroClient()
    url, state = client.authorization_url(REDIRECT)
    answer = consent(url, tick=list(tick))
    assert states_match(state, answer["state"])
    tokens = client.exchange_code(answer["code"], REDIRECT)
    return tokens, client.list_connections(tokens, auth_event_id=tokens.auth_event_id)


@pytest.fixture
def nz(sandbox_app, sleeps):
    """A client for Demo Company (NZ), connected through the sandbox's consent screen."""
    tokens, (tenant,) = connect()
    XeroClient().save_connection(tokens, tenant)
    db.session.commit()
    client = XeroClient(tenant.tenant_id, sleep=sleeps.append)
    yield client
    client.close()
