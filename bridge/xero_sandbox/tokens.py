"""OAuth 2.0 core of the sandbox's identity server: codes, token sets, rotation, revocation.

Tokens are random strings or RS256 JWTs handed to the client; the database keeps only
their SHA-256, so verifying one is a lookup (the signature is for clients that check it).
"""
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from bridge.xero_sandbox import clock, signing
from bridge.xero_sandbox.db import AccessToken, AuthCode, Connection, RefreshToken, TokenSet, db

ACCESS_SECONDS = 1800
CODE_SECONDS = 300
ID_TOKEN_SECONDS = 300
REFRESH_GRACE = timedelta(minutes=30)
REFRESH_LIFETIME = timedelta(days=60)

# The one person who "logs in" to the sandbox's consent screen.
DEMO_USER = {
    "id": "5b5c1c4e-0d3a-4a8e-9a31-6c7f6f0d8a11",
    "email": "demo.user@sandbox.invalid",
    "given_name": "Demo",
    "family_name": "User",
}


class GrantError(Exception):
    """An OAuth error answered as 400 {"error": ...}."""

    def __init__(self, error: str, description: str | None = None):
        super().__init__(error)
        self.error = error
        self.description = description


def digest(token: str) -> str:
    """The stored form of a token or code."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_code(client_id: str, redirect_uri: str, scope: str, nonce: str | None,
               tenant_ids: list[str], challenge: str | None, method: str | None) -> str:
    """Record consent: connect the chosen organisations and return a single-use code."""
    now = clock.now()
    auth_event_id = str(uuid.uuid4())
    for tenant_id in tenant_ids:
        _connect(client_id, tenant_id, auth_event_id, now)
    code = secrets.token_urlsafe(32)
    db.session.add(AuthCode(
        code_hash=digest(code), client_id=client_id, redirect_uri=redirect_uri, scope=scope,
        nonce=nonce, code_challenge=challenge, code_challenge_method=method,
        user_id=DEMO_USER["id"], auth_event_id=auth_event_id,
        expires_at=now + timedelta(seconds=CODE_SECONDS),
    ))
    db.session.commit()
    return code


def _connect(client_id: str, tenant_id: str, auth_event_id: str, now: datetime) -> None:
    """Create the connection, or reactivate it (createdDateUtc kept, updatedDateUtc moves)."""
    connection = db.session.scalar(db.select(Connection).filter_by(
        client_id=client_id, user_id=DEMO_USER["id"], tenant_id=tenant_id))
    if connection is None:
        db.session.add(Connection(
            client_id=client_id, user_id=DEMO_USER["id"], tenant_id=tenant_id,
            auth_event_id=auth_event_id, created_utc=now, updated_utc=now,
        ))
    else:
        connection.active = True
        connection.auth_event_id = auth_event_id
        connection.updated_utc = now


def _verify_pkce(code: AuthCode, verifier: str | None) -> bool:
    """Check a PKCE verifier against the stored challenge (S256 or plain)."""
    if not code.code_challenge:
        return True
    if not verifier:
        return False
    if (code.code_challenge_method or "plain").upper() == "S256":
        expected = signing.b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    else:
        expected = verifier
    return hmac.compare_digest(expected, code.code_challenge)


def exchange_code(client_id: str, code: str, redirect_uri: str, verifier: str | None) -> dict:
    """authorization_code grant: a fresh token set for a valid, unused, unexpired code."""
    record = db.session.get(AuthCode, digest(code or ""))
    if record is None or record.client_id != client_id or record.used:
        raise GrantError("invalid_grant")
    if clock.now() >= record.expires_at:
        raise GrantError("invalid_grant", "The authorization code has expired")
    if record.redirect_uri != redirect_uri or not _verify_pkce(record, verifier):
        raise GrantError("invalid_grant")
    record.used = True
    token_set = TokenSet(
        client_id=client_id, user_id=record.user_id, scope=record.scope,
        auth_event_id=record.auth_event_id, created_utc=clock.now(),
    )
    db.session.add(token_set)
    db.session.flush()
    response = _issue(token_set, nonce=record.nonce)
    db.session.commit()
    return response


def refresh(client_id: str, refresh_token: str) -> dict:
    """refresh_token grant: rotate; a rotated token replays its answer for 30 minutes."""
    record = db.session.get(RefreshToken, digest(refresh_token or ""))
    now = clock.now()
    if record is None or record.token_set.revoked or record.token_set.client_id != client_id:
        raise GrantError("invalid_grant")
    if record.rotated_at is not None:
        if now - record.rotated_at > REFRESH_GRACE:
            raise GrantError("invalid_grant")
        replay = dict(record.rotation_response)
        expires_at = datetime.fromisoformat(replay.pop("_access_expires_at"))
        replay["expires_in"] = max(0, int((expires_at - now).total_seconds()))
        return replay
    if now >= record.expires_at:
        raise GrantError("invalid_grant")
    response = _issue(record.token_set)
    record.rotated_at = now
    stored = dict(response)
    stored["_access_expires_at"] = (now + timedelta(seconds=ACCESS_SECONDS)).isoformat()
    record.rotation_response = stored
    db.session.commit()
    return response


def revoke(client_id: str, token: str) -> None:
    """Revoke the token set behind a refresh token and remove all the user's connections."""
    record = db.session.get(RefreshToken, digest(token or ""))
    if record is None or record.token_set.client_id != client_id:
        return  # RFC 7009: unknown tokens are not an error
    token_set = record.token_set
    token_set.revoked = True
    for connection in db.session.scalars(db.select(Connection).filter_by(
            client_id=client_id, user_id=token_set.user_id, active=True)):
        connection.active = False
        connection.updated_utc = clock.now()
    db.session.commit()


