"""Connecting a Xero organisation and disconnecting it: the rules behind the marketplace views.

    url, state = start(redirect_uri)            # keep state in the session
    outcome = finish(args, state, redirect_uri, user_id)   # Connected or NeedsChoice
    outcome = choose(pending_id, tenant_id, user_id)       # when several were granted
    result = disconnect()

Failures are ConnectError, whose message people read; nothing is stored when one is raised
(the XeroClient's own bookkeeping aside). Tokens are handled as TokenSet objects and stored
encrypted only: never in the session, the logs or a page.
"""
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from flask import current_app
from sqlalchemy import delete, select

from bridge.extensions import db
from bridge.xero.settings import setup
from bridge.models import XeroConnection, XeroPendingConsent, utcnow
from bridge.xero.api.client import XeroClient, XeroTenant, states_match
from bridge.xero.api.errors import XeroAuthorisationLost, XeroError
from bridge.xero.api.tokens import TokenCipher, TokenDecryptError, TokenSet

logger = logging.getLogger(__name__)

# How long an admin has to pick an organisation after consenting to several.
PENDING_LIFETIME = timedelta(minutes=10)
NOTHING_STORED = "Nothing was connected."
BAD_STATE = ("Bridge could not verify this answer from Xero (it was used already, is too old, "
             "or did not start here). " + NOTHING_STORED + " Please connect again.")
DENIED = "You declined the connection in Xero. " + NOTHING_STORED
NO_ORGANISATION = ("Xero granted access to no organisation. " + NOTHING_STORED +
                   " Connect again and tick the organisation this workspace uses.")
PENDING_GONE = ("That choice of organisation has expired or was already made. "
                + NOTHING_STORED + " Please connect again.")


class ConnectError(Exception):
    """Connecting or disconnecting failed; `message` says why, for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Connected:
    """The workspace is now connected to this organisation."""

    tenant_id: str
    tenant_name: str
    # Settings made for another organisation went back to the defaults.
    settings_reset: bool
    # The wizard was already saved for this organisation (a reconnect).
    configured: bool
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NeedsChoice:
    """Consent granted several organisations: the admin picks one (pending_id)."""

    pending_id: str


@dataclass(frozen=True)
class Disconnected:
    tenant_name: str
    notes: list[str] = field(default_factory=list)


def start(redirect_uri: str) -> tuple[str, str]:
    """Xero's consent URL and the random state to keep in the session."""
    with XeroClient() as client:
        return client.authorization_url(redirect_uri)


def finish(args: Mapping, expected_state: str | None, redirect_uri: str,
           user_id: int | None) -> "Connected | NeedsChoice":
    """Handle Xero's answer on the callback: check the state, trade the code for tokens,
    then connect the one organisation granted, or keep the consent for a choice."""
    if not states_match(expected_state, args.get("state")):
        raise ConnectError(BAD_STATE)
    error = args.get("error")
    if error == "access_denied":
        raise ConnectError(DENIED)
    if error:
        raise ConnectError(f"Xero did not connect Bridge ({error}). {NOTHING_STORED}")
    if not args.get("code"):
        raise ConnectError(f"Xero's answer had no authorization code. {NOTHING_STORED}")
    with XeroClient() as client:
        try:
            tokens = client.exchange_code(args["code"], redirect_uri)
            tenants = client.list_connections(tokens, auth_event_id=tokens.auth_event_id)
        except XeroError as failure:
            raise ConnectError(f"{failure} {NOTHING_STORED}") from failure
        except ValueError as failure:  # no refresh token: offline_access was not granted
            logger.warning("xero: no refresh token issued; is offline_access among XERO_SCOPES?")
            raise ConnectError(f"{failure}. {NOTHING_STORED}") from failure
    organisations = [t for t in tenants if t.tenant_type.upper() in ("ORGANISATION", "")]
    if not organisations:
        raise ConnectError(NO_ORGANISATION)
    if len(organisations) == 1:
        return connect(tokens, organisations[0], user_id)
    return NeedsChoice(_keep_pending(tokens, organisations, user_id))


def pending_organisations(pending_id: str, user_id: int | None) -> list[XeroTenant]:
    """The organisations a pending consent offers to this admin."""
    return [_tenant(t) for t in _pending(pending_id, user_id).tenants]


def choose(pending_id: str, tenant_id: str, user_id: int | None) -> Connected:
    """Connect the chosen organisation of a pending consent; disconnect the others at Xero."""
    pending = _pending(pending_id, user_id)
    tenants = [_tenant(t) for t in pending.tenants]
    chosen = next((t for t in tenants if t.tenant_id == tenant_id), None)
    if chosen is None:
        raise ValueError("not one of the organisations of this consent")
    ciphertext = pending.tokens_encrypted
    # Single use: gone before Xero is called, so a double submit cannot connect twice.
    taken = db.session.execute(delete(XeroPendingConsent).where(XeroPendingConsent.id == pending.id))
    db.session.commit()
    if taken.rowcount != 1:
        raise ConnectError(PENDING_GONE)
    try:
        tokens = _decrypt_tokens(ciphertext)
    except TokenDecryptError as failure:
        raise ConnectError(f"{failure} {NOTHING_STORED} Please connect again.") from failure
    return connect(tokens, chosen, user_id, others=[t for t in tenants if t is not chosen])


def cancel(pending_id: str, user_id: int | None) -> None:
    """Forget a pending consent (its tokens with it)."""
    pending = _pending(pending_id, user_id)
    db.session.execute(delete(XeroPendingConsent).where(XeroPendingConsent.id == pending.id))
    db.session.commit()


