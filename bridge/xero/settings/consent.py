"""Consents that granted several organisations, kept (tokens encrypted) until the admin assigns
each organisation to a billing entity or leaves it unused.

    pending_id = keep(tokens, organisations, user_id)
    organisations(pending_id, user_id)     # what the assignment screen lists
    tokens, organisations = take(pending_id, user_id)   # single use: gone once taken
    cancel(pending_id, user_id)

A pending consent belongs to the admin who gave it and lives PENDING_LIFETIME.
"""
import json
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from bridge.extensions import db
from bridge.models import XeroPendingConsent, utcnow
from bridge.xero.api.client import XeroTenant
from bridge.xero.api.tokens import TokenCipher, TokenDecryptError, TokenSet

# How long an admin has to assign the organisations after consenting to several.
PENDING_LIFETIME = timedelta(minutes=10)
NOTHING_STORED = "Nothing was connected."
PENDING_GONE = ("That choice of organisations has expired or was already made. "
                + NOTHING_STORED + " Please connect again.")


class PendingGone(Exception):
    """The pending consent expired, was taken already, or is not this admin's."""

    def __init__(self, message: str = PENDING_GONE):
        super().__init__(message)
        self.message = message


def keep(tokens: TokenSet, tenants: list[XeroTenant], user_id: int | None) -> str:
    """Store a consent's tokens (encrypted) and organisations; its id."""
    _forget_expired()
    plain = json.dumps({
        "access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at.isoformat(), "scope": tokens.scope,
        "id_token": tokens.id_token,
    })
    pending = XeroPendingConsent(
        id=secrets.token_urlsafe(32), tokens_encrypted=_cipher().encrypt(plain),
        tenants=[{"connection_id": t.connection_id, "tenant_id": t.tenant_id,
                  "tenant_name": t.tenant_name, "tenant_type": t.tenant_type,
                  "auth_event_id": t.auth_event_id} for t in tenants],
        created_at=utcnow(), created_by_id=user_id,
    )
    db.session.add(pending)
    db.session.commit()
    return pending.id


def organisations(pending_id: str, user_id: int | None) -> list[XeroTenant]:
    """The organisations a pending consent offers to this admin, in Xero's order."""
    return [_tenant(t) for t in _pending(pending_id, user_id).tenants]


def take(pending_id: str, user_id: int | None) -> tuple[TokenSet, list[XeroTenant]]:
    """The consent's tokens and organisations; the pending row is gone (committed) before the
    caller calls Xero, so a double submit cannot connect twice."""
    pending = _pending(pending_id, user_id)
    tenants = [_tenant(t) for t in pending.tenants]
    ciphertext = pending.tokens_encrypted
    taken = db.session.execute(delete(XeroPendingConsent).where(XeroPendingConsent.id == pending.id))
    db.session.commit()
    if taken.rowcount != 1:
        raise PendingGone()
    try:
        return _decrypt_tokens(ciphertext), tenants
    except TokenDecryptError as failure:
        raise PendingGone(f"{failure} {NOTHING_STORED} Please connect again.") from failure


def cancel(pending_id: str, user_id: int | None) -> None:
    """Forget a pending consent (its tokens with it)."""
    pending = _pending(pending_id, user_id)
    db.session.execute(delete(XeroPendingConsent).where(XeroPendingConsent.id == pending.id))
    db.session.commit()


def _pending(pending_id: str, user_id: int | None) -> XeroPendingConsent:
    _forget_expired()
    pending = db.session.get(XeroPendingConsent, pending_id)
    if pending is None or pending.created_by_id != user_id:
        raise PendingGone()
    return pending


def _forget_expired() -> None:
    db.session.execute(delete(XeroPendingConsent)
                       .where(XeroPendingConsent.created_at < utcnow() - PENDING_LIFETIME))
    db.session.commit()


def _cipher() -> TokenCipher:
    return TokenCipher(current_app.config["XERO_TOKEN_KEY"])


def _decrypt_tokens(ciphertext: str) -> TokenSet:
    plain = json.loads(_cipher().decrypt(ciphertext))
    return TokenSet(access_token=plain["access_token"], refresh_token=plain["refresh_token"],
                    expires_at=datetime.fromisoformat(plain["expires_at"]),
                    scope=plain["scope"], id_token=plain["id_token"])


def _tenant(item: dict) -> XeroTenant:
    return XeroTenant(connection_id=item["connection_id"], tenant_id=item["tenant_id"],
                      tenant_name=item["tenant_name"], tenant_type=item["tenant_type"],
                      auth_event_id=item["auth_event_id"], created_at=None, updated_at=None)
