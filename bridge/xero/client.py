"""The only code in Bridge that speaks HTTP to Xero.

    client = XeroClient(tenant_id)                 # inside an app context
    invoices = client.get_invoices(ids=[...])      # plain dicts, Decimal money, dates

What every call gets (XERO_API_NOTES.md §3-6):
- the tenant's access token, refreshed 60 s before it expires and once on a 401
  TokenExpired; refreshing is single-flight per connection across threads (a lock) and
  processes (a row lock in the database), because Xero rotates refresh tokens;
- Accept, xero-tenant-id, Content-Type, Idempotency-Key and If-Modified-Since headers,
  a timeout, and bodies encoded with Decimal and YYYY-MM-DD dates;
- our per-organisation budget of XERO_CALLS_PER_MINUTE (bridge.xero.ratelimit);
- retries by urllib3's Retry for timeouts and 5xx, only where repeating cannot duplicate
  anything (GET/DELETE, or a write carrying an Idempotency-Key); a minute-limit 429 is
  slept on (Retry-After) a bounded number of times, a day-limit 429 is raised;
- errors as bridge.xero.errors exceptions whose message a person can act on;
- a count per (tenant, operation) in client.calls and in bridge.xero.ratelimit.CALLS.

Whether this talks to real Xero or the sandbox is decided by configuration only
(bridge.config._xero_endpoints).

Callers: do not hold a database write transaction open across a Xero call. On SQLite a
token refresh needs the write lock and would wait for it; on any database it is bad form
to keep rows locked while waiting on the network.
"""
import hmac
import json
import logging
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Callable, Iterable, Iterator, Mapping
from urllib.parse import quote
from uuid import UUID

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from requests.adapters import HTTPAdapter
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from bridge.extensions import db
from bridge.models import XeroConnection, utcnow
from bridge.xero import wire
from bridge.xero.dates import format_if_modified_since, parse_iso_utc
from bridge.xero.errors import (
    XeroAuthorisationLost,
    XeroError,
    XeroNotFound,
    XeroRateLimited,
    XeroUnavailable,
    XeroValidationError,
)
from bridge.xero.ratelimit import CALLS, SHARED_BUDGET, CallBudget
from bridge.xero.tokens import TokenCipher, TokenDecryptError, TokenSet, store_tokens

logger = logging.getLogger(__name__)

JSON = "application/json"
PDF = "application/pdf"
ACTIVE, NEEDS_RECONNECT = "active", "needs_reconnect"

# Refresh this long before the access token expires (as Xero's own SDK does).
REFRESH_MARGIN = timedelta(seconds=60)
# urllib3 retries for timeouts and 5xx: no wait before the first, then 2 s, then 4 s.
RETRIES = 3
BACKOFF_FACTOR = 1.0
BACKOFF_MAX = 30
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# A 503's Retry-After is honoured up to this many seconds.
RETRY_AFTER_MAX = 60
# Minute-limit 429s slept on per call, and the longest Retry-After we sleep on.
RATE_LIMIT_WAITS = 3
RATE_LIMIT_MAX_WAIT = 120.0
# Xero's URL length cap is about 50 GUIDs in IDs= (XERO_API_NOTES.md §3.7).
IDS_PER_REQUEST = 40
PAGE_SIZE = 100
HISTORY_NOTE_MAX = 250
IDEMPOTENCY_KEY_MAX = 128
# last_success_at is written at most this often per organisation and process.
SUCCESS_WRITE_INTERVAL = 300.0
# Bookkeeping writes wait this long for SQLite's write lock, then give up quietly.
BOOKKEEPING_BUSY_MS = 200

NOT_CONNECTED = "This Xero organisation is not connected to Bridge. An admin can connect it."
RECONNECT = "Bridge's access to this Xero organisation has ended. An admin must reconnect it."

# One lock per connection for refreshes within this process (the row lock covers processes).
_REFRESH_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_REFRESH_LOCKS_GUARD = threading.Lock()
_LAST_SUCCESS_WRITE: dict[tuple[str, str], float] = {}


def _refresh_lock(key: tuple[str, str]) -> threading.Lock:
    with _REFRESH_LOCKS_GUARD:
        return _REFRESH_LOCKS.setdefault(key, threading.Lock())


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


@dataclass(frozen=True)
class _AccessToken:
    value: str = field(repr=False)
    expires_at: datetime
    version: int

    def expiring(self) -> bool:
        return _expiring(self.expires_at)


def _expiring(expires_at: datetime) -> bool:
    return expires_at - REFRESH_MARGIN <= utcnow()


class _InvalidGrant(Exception):
    """The token endpoint answered invalid_grant."""


