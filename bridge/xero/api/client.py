"""XeroClient: the one way Bridge talks to Xero (identity and accounting APIs).

    client = XeroClient(tenant_id)                 # inside an app context
    invoices = client.get_invoices(ids=[...])      # plain dicts, Decimal money, dates

Each public operation is a few lines here; the work is done by
- bridge.xero.api.transport: HTTP, retries (timeouts and 5xx where repeating is safe), 429s,
  our per-organisation budget (bridge.xero.api.ratelimit), call counts, typed errors;
- bridge.xero.api.auth: OAuth 2.0 with Xero's identity service through Authlib;
- bridge.xero.api.connection: the organisation's stored tokens, refreshed single-flight, and
  its status;
- bridge.xero.api.wire: bodies with Decimal money and YYYY-MM-DD dates;
- bridge.xero.api.contacts, bridge.xero.api.attachments: the contact and attachment
  operations (mixins of XeroClient);
- bridge.xero.api.credit_notes: credit notes and their allocations (a mixin too).

Whether this talks to real Xero or the sandbox is decided by configuration only
(bridge.config._xero_endpoints).

Callers: do not hold a database write transaction open across a Xero call. On SQLite a
token refresh needs the write lock and would wait for it; on any database it is bad form
to keep rows locked while waiting on the network.
"""
import json
import time
from datetime import datetime
from typing import Callable, Iterable, Iterator, Mapping
from urllib.parse import quote

import requests
from flask import current_app
from sqlalchemy import Engine

from bridge.extensions import db
from bridge.models import XeroConnection
from bridge.xero.api import wire
from bridge.xero.api.attachments import AttachmentCalls
from bridge.xero.api.contacts import ContactCalls
from bridge.xero.api.credit_notes import CreditNoteCalls
from bridge.xero.api.auth import XeroIdentity, XeroTenant, states_match
from bridge.xero.api.connection import StoredConnection, save_connection
from bridge.xero.api.dates import format_if_modified_since, parse_http_date
from bridge.xero.api.errors import XeroError, XeroNotFound, XeroValidationError
from bridge.xero.api.ratelimit import SHARED_BUDGET, CallBudget
from bridge.xero.api.tokens import TokenCipher, TokenSet
from bridge.xero.api.transport import BearerToken, Transport
from bridge.xero.api.wire import as_guid, flag

__all__ = ["XeroClient", "XeroTenant", "states_match"]

JSON = "application/json"
PDF = "application/pdf"
OCTET_STREAM = "application/octet-stream"
# Xero's URL length cap is about 50 GUIDs in IDs= (XERO_API_NOTES.md §3.7).
IDS_PER_REQUEST = 40
PAGE_SIZE = 100
HISTORY_NOTE_MAX = 250
IDEMPOTENCY_KEY_MAX = 128


