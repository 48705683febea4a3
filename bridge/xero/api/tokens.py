"""Xero token sets in memory and, encrypted with Fernet, in the database.

Plaintext tokens live only in TokenSet objects (whose repr hides them) and in the HTTP
requests that need them; XeroConnection rows hold ciphertext only.
"""
import base64
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping

from cryptography.fernet import Fernet, InvalidToken

from bridge.models import XeroConnection, utcnow

logger = logging.getLogger(__name__)


class TokenDecryptError(Exception):
    """A stored token cannot be decrypted with the current XERO_TOKEN_KEY."""


class TokenCipher:
    """Encrypts and decrypts tokens with the XERO_TOKEN_KEY Fernet key."""

    def __init__(self, key: str | bytes):
        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as error:
            # For whoever runs Bridge; people read the message below on the Xero card.
            logger.error("stored Xero tokens cannot be decrypted: was XERO_TOKEN_KEY changed or lost?")
            raise TokenDecryptError(
                "Bridge can no longer read its saved Xero sign-in (the server's encryption key "
                "changed)."
            ) from error

    def __repr__(self) -> str:
        return "<TokenCipher>"


@dataclass(frozen=True)
class TokenSet:
    """What Xero's token endpoint returned; tokens are left out of repr()."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    scope: str = ""
    id_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_response(cls, token: Mapping, *, now: datetime | None = None) -> "TokenSet":
        """From the token endpoint's JSON (expires_in seconds from now)."""
        if not token.get("refresh_token"):
            # Only issued with the offline_access scope; without it we cannot stay connected.
            raise ValueError("Xero did not grant Bridge lasting access (offline access), so Bridge "
                             "cannot stay connected")
        now = now or utcnow()
        scope = token.get("scope") or ""
        if not isinstance(scope, str):
            scope = " ".join(scope)
        return cls(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=now + timedelta(seconds=int(token.get("expires_in") or 1800)),
            scope=scope,
            id_token=token.get("id_token"),
        )

    @property
    def xero_user_id(self) -> str | None:
        """The Xero user who consented (id_token claim xero_userid), when OpenID was asked for."""
        return unverified_claims(self.id_token).get("xero_userid")

    @property
    def auth_event_id(self) -> str | None:
        """The consent this token set came from (access-token claim authentication_event_id)."""
        return unverified_claims(self.access_token).get("authentication_event_id")


def unverified_claims(jwt: str | None) -> dict:
    """The payload of a JWT without checking its signature; {} for anything else.

    Used only on tokens Bridge just received from Xero's token endpoint over TLS, to read
    ids (OpenID Connect Core §3.1.3.7 allows that); never to decide who someone is.
    """
    if not jwt or jwt.count(".") != 2:
        return {}
    payload = jwt.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def store_tokens(connection: XeroConnection, tokens: TokenSet, cipher: TokenCipher) -> None:
    """Put a new token set on a connection row, both tokens together, encrypted."""
    connection.access_token_encrypted = cipher.encrypt(tokens.access_token)
    connection.refresh_token_encrypted = cipher.encrypt(tokens.refresh_token)
    connection.access_token_expires_at = tokens.expires_at.astimezone(timezone.utc)
    if tokens.scope:
        connection.scopes = tokens.scope
