"""Marketplace fixtures: Bridge's test client pointed at a fresh Xero sandbox on a real port,
and helpers that go through Xero's consent screen as a browser would."""
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroConnection, XeroPendingConsent
from bridge.xero.api.ratelimit import CALLS, SHARED_BUDGET
from bridge.xero.api.tokens import TokenCipher, TokenSet
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT
from tests.live import SANDBOX_CLIENT
from tests.workspace.conftest import admin, member  # noqa: F401  (fixtures)
from tests.xero.consent import ConsentForm

CALLBACK = "http://localhost/marketplace/xero/callback"
NZ, AU = "Demo Company (NZ)", "Demo Company (AU)"
ORGANISATIONS = {NZ: NZ_TENANT, AU: AU_TENANT}


@pytest.fixture(autouse=True)
def fresh_budget():
    """Each test starts with the whole per-organisation call budget (no waiting on it)."""
    SHARED_BUDGET.reset()
    CALLS.reset()
    yield


@pytest.fixture
def sandbox(app, xero_sandbox):
    """The sandbox, with Bridge's test client (http://localhost) registered, and Bridge on it."""
    xero_sandbox.allow_redirect(CALLBACK)
    app.config.update(xero_sandbox.bridge_config())
    return xero_sandbox


@dataclass
class Xero:
    """Drives the consent: Bridge's connect URL, the sandbox's screen, Bridge's callback."""

    client: object
    sandbox: object

    def consent(self, tick=(NZ,), press="allow", popup=False, entity=None) -> str:
        """Start connecting in Bridge (from the card of `entity`, an id; None: the URL without one)
        and answer Xero's screen (tick=None: as it is shown); Bridge's callback URL to open."""
        start = self.client.get(("/marketplace/xero/connect" if entity is None else f"/marketplace/xero/{entity}/connect")
                                + ("?popup=1" if popup else ""))
        assert start.status_code == 302, start.get_data(as_text=True)
        browser = requests.Session()
        page = browser.get(start.headers["Location"], timeout=10)
        assert page.status_code == 200, page.text
        answer = ConsentForm.read(page.text).submit(browser, page.url, press=press, tick=None if tick is None else list(tick))
        assert answer.status_code == 302, answer.text
        back = answer.headers["Location"]
        assert back.startswith(CALLBACK + "?"), back
        parts = urlsplit(back)
        return f"{parts.path}?{parts.query}"

    def connect(self, tick=(NZ,), popup=False, entity=None):
        """The whole round trip; Bridge's answer to the callback."""
        return self.client.get(self.consent(tick=tick, popup=popup, entity=entity))

    def choose(self, organisation: str, entity: int = 1):
        """After consenting to several: use one for the entity on Bridge's assignment screen."""
        return self.assign({organisation: entity})

    def assign(self, entities: dict):
        """After consenting to several: {organisation name: entity id (None: don't use)} on
        Bridge's assignment screen; organisations not named are not used."""
        pending = db.session.scalar(select(XeroPendingConsent))
        data = {f"use-{item['tenant_id']}": "" for item in pending.tenants}
        data.update({f"use-{ORGANISATIONS[name]}": str(entity or "") for name, entity in entities.items()})
        return self.client.post(f"/marketplace/xero/organisations/{pending.id}", data=data)

    def control(self, path, **payload):
        return self.sandbox.control(path, **payload)


@pytest.fixture
def xero(admin, sandbox):
    """Bridge (as the admin) and the sandbox, ready to connect."""
    return Xero(admin, sandbox)


@pytest.fixture
def issued(monkeypatch):
    """Every token Bridge receives from Xero's token endpoint (code exchange and refreshes)."""
    seen = set()
    original = TokenSet.from_response.__func__

    def recording(cls, token, **kwargs):
        tokens = original(cls, token, **kwargs)
        seen.update({tokens.access_token, tokens.refresh_token, tokens.id_token} - {None})
        return tokens

    monkeypatch.setattr(TokenSet, "from_response", classmethod(recording))
    return seen


def stored_tokens(app) -> dict:
    """The connection's tokens, decrypted: {"access": ..., "refresh": ...}."""
    db.session.expire_all()
    row = db.session.scalar(select(XeroConnection))
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    return {"access": cipher.decrypt(row.access_token_encrypted),
            "refresh": cipher.decrypt(row.refresh_token_encrypted)}


def sandbox_connections(sandbox, access_token: str) -> requests.Response:
    """GET /connections on the sandbox with an access token."""
    return requests.get(f"{sandbox.url}/connections", timeout=10,
                        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})


def revoke_at_sandbox(sandbox, refresh_token: str) -> None:
    """End Bridge's access from Xero's side (as removing the app in Xero does)."""
    response = requests.post(f"{sandbox.url}/connect/revocation", data={"token": refresh_token},
                             auth=(SANDBOX_CLIENT["id"], SANDBOX_CLIENT["secret"]), timeout=10)
    assert response.status_code == 200


def api_calls(sandbox, path: str) -> int:
    """How many Accounting API calls to path the sandbox answered."""
    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                           params={"path_prefix": f"/api.xro/2.0{path}"}).json()["requests"]
    return len(entries)