def _issue(token_set: TokenSet, nonce: str | None = None) -> dict:
    """New access token (+ refresh token with offline_access, id_token with openid)."""
    now = clock.now()
    scopes = token_set.scope.split()
    issued = int(now.timestamp())
    access = signing.jwt({
        "nbf": issued, "exp": issued + ACCESS_SECONDS, "iss": signing.issuer(),
        "aud": signing.issuer() + "/resources", "client_id": token_set.client_id,
        "sub": token_set.user_id, "auth_time": issued, "xero_userid": token_set.user_id,
        "global_session_id": token_set.id, "sid": token_set.id, "jti": uuid.uuid4().hex,
        "authentication_event_id": token_set.auth_event_id, "scope": scopes,
    })
    db.session.add(AccessToken(
        token_hash=digest(access), token_set_id=token_set.id,
        expires_at=now + timedelta(seconds=ACCESS_SECONDS),
    ))
    response = {"access_token": access, "expires_in": ACCESS_SECONDS, "token_type": "Bearer"}
    if "openid" in scopes:
        response["id_token"] = _id_token(token_set, issued, nonce, access)
    if "offline_access" in scopes:
        refresh_token = secrets.token_hex(32)
        db.session.add(RefreshToken(
            token_hash=digest(refresh_token), token_set_id=token_set.id,
            expires_at=now + REFRESH_LIFETIME,
        ))
        response["refresh_token"] = refresh_token
    response["scope"] = token_set.scope
    return response


def _id_token(token_set: TokenSet, issued: int, nonce: str | None, access_token: str) -> str:
    """The OpenID Connect id_token for the demo user."""
    claims = {
        "nbf": issued, "exp": issued + ID_TOKEN_SECONDS, "iss": signing.issuer(),
        "aud": token_set.client_id, "iat": issued, "at_hash": signing.at_hash(access_token),
        "sid": token_set.id, "sub": token_set.user_id, "auth_time": issued,
        "xero_userid": token_set.user_id, "global_session_id": token_set.id,
        "preferred_username": DEMO_USER["email"], "email": DEMO_USER["email"],
        "given_name": DEMO_USER["given_name"], "family_name": DEMO_USER["family_name"],
    }
    if nonce:
        claims["nonce"] = nonce
    return signing.jwt(claims)


def access_token_owner(token: str) -> tuple[TokenSet | None, str | None]:
    """The token set behind a bearer token, or (None, problem detail) when unusable."""
    record = db.session.get(AccessToken, digest(token or ""))
    if record is None or record.token_set.revoked:
        return None, "AuthorizationUnsuccessful"
    if clock.now() >= record.expires_at:
        stamp = record.expires_at.strftime("%m/%d/%Y %H:%M:%S")
        return None, f"TokenExpired: token expired at {stamp}"
    return record.token_set, None


def active_connections(token_set: TokenSet) -> list[Connection]:
    """The organisations this user has connected to this app."""
    return list(db.session.scalars(db.select(Connection).filter_by(
        client_id=token_set.client_id, user_id=token_set.user_id, active=True,
    ).order_by(Connection.created_utc)))