class _Retry(Retry):
    """urllib3's Retry, with an injected sleep and a hook before each retry.

    429 is left to the client, which must tell a minute limit (sleep, retry) from a
    day limit (raise) and urllib3 cannot.
    """

    sleep_function: Callable[[float], None] = staticmethod(time.sleep)
    on_retry: Callable[[], None] | None = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.sleep_function = self.sleep_function
        retry.on_retry = self.on_retry
        return retry

    def is_retry(self, method, status_code, has_retry_after=False):
        if status_code == 429:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, *args, **kwargs):
        retry = super().increment(*args, **kwargs)  # raises MaxRetryError when exhausted
        if self.on_retry is not None:
            self.on_retry()
        return retry

    def sleep_for_retry(self, response):
        retry_after = self.get_retry_after(response)
        if retry_after:
            self.sleep_function(retry_after)
            return True
        return False

    def _sleep_backoff(self):
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.sleep_function(backoff)


class XeroClient:
    """Xero's identity and accounting APIs, for one organisation (tenant_id).

    Without a tenant_id only the connect-time calls work (authorization_url,
    exchange_code, list_connections with a TokenSet, save_connection).
    `sleep` is injectable so tests do not wait; `budget` defaults to the process-wide one.
    """

    def __init__(self, tenant_id: str | None = None, *, config: Mapping | None = None,
                 engine: Engine | None = None, sleep: Callable[[float], None] = time.sleep,
                 budget: CallBudget | None = None):
        config = current_app.config if config is None else config
        self.tenant_id = tenant_id
        self._client_id = config["XERO_CLIENT_ID"]
        self._client_secret = config["XERO_CLIENT_SECRET"]
        self._authorize_url = config["XERO_AUTHORIZE_URL"]
        self._token_url = config["XERO_TOKEN_URL"]
        self._revocation_url = config["XERO_REVOCATION_URL"]
        self._connections_url = config["XERO_CONNECTIONS_URL"].rstrip("/")
        self._api_url = config["XERO_API_URL"].rstrip("/")
        self._scopes = config["XERO_SCOPES"]
        self._timeout = float(config["XERO_TIMEOUT"])
        self._calls_per_minute = int(config["XERO_CALLS_PER_MINUTE"])
        self._cipher = TokenCipher(config["XERO_TOKEN_KEY"])
        self._engine = db.engine if engine is None else engine
        self._sleep = sleep
        self._budget = SHARED_BUDGET if budget is None else budget
        self._key = (self._engine.url.render_as_string(hide_password=True), tenant_id or "")
        self.calls: Counter = Counter()
        self._calls_lock = threading.Lock()
        self._local = threading.local()
        self._token: _AccessToken | None = None
        self._retrying_adapter = self._adapter(retrying=True)
        self._single_adapter = self._adapter(retrying=False)
        self._retrying = self._session(self._retrying_adapter)
        self._single = self._session(self._single_adapter)

    def __repr__(self) -> str:
        return f"<XeroClient tenant={self.tenant_id}>"

    def close(self) -> None:
        self._retrying.close()
        self._single.close()

    def __enter__(self) -> "XeroClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- connecting -----------------------------------------------------------------

    def authorization_url(self, redirect_uri: str, state: str | None = None) -> tuple[str, str]:
        """Where to send the browser to connect an organisation, and the state to keep.

        Store the state in the session; on return check it with states_match().
        """
        state = state or secrets.token_urlsafe(32)
        oauth = self._oauth(retrying=False, scope=self._scopes, redirect_uri=redirect_uri)
        return oauth.create_authorization_url(self._authorize_url, state=state)

    state_matches = staticmethod(states_match)

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Trade the authorization code from the callback for a token set.

        The code is single-use, so this is never retried once sent.
        """
        oauth = self._oauth(retrying=False, redirect_uri=redirect_uri)
        try:
            token = self._identity_call(
                "POST /connect/token",
                lambda: oauth.fetch_token(
                    self._token_url, grant_type="authorization_code", code=code,
                    redirect_uri=redirect_uri, timeout=self._timeout,
                ),
            )
        except _InvalidGrant as error:
            raise XeroAuthorisationLost(
                "The Xero sign-in expired or was already used. Please connect again.",
                status=400, operation="POST /connect/token",
            ) from error
        return TokenSet.from_response(token)

    def list_connections(self, tokens: TokenSet | None = None,
                         auth_event_id: str | None = None) -> list[XeroTenant]:
        """The organisations a token set reaches (the bound tenant's tokens by default).

        auth_event_id limits the list to one consent (TokenSet.auth_event_id).
        """
        params = {"authEventId": auth_event_id} if auth_event_id else None
        response = self._request(
            "GET", self._connections_url, op="GET /connections", headers={"Accept": JSON},
            params=params, retryable=True, budgeted=False,
            token=tokens.access_token if tokens else None,
        )
        return [XeroTenant.from_json(item) for item in json.loads(response.content or b"[]")]

    def save_connection(self, tokens: TokenSet, tenant: XeroTenant,
                        connected_by_id: int | None = None) -> XeroConnection:
        """Create or update the XeroConnection for tenant with tokens (encrypted).

        Adds to db.session and flushes; the caller commits. Bridge keeps one token set per
        organisation: connect one organisation per consent.
        """
        connection = db.session.scalar(
            select(XeroConnection).where(XeroConnection.tenant_id == tenant.tenant_id)
        )
        if connection is None:
            connection = XeroConnection(tenant_id=tenant.tenant_id, refresh_version=0)
            db.session.add(connection)
        connection.tenant_name = tenant.tenant_name
        connection.connection_id = tenant.connection_id
        connection.auth_event_id = tenant.auth_event_id or tokens.auth_event_id
        connection.xero_user_id = tokens.xero_user_id
        connection.connected_by_id = connected_by_id
        connection.connected_at = utcnow()
        connection.status = ACTIVE
        connection.last_error = None
        # A new version tells clients holding the old tokens that they were replaced.
        connection.refresh_version = (connection.refresh_version or 0) + 1
        store_tokens(connection, tokens, self._cipher)
        db.session.flush()
        return connection

    def delete_connection(self, connection_id: str | None = None) -> bool:
        """Disconnect the organisation at Xero (DELETE /connections/{id}).

        Defaults to the bound tenant's connection. False when Xero no longer had it.
        """
        connection_id = _guid(connection_id or self._row_value("connection_id"))
        try:
            self._request(
                "DELETE", f"{self._connections_url}/{connection_id}",
                op="DELETE /connections/{id}", headers={"Accept": JSON},
                retryable=True, budgeted=False,
            )
        except XeroNotFound:
            return False
        return True

    def revoke_token(self) -> None:
        """Revoke the bound tenant's refresh token at Xero.

        This ends the whole token set: every organisation connected with it. To disconnect,
        call delete_connection() first (it needs a valid access token), then this.
        """
        refresh_token = self._decrypt(self._row_value("refresh_token_encrypted"))
        oauth = self._oauth(retrying=True)
        response = self._identity_call(
            "POST /connect/revocation",
            lambda: oauth.revoke_token(self._revocation_url, token=refresh_token,
                                       timeout=self._timeout),
        )
        if response.status_code >= 500:
            raise XeroUnavailable(
                f"Xero's sign-in service is having problems (HTTP {response.status_code}).",
                status=response.status_code, operation="POST /connect/revocation",
            )
        if response.status_code >= 300:
            # RFC 7009: an unknown or already revoked token still gets 200, so this is ours.
            reason = _body_or_text(response)
            reason = reason.get("error") if isinstance(reason, dict) else reason
            raise XeroError(f"Xero refused to revoke the token ({reason or response.status_code}).",
                            status=response.status_code, operation="POST /connect/revocation")

    # --- accounting operations ---------------------------------------------------------

    def get_organisation(self) -> dict:
        """The organisation (name, base currency, country, …)."""
        return self._first(self._get_list("/Organisation", "Organisations"), "organisation")

    def get_accounts(self, where: str | None = None) -> list[dict]:
        """The chart of accounts, e.g. where='Class=="REVENUE" AND Status=="ACTIVE"'."""
        return self._get_list("/Accounts", "Accounts", params={"where": where})

    def get_tax_rates(self, where: str | None = None) -> list[dict]:
        """Tax rates, e.g. where='Status=="ACTIVE" AND CanApplyToRevenue==true'."""
        return self._get_list("/TaxRates", "TaxRates", params={"where": where})

    def search_contacts(self, term: str, page: int = 1) -> list[dict]:
        """Contacts whose name, names, number or email contain term (any case); 100 a page."""
        return self._get_list("/Contacts", "Contacts", params={"searchTerm": term, "page": page})

    def find_contact_by_name(self, name: str) -> dict | None:
        """The active contact with exactly this name, else one equal ignoring case, else None."""
        name = name.strip()
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        exact = self._get_list("/Contacts", "Contacts", params={"where": f'Name=="{escaped}"'})
        if exact:
            return exact[0]
        # Whether Xero's == ignores case is unconfirmed: fall back to the search, which does.
        folded = name.casefold()
        for contact in self.search_contacts(name):
            if (contact.get("Name") or "").strip().casefold() == folded:
                return contact
        return None

    def get_contact(self, contact_id: str) -> dict:
        contacts = self._get_list("/Contacts/{ContactID}", "Contacts",
                                  path_args={"ContactID": _guid(contact_id)})
        return self._first(contacts, "contact")

    def create_contact(self, payload: dict, idempotency_key: str | None = None) -> dict:
        """Create one contact (PUT: fails on a duplicate name rather than updating one)."""
        response = self._api("PUT", "/Contacts", payload={"Contacts": [payload]},
                             idempotency_key=idempotency_key)
        return self._first(self._elements(response, "Contacts"), "contact")

    def get_invoices(self, ids: Iterable[str] | None = None,
                     statuses: Iterable[str] | None = None,
                     modified_since: datetime | None = None, page: int | None = None,
                     page_size: int | None = None, where: str | None = None) -> list[dict]:
        """Invoices (with their lines), filtered; every page unless `page` is given.

        ids are sent 40 to a request (Xero's URL length limit); modified_since is an aware
        datetime sent as If-Modified-Since.
        """
        params = {"Statuses": ",".join(statuses) if statuses else None, "where": where}
        if ids is None:
            chunks = [None]
        else:
            unique = list(dict.fromkeys(_guid(i) for i in ids))
            chunks = [unique[i:i + IDS_PER_REQUEST] for i in range(0, len(unique), IDS_PER_REQUEST)]
        invoices = []
        for chunk in chunks:
            chunk_params = {**params, "IDs": ",".join(chunk) if chunk else None}
            if page is None:
                invoices += self._all_pages("/Invoices", "Invoices", chunk_params,
                                            modified_since, page_size)
            else:
                invoices += self._get_list(
                    "/Invoices", "Invoices", modified_since=modified_since,
                    params={**chunk_params, "page": page, "pageSize": page_size},
                )
        return invoices

    def get_invoice(self, invoice_id: str) -> dict:
        invoices = self._get_list("/Invoices/{InvoiceID}", "Invoices",
                                  path_args={"InvoiceID": _guid(invoice_id)})
        return self._first(invoices, "invoice")

    def create_invoices(self, invoices: Iterable[dict], summarize_errors: bool = False,
                        idempotency_key: str | None = None) -> list[dict]:
        """Create invoices or bills (PUT: never updates an existing one).

        With summarize_errors=False Xero answers per invoice; if any was refused this
        raises XeroValidationError whose `succeeded` lists the ones Xero did create.
        """
        invoices = list(invoices)
        if not invoices:
            return []
        response = self._api(
            "PUT", "/Invoices", params={"summarizeErrors": _flag(summarize_errors)},
            payload={"Invoices": invoices}, idempotency_key=idempotency_key,
        )
        return self._elements(response, "Invoices")

    def update_invoice(self, invoice_id: str, payload: dict,
                       idempotency_key: str | None = None) -> dict:
        """Update one invoice by its InvoiceID (send its current Status and full lines)."""
        response = self._api("POST", "/Invoices/{InvoiceID}",
                             path_args={"InvoiceID": _guid(invoice_id)},
                             payload={"Invoices": [payload]}, idempotency_key=idempotency_key)
        return self._first(self._elements(response, "Invoices"), "invoice")

    def get_invoice_pdf(self, invoice_id: str) -> bytes:
        """The invoice as Xero renders it, as PDF bytes."""
        op = "GET /Invoices/{InvoiceID} (PDF)"
        response = self._api("GET", "/Invoices/{InvoiceID}", op=op,
                             path_args={"InvoiceID": _guid(invoice_id)}, accept=PDF)
        if not response.content.startswith(b"%PDF"):
            raise XeroError("Xero did not send a PDF for this invoice.",
                            status=response.status_code, operation=op,
                            correlation_id=response.headers.get("Xero-Correlation-Id"))
        return response.content

    def add_history_note(self, invoice_id: str, text: str,
                         idempotency_key: str | None = None) -> dict:
        """Add a note to the invoice's History & Notes in Xero; returns the record."""
        text = text.strip()
        if not text:
            raise ValueError("a history note needs some text")
        if len(text) > HISTORY_NOTE_MAX:
            # Xero's stored documentation caps a note at 250 characters (a 2026 summary
            # says 2,500; unconfirmed) and refuses longer ones. We keep the first 249 and end
            # with "…", so a reader in Xero can see that the note was cut.
            text = text[:HISTORY_NOTE_MAX - 1] + "…"
        response = self._api("PUT", "/Invoices/{InvoiceID}/History",
                             path_args={"InvoiceID": _guid(invoice_id)},
                             payload={"HistoryRecords": [{"Details": text}]},
                             idempotency_key=idempotency_key)
        return self._first(self._elements(response, "HistoryRecords"), "history record")

    def get_payments(self, modified_since: datetime | None = None, page: int = 1,
                     where: str | None = None, page_size: int | None = None) -> list[dict]:
        """One page of payments, e.g. where='PaymentType=="ACCRECPAYMENT"'."""
        return self._get_list("/Payments", "Payments", modified_since=modified_since,
                              params={"where": where, "page": page, "pageSize": page_size})

    def iter_payments(self, modified_since: datetime | None = None, where: str | None = None,
                      page_size: int | None = None) -> Iterator[dict]:
        """Every payment matching, page after page."""
        return self._iter_pages("/Payments", "Payments", {"where": where}, modified_since,
                                page_size)

    # --- plumbing ------------------------------------------------------------------

    def _get_list(self, path: str, key: str, **kwargs) -> list[dict]:
        return self._json(self._api("GET", path, **kwargs)).get(key) or []

    def _all_pages(self, path, key, params, modified_since, page_size) -> list[dict]:
        return list(self._iter_pages(path, key, params, modified_since, page_size))

    def _iter_pages(self, path, key, params, modified_since, page_size) -> Iterator[dict]:
        page = 1
        while True:
            body = self._json(self._api("GET", path, modified_since=modified_since,
                                        params={**params, "page": page, "pageSize": page_size}))
            items = body.get(key) or []
            yield from items
            pagination = body.get("pagination") or {}
            size = pagination.get("pageSize") or page_size or PAGE_SIZE
            page_count = pagination.get("pageCount")
            if len(items) < size or (page_count is not None and page >= page_count):
                return
            page += 1

    def _elements(self, response: requests.Response, key: str) -> list[dict]:
        """The elements of a write's answer; raises when Xero refused any of them."""
        elements = self._json(response).get(key) or []
        error = XeroValidationError.from_elements(
            elements, status=response.status_code,
            operation=getattr(self._local, "last_op", None),
            correlation_id=response.headers.get("Xero-Correlation-Id"),
        )
        if error is not None:
            raise error
        return elements

    def _first(self, items: list[dict], what: str) -> dict:
        if not items:
            raise XeroNotFound(f"Xero returned no {what}.",
                               operation=getattr(self._local, "last_op", None))
        return items[0]

    @staticmethod
    def _json(response: requests.Response) -> dict:
        body = wire.decode(response.content) if response.content else {}
        if not isinstance(body, dict):
            raise XeroError("Xero sent an answer Bridge does not understand.",
                            status=response.status_code)
        return body

    def _api(self, method: str, path: str, *, op: str | None = None,
             path_args: Mapping | None = None, params: Mapping | None = None,
             payload: object = None, idempotency_key: str | None = None,
             accept: str = JSON, modified_since: datetime | None = None) -> requests.Response:
        """One Accounting API call for the bound tenant."""
        if not self.tenant_id:
            raise RuntimeError("this XeroClient has no tenant_id")
        op = op or f"{method} {path}"
        if path_args:
            path = path.format(**{k: quote(str(v), safe="") for k, v in path_args.items()})
        headers = {"Accept": accept, "xero-tenant-id": self.tenant_id}
        body = None
        if payload is not None:
            body = wire.encode(payload)
            headers["Content-Type"] = JSON
        if idempotency_key is not None:
            if not 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
                raise ValueError("an Idempotency-Key has 1 to 128 characters")
            headers["Idempotency-Key"] = idempotency_key
        if modified_since is not None:
            headers["If-Modified-Since"] = format_if_modified_since(modified_since)
        params = {k: v for k, v in (params or {}).items() if v is not None} or None
        # Repeating a GET is harmless; a write only when Xero can recognise the repeat.
        retryable = method == "GET" or idempotency_key is not None
        return self._request(method, self._api_url + path, op=op, headers=headers, body=body,
                             params=params, retryable=retryable, budgeted=True)

    def _request(self, method: str, url: str, *, op: str, headers: dict, body: bytes | None = None,
                 params: Mapping | None = None, retryable: bool, budgeted: bool,
                 token: str | None = None) -> requests.Response:
        """Send with the access token; handle 401 (refresh once), 429 and error statuses."""
        bound = token is None
        if bound:
            token = self._current_token().value
        self._local.last_op = op
        auth_retried = False
        rate_limit_waits = 0
        while True:
            if budgeted:
                self._budget.acquire(self.tenant_id, self._calls_per_minute, self._sleep)
            response = self._send(method, url, op=op, params=params, body=body,
                                  headers={**headers, "Authorization": f"Bearer {token}"},
                                  retryable=retryable, budgeted=budgeted)
            status = response.status_code
            if status in (401, 403) and bound and not auth_retried:
                auth_retried = True
                expired = status == 401 and _says_token_expired(response)
                renewed = self._renew_after_rejection(token_expired=expired)
                if renewed is not None:
                    token = renewed.value
                    continue
            if status == 429:
                wait = self._rate_limit_wait(response, op, rate_limit_waits, bound)
                self._sleep(wait)
                rate_limit_waits += 1
                continue
            break
        if status < 300:
            if bound:
                self._note_success()
            return response
        raise self._error(response, op, retryable=retryable, bound=bound)

    def _send(self, method, url, *, op, headers, body, params, retryable, budgeted):
        """One HTTP exchange (urllib3 may retry inside it), counted and timed."""
        self._local.context = (op, budgeted)
        self._local.attempts = 1
        self._count(op)
        session = self._retrying if retryable else self._single
        started = time.perf_counter()
        try:
            response = session.request(method, url, params=params, data=body, headers=headers,
                                       timeout=self._timeout, allow_redirects=False)
        except requests.RequestException as error:
            message = self._unreachable_message(error, method, retryable)
            logger.warning("xero %s tenant=%s failed: %s", op, self.tenant_id, message)
            self._record_error(message)
            raise XeroUnavailable(message, operation=op) from error
        finally:
            self._local.context = None
        logger.info("xero %s tenant=%s -> %s in %.0f ms, %d attempt(s), correlation %s",
                    op, self.tenant_id, response.status_code,
                    (time.perf_counter() - started) * 1000, self._local.attempts,
                    response.headers.get("Xero-Correlation-Id"))
        return response

    def _on_retry(self) -> None:
        """Called by urllib3 before each retry: count it and take it from the budget."""
        context = getattr(self._local, "context", None)
        if context is None:
            return
        op, budgeted = context
        self._local.attempts += 1
        if budgeted:
            self._budget.acquire(self.tenant_id, self._calls_per_minute, self._sleep)
        self._count(op)

    def _count(self, op: str) -> None:
        key = (self.tenant_id, op)
        with self._calls_lock:
            self.calls[key] += 1
        CALLS.add(key)

    def _rate_limit_wait(self, response, op, waits_so_far, bound) -> float:
        """Seconds to sleep before retrying a 429, or raise XeroRateLimited."""
        retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        problem = response.headers.get("X-Rate-Limit-Problem")
        daily = "day" in (problem or "").lower()
        wait = 60.0 if retry_after is None else retry_after
        if not daily and waits_so_far < RATE_LIMIT_WAITS and wait <= RATE_LIMIT_MAX_WAIT:
            logger.warning("xero %s tenant=%s rate-limited (%s), waiting %.0f s",
                           op, self.tenant_id, problem, wait)
            return wait
        if daily:
            hours = (retry_after or 0) / 3600
            message = ("Xero's daily limit of calls for this organisation is used up; "
                       f"it resets in about {hours:.1f} hours.")
        else:
            message = (f"Xero is limiting calls to this organisation ({problem or 'rate limit'}); "
                       f"try again in {wait:.0f} seconds.")
        if bound:
            self._record_error(message)
        raise XeroRateLimited(
            message, retry_after=retry_after, problem=problem, status=429, operation=op,
            correlation_id=response.headers.get("Xero-Correlation-Id"),
        )

    def _error(self, response, op, *, retryable, bound) -> XeroError:
        """The exception for an error answer."""
        status = response.status_code
        details = dict(status=status, operation=op,
                       correlation_id=response.headers.get("Xero-Correlation-Id"))
        body = _body_or_text(response)
        if status == 400:
            return XeroValidationError.from_body(body, **details)
        if status in (401, 403):
            reason = _detail(body)
            message = RECONNECT + (f" (Xero said: {reason})" if reason else "")
            if bound:
                self._mark_needs_reconnect(message)
            return XeroAuthorisationLost(message, **details)
        if status == 404:
            return XeroNotFound(f"Xero has no such record ({op}).", **details)
        if status >= 500:
            attempts = getattr(self._local, "attempts", 1)
            message = f"Xero is having problems (HTTP {status}"
            message += f", {attempts} attempts)." if attempts > 1 else ")."
            if not retryable:
                message += (" Bridge did not retry, because Xero may have done it anyway: "
                            "check Xero before trying again.")
            else:
                message += " Please try again in a few minutes."
            if bound:
                self._record_error(message)
            return XeroUnavailable(message, **details)
        reason = _detail(body)
        return XeroError(f"Xero answered HTTP {status}" + (f": {reason}" if reason else "."),
                         **details)

    def _unreachable_message(self, error, method, retryable) -> str:
        attempts = getattr(self._local, "attempts", 1)
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        kind = _failure_kind(error)
        if kind == "connect":
            return f"Bridge could not reach Xero{tries}. Please try again in a few minutes."
        if kind == "timeout":
            message = f"Xero did not answer within {self._timeout:g} seconds{tries}."
        else:
            message = f"The connection to Xero broke off{tries}."
        if not retryable and method != "GET":
            message += (" Bridge did not retry, because Xero may have received it: "
                        "check Xero before trying again.")
        return message

    # --- identity calls (token endpoint, revocation) through Authlib ----------------------

    def _oauth(self, *, retrying: bool, **kwargs) -> OAuth2Session:
        oauth = OAuth2Session(self._client_id, self._client_secret,
                              token_endpoint_auth_method="client_secret_basic",
                              revocation_endpoint_auth_method="client_secret_basic", **kwargs)
        adapter = self._retrying_adapter if retrying else self._single_adapter
        oauth.mount("https://", adapter)
        oauth.mount("http://", adapter)
        return oauth

    def _identity_call(self, op: str, call: Callable):
        """Run an Authlib call, counted, with its failures turned into XeroErrors."""
        self._local.context = (op, False)
        self._local.attempts = 1
        self._local.last_op = op
        self._count(op)
        try:
            return call()
        except OAuthError as error:
            if error.error == "invalid_grant":
                raise _InvalidGrant(error.description or "invalid_grant") from error
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
                    retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
                    problem=response.headers.get("X-Rate-Limit-Problem"), status=429,
                    operation=op,
                ) from error
            status = response.status_code if response is not None else None
            raise XeroUnavailable(f"Xero's sign-in service is having problems (HTTP {status}).",
                                  status=status, operation=op) from error
        except requests.RequestException as error:
            message = self._unreachable_message(error, "POST", retryable=True)
            raise XeroUnavailable(message, operation=op) from error
        except ValueError as error:  # a token answer that is not JSON
            raise XeroUnavailable("Xero's sign-in service sent an answer Bridge does not "
                                  "understand.", operation=op) from error
        finally:
            self._local.context = None

    # --- tokens ---------------------------------------------------------------------

    def _current_token(self) -> _AccessToken:
        token = self._token
        if token is None or token.expiring():
            token = self._load_token()
        return token

    def _load_token(self) -> _AccessToken:
        """The stored access token; refreshed first when it is about to expire."""
        with Session(self._engine) as session:
            row = self._read_row(session)
            version, expires_at = row.refresh_version, row.access_token_expires_at
            encrypted = row.access_token_encrypted
        if _expiring(expires_at):
            token = self._refresh(seen_version=version, force=False, rejected=False)
        else:
            token = _AccessToken(self._decrypt(encrypted), expires_at, version)
        self._token = token
        return token

    def _renew_after_rejection(self, *, token_expired: bool) -> _AccessToken | None:
        """After a 401/403: newer tokens (someone refreshed, or we did), or None."""
        seen = self._token.version if self._token else None
        token = self._refresh(seen_version=seen, force=token_expired, rejected=True)
        if token is not None:
            self._token = token
        return token

    def _refresh(self, *, seen_version, force, rejected) -> _AccessToken | None:
        """Single-flight refresh: a lock in this process, a row lock across processes."""
        with _refresh_lock(self._key):
            deadline = time.monotonic() + self._timeout + 30
            while True:
                progress = {"called_xero": False}
                try:
                    return self._refresh_locked(seen_version, force, rejected, progress)
                except OperationalError as error:
                    if progress["called_xero"]:
                        logger.error("xero tenant=%s: new tokens received but not saved; the "
                                     "old refresh token stays usable for 30 minutes",
                                     self.tenant_id)
                        raise
                    # SQLite: another process holds the write lock; wait for it.
                    if not _sqlite_busy(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

    def _refresh_locked(self, seen_version, force, rejected, progress) -> _AccessToken | None:
        lost = None
        token = None
        with Session(self._engine, expire_on_commit=False) as session:
            with session.begin():
                row = self._lock_row(session)
                if row.status != ACTIVE:
                    raise XeroAuthorisationLost(row.last_error or RECONNECT)
                fresh = not _expiring(row.access_token_expires_at)
                newer = row.refresh_version != seen_version
                try:
                    if fresh and (newer or not force):
                        # Someone else refreshed (or reconnected) meanwhile, or nothing is due.
                        if rejected and not newer:
                            return None
                        return _AccessToken(self._cipher.decrypt(row.access_token_encrypted),
                                            row.access_token_expires_at, row.refresh_version)
                    refresh_token = self._cipher.decrypt(row.refresh_token_encrypted)
                except TokenDecryptError as error:
                    row.status, row.last_error = NEEDS_RECONNECT, str(error)
                    lost = XeroAuthorisationLost(f"{error} {RECONNECT}")
                else:
                    progress["called_xero"] = True
                    try:
                        tokens = self._refresh_grant(refresh_token)
                    except _InvalidGrant:
                        message = RECONNECT + " (Xero refused the stored refresh token.)"
                        row.status, row.last_error = NEEDS_RECONNECT, message
                        lost = XeroAuthorisationLost(message, status=400,
                                                     operation="POST /connect/token")
                    else:
                        store_tokens(row, tokens, self._cipher)
                        row.refresh_version += 1
                        row.last_error = None
                        token = _AccessToken(tokens.access_token, tokens.expires_at,
                                             row.refresh_version)
        if lost is not None:
            self._token = None
            raise lost
        logger.info("xero tenant=%s: tokens refreshed (version %s)", self.tenant_id,
                    token.version)
        return token

    def _lock_row(self, session: Session) -> XeroConnection:
        """This tenant's row, locked until the transaction ends."""
        where = XeroConnection.tenant_id == self.tenant_id
        if session.get_bind().dialect.name == "sqlite":
            # SQLite ignores FOR UPDATE: take the database's write lock first, with a no-op
            # write, so a second refresher waits here instead of reading stale tokens.
            session.execute(update(XeroConnection).where(where)
                            .values(refresh_version=XeroConnection.refresh_version))
        row = session.scalars(select(XeroConnection).where(where).with_for_update()).one_or_none()
        if row is None:
            raise XeroAuthorisationLost(NOT_CONNECTED)
        return row

    def _refresh_grant(self, refresh_token: str) -> TokenSet:
        # Retrying is safe here: Xero accepts the previous refresh token for 30 minutes
        # when the answer to its first use was lost.
        oauth = self._oauth(retrying=True)
        token = self._identity_call(
            "POST /connect/token",
            lambda: oauth.refresh_token(self._token_url, refresh_token=refresh_token,
                                        timeout=self._timeout),
        )
        return TokenSet.from_response(token)

    def _read_row(self, session: Session) -> XeroConnection:
        if not self.tenant_id:
            raise RuntimeError("this XeroClient has no tenant_id")
        row = session.scalar(
            select(XeroConnection).where(XeroConnection.tenant_id == self.tenant_id)
        )
        if row is None:
            raise XeroAuthorisationLost(NOT_CONNECTED)
        if row.status != ACTIVE:
            raise XeroAuthorisationLost(row.last_error or RECONNECT)
        return row

    def _row_value(self, attribute: str):
        with Session(self._engine) as session:
            return getattr(self._read_row(session), attribute)

    def _decrypt(self, ciphertext: str) -> str:
        try:
            return self._cipher.decrypt(ciphertext)
        except TokenDecryptError as error:
            self._mark_needs_reconnect(str(error))
            raise XeroAuthorisationLost(f"{error} {RECONNECT}") from error

    # --- bookkeeping on the connection row (best effort) ------------------------------

    def _note_success(self) -> None:
        now = time.monotonic()
        last = _LAST_SUCCESS_WRITE.get(self._key)
        if last is not None and now - last < SUCCESS_WRITE_INTERVAL:
            return
        _LAST_SUCCESS_WRITE[self._key] = now
        self._write(update(XeroConnection)
                    .where(XeroConnection.tenant_id == self.tenant_id)
                    .values(last_success_at=utcnow(), last_error=None))

    def _record_error(self, message: str) -> None:
        if self.tenant_id:
            self._write(update(XeroConnection)
                        .where(XeroConnection.tenant_id == self.tenant_id)
                        .values(last_error=message))

    def _mark_needs_reconnect(self, message: str) -> None:
        statement = (update(XeroConnection)
                     .where(XeroConnection.tenant_id == self.tenant_id,
                            XeroConnection.status == ACTIVE)
                     .values(status=NEEDS_RECONNECT, last_error=message))
        if self._token is not None:
            # Not if the organisation was reconnected (new tokens) in the meantime.
            statement = statement.where(XeroConnection.refresh_version == self._token.version)
        self._write(statement)
        self._token = None

    def _write(self, statement) -> None:
        """Run one UPDATE in its own short transaction; never fail the Xero call over it.

        A Xero call that succeeded must not look failed because a status column could not
        be written (the caller might repeat it), so errors here are logged only. The write
        waits at most BOOKKEEPING_BUSY_MS for a lock someone else holds (SQLite's write
        lock; on PostgreSQL the row).
        """
        try:
            with self._engine.connect() as connection:
                dialect = connection.dialect.name
                if dialect == "sqlite":
                    previous = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {BOOKKEEPING_BUSY_MS}")
                elif dialect == "postgresql":
                    # LOCAL: only for this transaction.
                    connection.exec_driver_sql(
                        f"SET LOCAL lock_timeout = '{BOOKKEEPING_BUSY_MS}ms'")
                try:
                    connection.execute(statement)
                    connection.commit()
                finally:
                    if dialect == "sqlite":
                        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous)}")
        except SQLAlchemyError:
            logger.warning("xero tenant=%s: could not update the connection's status",
                           self.tenant_id, exc_info=True)

    # --- construction -----------------------------------------------------------------

    def _adapter(self, *, retrying: bool) -> HTTPAdapter:
        if retrying:
            retry = _Retry(
                total=RETRIES, connect=RETRIES, read=RETRIES, status=RETRIES, other=0,
                redirect=0, allowed_methods=frozenset({"GET", "PUT", "POST", "DELETE"}),
                status_forcelist=RETRY_STATUSES, backoff_factor=BACKOFF_FACTOR,
                backoff_max=BACKOFF_MAX, respect_retry_after_header=True,
                retry_after_max=RETRY_AFTER_MAX, raise_on_status=False,
                raise_on_redirect=False,
            )
        else:
            # Writes without an Idempotency-Key: only connection failures are retried (the
            # request never left); a timeout or a 5xx may mean Xero did it.
            retry = _Retry(
                total=RETRIES, connect=RETRIES, read=0, status=0, other=0, redirect=0,
                allowed_methods=frozenset({"GET"}), status_forcelist=(),
                backoff_factor=BACKOFF_FACTOR, backoff_max=BACKOFF_MAX,
                raise_on_status=False, raise_on_redirect=False,
            )
        retry.sleep_function = self._sleep
        retry.on_retry = self._on_retry
        return HTTPAdapter(max_retries=retry)

    @staticmethod
    def _session(adapter: HTTPAdapter) -> requests.Session:
        session = requests.Session()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = "Bridge-Xero-client"
        return session


