"""OAuth 2.0 with Xero's identity service, through Authlib (XERO_API_NOTES.md §2).

The authorize URL and its state, the code exchange, the refresh grant and revocation;
and the organisations a token set reaches (an entry of GET /connections).
"""
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from bridge.xero.api.dates import parse_iso_utc
from bridge.xero.api.errors import XeroAuthorisationLost, XeroError, XeroRateLimited, XeroUnavailable
from bridge.xero.api.tokens import TokenSet
from bridge.xero.api.transport import Transport, body_or_text, retry_after_seconds

logger = logging.getLogger(__name__)

TOKEN_OP = "POST /connect/token"
REVOCATION_OP = "POST /connect/revocation"


class InvalidGrant(Exception):
    """The token endpoint answered invalid_grant."""


def states_match(expected: str | None, received: str | None) -> bool:
    """Whether the OAuth state Xero sent back is the one we stored (constant time)."""
    if not expected or not received:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))


@dataclass(frozen=True)
class XeroTenant:
    """One organisation an access token can reach (an entry of GET /connections)."""

    connection_id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str
    auth_event_id: str | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_json(cls, item: Mapping) -> "XeroTenant":
        def when(key):
            return parse_iso_utc(item[key]) if item.get(key) else None

        return cls(
            connection_id=item["id"],
            tenant_id=item["tenantId"],
            tenant_name=item.get("tenantName") or "",
            tenant_type=item.get("tenantType") or "",
            auth_event_id=item.get("authEventId"),
            created_at=when("createdDateUtc"),
            updated_at=when("updatedDateUtc"),
        )


class XeroIdentity:
    """Xero's authorize, token and revocation endpoints, for Bridge's app (XERO_CLIENT_ID)."""

    def __init__(self, config: Mapping, transport: Transport):
        self._client_id = config["XERO_CLIENT_ID"]
        self._client_secret = config["XERO_CLIENT_SECRET"]
        self._authorize_url = config["XERO_AUTHORIZE_URL"]
        self._token_url = config["XERO_TOKEN_URL"]
        self._revocation_url = config["XERO_REVOCATION_URL"]
        self._scopes = config["XERO_SCOPES"]
        self._transport = transport

    def authorization_url(self, redirect_uri: str, state: str | None = None) -> tuple[str, str]:
        """Where to send the browser, and the state (random unless given) to check on return."""
        state = state or secrets.token_urlsafe(32)
        oauth = self._oauth(retrying=False, scope=self._scopes, redirect_uri=redirect_uri)
        return oauth.create_authorization_url(self._authorize_url, state=state)

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Trade a callback's authorization code for a token set; never retried (single use)."""
        oauth = self._oauth(retrying=False, redirect_uri=redirect_uri)
        try:
            token = self._call(
                TOKEN_OP,
                lambda: oauth.fetch_token(
                    self._token_url, grant_type="authorization_code", code=code,
                    redirect_uri=redirect_uri, timeout=self._transport.timeout,
                ),
            )
        except InvalidGrant as error:
            raise XeroAuthorisationLost(
                "The Xero sign-in expired or was already used. Please connect again.",
                status=400, operation=TOKEN_OP,
            ) from error
        return TokenSet.from_response(token)

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new token set for a refresh token; raises InvalidGrant when Xero refuses it."""
        # Retrying is safe here: Xero accepts the previous refresh token for 30 minutes
        # when the answer to its first use was lost.
        oauth = self._oauth(retrying=True)
        token = self._call(
            TOKEN_OP,
            lambda: oauth.refresh_token(self._token_url, refresh_token=refresh_token,
                                        timeout=self._transport.timeout),
        )
        return TokenSet.from_response(token)

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token, which ends its whole token set at Xero."""
        oauth = self._oauth(retrying=True)
        response = self._call(
            REVOCATION_OP,
            lambda: oauth.revoke_token(self._revocation_url, token=refresh_token,
                                       timeout=self._transport.timeout),
        )
        if response.status_code >= 500:
            raise XeroUnavailable(
                "Xero's sign-in service is having problems at the moment.",
                status=response.status_code, operation=REVOCATION_OP,
            )
        if response.status_code >= 300:
            # RFC 7009: an unknown or already revoked token still gets 200, so this is ours.
            reason = body_or_text(response)
            reason = reason.get("error") if isinstance(reason, dict) else reason
            logger.warning("xero: revocation refused (%s): %s", response.status_code, reason)
            raise XeroError("Xero refused to end Bridge's access.",
                            status=response.status_code, operation=REVOCATION_OP)

    def _oauth(self, *, retrying: bool, **kwargs) -> OAuth2Session:
        """An Authlib session for Bridge's app, sending through our transport."""
        oauth = OAuth2Session(self._client_id, self._client_secret,
                              token_endpoint_auth_method="client_secret_basic",
                              revocation_endpoint_auth_method="client_secret_basic", **kwargs)
        self._transport.mount(oauth, retrying=retrying)
        # Authlib reads any JSON answer as a token; a 429 or 5xx must fail as HTTP instead.
        for hook in ("access_token_response", "refresh_token_response"):
            oauth.register_compliance_hook(hook, _raise_for_rate_limit_or_outage)
        return oauth

    def _call(self, op: str, call: Callable):
        """Run an Authlib call, counted, with its failures turned into XeroErrors."""
        with self._transport.counted(op):
            try:
                return call()
            except OAuthError as error:
                if error.error == "invalid_grant":
                    raise InvalidGrant(error.description or "invalid_grant") from error
                raise XeroError(
                    f"Xero refused Bridge's request ({error.error}). Check XERO_CLIENT_ID, "
                    "XERO_CLIENT_SECRET and the redirect URL registered with Xero.",
                    status=400, operation=op,
                ) from error
            except requests.HTTPError as error:
                response = error.response
                if response is not None and response.status_code == 429:
                    raise XeroRateLimited(
                        "Xero is limiting sign-in calls; try again in a minute.",
                        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                        problem=response.headers.get("X-Rate-Limit-Problem"), status=429,
                        operation=op,
                    ) from error
                status = response.status_code if response is not None else None
                raise XeroUnavailable(
                    "Xero's sign-in service is having problems at the moment.",
                    status=status, operation=op) from error
            except requests.RequestException as error:
                message = self._transport.unreachable_message(error, "POST", retryable=True)
                raise XeroUnavailable(message, operation=op) from error
            except ValueError as error:  # a token answer that is not JSON
                raise XeroUnavailable("Xero's sign-in service sent an answer Bridge does not "
                                      "understand.", operation=op) from error


def _raise_for_rate_limit_or_outage(response: requests.Response) -> requests.Response:
    """Let _call see a 429 or 5xx from the token endpoint as the HTTP error it is."""
    if response.status_code == 429 or response.status_code >= 500:
        response.raise_for_status()
    return response
