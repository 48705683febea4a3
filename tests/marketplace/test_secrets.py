"""Tokens never appear in logs, HTML, error pages or the session cookie: a whole connect,
organisation choice, token refresh, Xero failure and disconnect is run with every log record
(DEBUG and up) and every page captured, then searched for each token Bridge ever held."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroConnection, XeroPendingConsent, utcnow
from tests.marketplace.conftest import AU, NZ, stored_tokens


@pytest.fixture
def pages(app):
    """Every body Bridge serves from here on (registered before the first request)."""
    served = []

    @app.after_request
    def keep(response):
        if not response.direct_passthrough:
            served.append(response.get_data(as_text=True))
        return response

    return served


def session_contents(client, app) -> str:
    cookie = client.get_cookie("session")
    if cookie is None:
        return ""
    return repr(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_tokens_never_reach_logs_pages_or_the_session(pages, issued, xero, admin, app, hx, caplog):
    caplog.set_level(logging.DEBUG)
    held, sessions = set(), []

    def note_stored():
        tokens = stored_tokens(app)
        held.update(tokens.values())
        sessions.append(session_contents(admin, app))

    # Consent to two organisations: the token set waits, encrypted, for the choice.
    pending_page = xero.connect(tick=[NZ, AU])
    sessions.append(session_contents(admin, app))
    pending = db.session.scalar(select(XeroPendingConsent))
    admin.get(pending_page.headers["Location"])
    ciphertext = pending.tokens_encrypted
    xero.choose(NZ)
    note_stored()
    assert not any(token in ciphertext for token in held)

    # The wizard reads Xero; a token refresh happens on the way (the access token expired).
    admin.get("/marketplace/xero/setup")
    row = db.session.scalar(select(XeroConnection))
    row.access_token_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    admin.post("/marketplace/xero/setup/refresh", headers=hx)
    note_stored()
    admin.post("/marketplace/xero/setup", data={"default_revenue_account_code": "999"})  # 422

    # Xero refuses, and error pages are served.
    xero.control("faults", kind="429", count=1, path_prefix="/api.xro/2.0/Accounts", problem="day",
                 retry_after=3600)
    refused = admin.post("/marketplace/xero/setup/refresh").get_data(as_text=True)
    assert "daily limit" in refused
    admin.get("/marketplace/xero/organisations/not-a-consent")
    admin.get("/settings/marketplace")
    assert admin.get("/no-such-page").status_code == 404

    # The bin.
    admin.get("/marketplace/xero/disconnect", headers=hx)
    admin.post("/marketplace/xero/disconnect")
    admin.get("/settings/marketplace")
    sessions.append(session_contents(admin, app))

    tokens = held | issued
    assert len({t for t in tokens if t.count(".") == 2}) >= 2, "two access tokens (JWTs) at least"
    assert len(tokens) >= 4
    assert "xero GET /Accounts" in caplog.text or "GET /api.xro/2.0/Accounts" in caplog.text
    assert len(pages) >= 12
    for token in tokens:
        assert token not in caplog.text
        assert not any(token in page for page in pages)
        assert not any(token in contents for contents in sessions)