class XeroClient(ContactCalls, AttachmentCalls, CreditNoteCalls):
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
        self._connections_url = config["XERO_CONNECTIONS_URL"].rstrip("/")
        self._api_url = config["XERO_API_URL"].rstrip("/")
        self._cipher = TokenCipher(config["XERO_TOKEN_KEY"])
        self._transport = Transport(
            tenant_id, timeout=float(config["XERO_TIMEOUT"]),
            calls_per_minute=int(config["XERO_CALLS_PER_MINUTE"]), sleep=sleep,
            budget=SHARED_BUDGET if budget is None else budget,
        )
        self._identity = XeroIdentity(config, self._transport)
        self._connection = StoredConnection(
            tenant_id, engine=db.engine if engine is None else engine, cipher=self._cipher,
            timeout=self._transport.timeout, refresh_grant=self._identity.refresh,
        )
        # Calls made by this client, by (tenant_id, operation).
        self.calls = self._transport.calls
        self._answer_date: str | None = None

    @property
    def answered_at(self) -> datetime | None:
        """Xero's clock when it sent the last answer (its Date header), None without one."""
        return parse_http_date(self._answer_date)

    def __repr__(self) -> str:
        return f"<XeroClient tenant={self.tenant_id}>"

    def close(self) -> None:
        """Close the HTTP sessions."""
        self._transport.close()

    def __enter__(self) -> "XeroClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- connecting -----------------------------------------------------------------

    def authorization_url(self, redirect_uri: str, state: str | None = None) -> tuple[str, str]:
        """Where to send the browser to connect an organisation, and the state to keep.

        Store the state in the session; on return check it with states_match().
        """
        return self._identity.authorization_url(redirect_uri, state)

    state_matches = staticmethod(states_match)

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Trade the authorization code from the callback for a token set (never retried)."""
        return self._identity.exchange_code(code, redirect_uri)

    def list_connections(self, tokens: TokenSet | None = None,
                         auth_event_id: str | None = None) -> list[XeroTenant]:
        """The organisations a token set reaches (the bound tenant's tokens by default).

        auth_event_id limits the list to one consent (TokenSet.auth_event_id).
        """
        response = self._transport.request(
            "GET", self._connections_url, op="GET /connections", headers={"Accept": JSON},
            params={"authEventId": auth_event_id} if auth_event_id else None,
            credentials=BearerToken(tokens.access_token) if tokens else self._connection,
            retryable=True, budgeted=False,
        )
        return [XeroTenant.from_json(item) for item in json.loads(response.content or b"[]")]

    def save_connection(self, tokens: TokenSet, tenant: XeroTenant, connected_by_id: int | None = None,
                        entity_id: int | None = None) -> XeroConnection:
        """Create or update the XeroConnection for tenant with tokens (encrypted), for the billing
        entity (a new row without one: the first entity).

        Adds to db.session and flushes; the caller commits. Organisations of one consent share
        its token set (bridge.xero.api.connection refreshes them together).
        """
        return save_connection(tokens, tenant, self._cipher, connected_by_id, entity_id)

    def delete_connection(self, connection_id: str | None = None) -> bool:
        """Disconnect the organisation at Xero (DELETE /connections/{id}).

        Defaults to the bound tenant's connection. False when Xero no longer had it.
        """
        connection_id = as_guid(connection_id or self._connection.connection_id())
        try:
            self._transport.request(
                "DELETE", f"{self._connections_url}/{connection_id}",
                op="DELETE /connections/{id}", headers={"Accept": JSON},
                credentials=self._connection, retryable=True, budgeted=False,
            )
        except XeroNotFound:
            return False
        return True

    def revoke_token(self) -> None:
        """Revoke the bound tenant's refresh token at Xero.

        This ends the whole token set: every organisation connected with it. To disconnect,
        call delete_connection() first (it needs a valid access token), then this.
        """
        self._identity.revoke(self._connection.refresh_token())

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

    def get_currencies(self) -> list[dict]:
        """The enabled currencies [{Code, Description}]: Xero refuses a document in any other."""
        return self._get_list("/Currencies", "Currencies")

    def get_tracking_categories(self, include_archived: bool = False) -> list[dict]:
        """Tracking categories with their options nested; archived ones too when asked for."""
        params = {"includeArchived": "true"} if include_archived else None
        return self._get_list("/TrackingCategories", "TrackingCategories", params=params)

    def get_branding_themes(self) -> list[dict]:
        """The branding themes [{BrandingThemeID, Name, SortOrder, ...}] (SortOrder 0: the default)."""
        return self._get_list("/BrandingThemes", "BrandingThemes")

    def get_invoices(self, ids: Iterable[str] | None = None,
                     statuses: Iterable[str] | None = None,
                     modified_since: datetime | None = None, page: int | None = None,
                     page_size: int | None = None, where: str | None = None,
                     order: str | None = None, summary_only: bool = False) -> list[dict]:
        """Invoices (with their lines), filtered; every page unless `page` is given.

        ids are sent 40 to a request (Xero's URL length limit); modified_since is an aware
        datetime sent as If-Modified-Since; summary_only asks for light invoices (no lines,
        no payments).
        """
        params = {"Statuses": ",".join(statuses) if statuses else None, "where": where,
                  "order": order, "summaryOnly": flag(True) if summary_only else None}
        if ids is None:
            chunks = [None]
        else:
            unique = list(dict.fromkeys(as_guid(i) for i in ids))
            chunks = [unique[i:i + IDS_PER_REQUEST] for i in range(0, len(unique), IDS_PER_REQUEST)]
        invoices = []
        for chunk in chunks:
            chunk_params = {**params, "IDs": ",".join(chunk) if chunk else None}
            if page is None:
                invoices += self._iter_pages("/Invoices", "Invoices", chunk_params,
                                             modified_since, page_size)
            else:
                invoices += self._get_list(
                    "/Invoices", "Invoices", modified_since=modified_since,
                    params={**chunk_params, "page": page, "pageSize": page_size},
                )
        return invoices

    def get_invoice(self, invoice_id: str) -> dict:
        """One invoice or bill by its InvoiceID, with its lines."""
        invoices = self._get_list("/Invoices/{InvoiceID}", "Invoices",
                                  path_args={"InvoiceID": as_guid(invoice_id)})
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
            "PUT", "/Invoices", params={"summarizeErrors": flag(summarize_errors)},
            payload={"Invoices": invoices}, idempotency_key=idempotency_key,
        )
        return self._elements(response, "Invoices")

    def save_invoices(self, invoices: Iterable[dict], summarize_errors: bool = False,
                      idempotency_key: str | None = None) -> list[dict]:
        """Update invoices by their InvoiceID, many in one call (POST /Invoices).

        Answers and raises as create_invoices does.
        """
        invoices = list(invoices)
        if not invoices:
            return []
        response = self._api(
            "POST", "/Invoices", params={"summarizeErrors": flag(summarize_errors)},
            payload={"Invoices": invoices}, idempotency_key=idempotency_key,
        )
        return self._elements(response, "Invoices")

    def update_invoice(self, invoice_id: str, payload: dict,
                       idempotency_key: str | None = None) -> dict:
        """Update one invoice by its InvoiceID (send its current Status and full lines)."""
        response = self._api("POST", "/Invoices/{InvoiceID}",
                             path_args={"InvoiceID": as_guid(invoice_id)},
                             payload={"Invoices": [payload]}, idempotency_key=idempotency_key)
        return self._first(self._elements(response, "Invoices"), "invoice")

    def get_invoice_pdf(self, invoice_id: str) -> bytes:
        """The invoice as Xero renders it, as PDF bytes."""
        op = "GET /Invoices/{InvoiceID} (PDF)"
        response = self._api("GET", "/Invoices/{InvoiceID}", op=op,
                             path_args={"InvoiceID": as_guid(invoice_id)}, accept=PDF)
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
                             path_args={"InvoiceID": as_guid(invoice_id)},
                             payload={"HistoryRecords": [{"Details": text}]},
                             idempotency_key=idempotency_key)
        return self._first(self._elements(response, "HistoryRecords"), "history record")

    def get_payments(self, modified_since: datetime | None = None, page: int = 1,
                     where: str | None = None, page_size: int | None = None,
                     order: str | None = None) -> list[dict]:
        """One page of payments, e.g. where='PaymentType=="ACCRECPAYMENT"'."""
        return self._get_list("/Payments", "Payments", modified_since=modified_since,
                              params={"where": where, "page": page, "pageSize": page_size,
                                      "order": order})

    def iter_payments(self, modified_since: datetime | None = None, where: str | None = None,
                      page_size: int | None = None) -> Iterator[dict]:
        """Every payment matching, page after page."""
        return self._iter_pages("/Payments", "Payments", {"where": where}, modified_since,
                                page_size)

    # --- requests and answers ------------------------------------------------------

    def _get_list(self, path: str, key: str, **kwargs) -> list[dict]:
        """One GET's list under key (Xero's envelope), empty when absent."""
        return _json(self._api("GET", path, **kwargs)).get(key) or []

    def _iter_pages(self, path, key, params, modified_since, page_size) -> Iterator[dict]:
        """Every item of a paged list, asking for the next page until one is short or last."""
        page = 1
        while True:
            body = _json(self._api("GET", path, modified_since=modified_since,
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
        elements = _json(response).get(key) or []
        error = XeroValidationError.from_elements(
            elements, status=response.status_code, operation=self._transport.last_op,
            correlation_id=response.headers.get("Xero-Correlation-Id"),
        )
        if error is not None:
            raise error
        return elements

    def _first(self, items: list[dict], what: str) -> dict:
        """The first item, or XeroNotFound naming what was missing."""
        if not items:
            raise XeroNotFound(f"Xero returned no {what}.", operation=self._transport.last_op)
        return items[0]

    def _api(self, method: str, path: str, *, op: str | None = None,
             path_args: Mapping | None = None, params: Mapping | None = None,
             payload: object = None, idempotency_key: str | None = None,
             accept: str = JSON, modified_since: datetime | None = None,
             content: bytes | None = None) -> requests.Response:
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
        elif content is not None:
            body = content
            headers["Content-Type"] = OCTET_STREAM
        if idempotency_key is not None:
            if not 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
                raise ValueError("an Idempotency-Key has 1 to 128 characters")
            headers["Idempotency-Key"] = idempotency_key
        if modified_since is not None:
            headers["If-Modified-Since"] = format_if_modified_since(modified_since)
        params = {k: v for k, v in (params or {}).items() if v is not None} or None
        # Repeating a GET is harmless; a write only when Xero can recognise the repeat.
        retryable = method == "GET" or idempotency_key is not None
        response = self._transport.request(method, self._api_url + path, op=op, headers=headers,
                                           body=body, params=params, credentials=self._connection,
                                           retryable=retryable, budgeted=True)
        self._answer_date = response.headers.get("Date")  # parsed when asked for (answered_at)
        return response


def _json(response: requests.Response) -> dict:
    """A JSON answer's body, which must be an object (Xero's envelope)."""
    body = wire.decode(response.content) if response.content else {}
    if not isinstance(body, dict):
        raise XeroError("Xero sent an answer Bridge does not understand.",
                        status=response.status_code)
    return body