def _guid(value) -> str:
    """A Xero id as text; refuses anything that is not a GUID before it reaches Xero."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise ValueError(f"not a Xero id: {value!r}") from None


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _says_token_expired(response: requests.Response) -> bool:
    text = response.text[:2000].lower()
    header = response.headers.get("WWW-Authenticate", "").lower()
    return "tokenexpired" in text or "token expired" in text or "expired" in header


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def _body_or_text(response: requests.Response) -> object:
    try:
        return wire.decode(response.content)
    except ValueError:
        return response.text[:500]


def _detail(body: object) -> str:
    """The human part of a problem-details or error body."""
    if isinstance(body, dict):
        for key in ("Detail", "detail", "Message", "message", "Title", "title"):
            if body.get(key):
                return str(body[key])
        return ""
    return str(body or "").strip()[:300]


def _failure_kind(error: requests.RequestException) -> str:
    """"connect" (the request never left), "timeout" (no answer in time) or "broken"."""
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    if isinstance(error, requests.ConnectTimeout) or isinstance(reason, ConnectTimeoutError):
        return "connect"  # urllib3's NewConnectionError (refused, DNS) is one of these too
    if isinstance(error, requests.Timeout) or isinstance(reason, ReadTimeoutError):
        return "timeout"
    return "broken"


def _sqlite_busy(error: OperationalError) -> bool:
    return "database is locked" in str(error) or "database is busy" in str(error)