def connect(tokens: TokenSet, tenant: XeroTenant, user_id: int | None,
            others: list[XeroTenant] = ()) -> Connected:
    """Store the connection to `tenant` and make the settings its own.

    A connection to another organisation is replaced (its connection at Xero is removed,
    best effort). `others` are organisations the same consent granted that this workspace
    does not use: they are disconnected at Xero once the chosen one is stored.
    """
    notes = []
    replaced = db.session.scalars(
        select(XeroConnection).where(XeroConnection.tenant_id != tenant.tenant_id)).all()
    for row in replaced:
        if row.tenant_id not in {t.tenant_id for t in others}:
            notes += _remove_at_xero(row.tenant_id, row.tenant_name)
    configured = setup.is_configured(tenant.tenant_id)
    reset = setup.adopt(tenant.tenant_id)
    for row in replaced:
        db.session.delete(row)
    db.session.flush()  # gone before the new row takes the entity
    with XeroClient() as client:
        client.save_connection(tokens, tenant, connected_by_id=user_id)
    db.session.commit()
    logger.info("xero: connected organisation %s (tenant %s)", tenant.tenant_name, tenant.tenant_id)
    if others:
        with XeroClient(tenant.tenant_id) as client:
            for other in others:
                try:
                    client.delete_connection(other.connection_id)
                except XeroError as failure:
                    logger.warning("xero: could not disconnect tenant %s: %s", other.tenant_id, failure)
                    notes.append(f"Bridge could not disconnect {other.tenant_name} at Xero ({failure}); "
                                 "remove Bridge from that organisation in Xero.")
    return Connected(tenant.tenant_id, tenant.tenant_name, settings_reset=reset,
                     configured=configured and not reset, notes=notes)


def disconnect() -> Disconnected:
    """Disconnect the organisation at Xero, revoke the tokens and erase them here.

    The settings and the cached chart stay, for a reconnect to the same organisation; so
    does everything recorded about copies. If Xero cannot be reached, nothing changes.
    """
    row = setup.connection()
    if row is None:
        raise ConnectError("Xero is not connected.")
    tenant_id, tenant_name = row.tenant_id, row.tenant_name
    notes = _remove_at_xero(tenant_id, tenant_name, revoke=True, must_reach=True)
    db.session.execute(delete(XeroConnection).where(XeroConnection.tenant_id == tenant_id))
    db.session.commit()
    logger.info("xero: disconnected organisation %s (tenant %s)", tenant_name, tenant_id)
    return Disconnected(tenant_name, notes)


def _remove_at_xero(tenant_id: str, tenant_name: str, revoke: bool = False,
                    must_reach: bool = False) -> list[str]:
    """Delete the organisation's connection at Xero, then (revoke) its refresh token.

    Xero having ended the access already is fine. Otherwise a failure to delete raises
    ConnectError when must_reach, else becomes a note; a failure to revoke once the
    connection is gone is a note (the tokens are erased here all the same).
    Revoking ends every connection of the token set, so it is only done on disconnect.
    """
    with XeroClient(tenant_id) as client:
        try:
            if not client.delete_connection():
                logger.info("xero: tenant %s was already disconnected at Xero", tenant_id)
        except XeroAuthorisationLost:
            return [f"Xero had already ended Bridge's access to {tenant_name}."]
        except XeroError as failure:
            if must_reach:
                raise ConnectError(f"{failure} Nothing was changed; please try again.") from failure
            return [f"Bridge could not disconnect {tenant_name} at Xero ({failure}); "
                    "remove Bridge from that organisation in Xero."]
        if not revoke:
            return []
        try:
            client.revoke_token()
        except XeroError as failure:
            logger.warning("xero: revoking tenant %s's token failed: %s", tenant_id, failure)
            return [f"Xero did not confirm that Bridge's access ended ({failure}); "
                    "Bridge forgot it all the same."]
    return []


# --- pending consents ------------------------------------------------------------------


def _cipher() -> TokenCipher:
    return TokenCipher(current_app.config["XERO_TOKEN_KEY"])


def _keep_pending(tokens: TokenSet, tenants: list[XeroTenant], user_id: int | None) -> str:
    """Store a consent's tokens (encrypted) and organisations until the admin picks one."""
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


def _pending(pending_id: str, user_id: int | None) -> XeroPendingConsent:
    """A live pending consent started by this admin, else ConnectError."""
    _forget_expired()
    pending = db.session.get(XeroPendingConsent, pending_id)
    if pending is None or pending.created_by_id != user_id:
        raise ConnectError(PENDING_GONE)
    return pending


def _forget_expired() -> None:
    db.session.execute(delete(XeroPendingConsent)
                       .where(XeroPendingConsent.created_at < utcnow() - PENDING_LIFETIME))
    db.session.commit()


def _decrypt_tokens(ciphertext: str) -> TokenSet:
    plain = json.loads(_cipher().decrypt(ciphertext))
    return TokenSet(access_token=plain["access_token"], refresh_token=plain["refresh_token"],
                    expires_at=datetime.fromisoformat(plain["expires_at"]),
                    scope=plain["scope"], id_token=plain["id_token"])


def _tenant(item: dict) -> XeroTenant:
    return XeroTenant(connection_id=item["connection_id"], tenant_id=item["tenant_id"],
                      tenant_name=item["tenant_name"], tenant_type=item["tenant_type"],
                      auth_event_id=item["auth_event_id"], created_at=None, updated_at=None)
