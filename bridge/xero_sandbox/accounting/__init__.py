"""The Accounting API under /api.xro/2.0: authentication, tenant check, scopes, limits.

Every request passes, in order: bearer token (401), scope (401), xero-tenant-id (403),
rate limits (429), idempotency replay; every answer carries the limit headers.
"""
import uuid

from flask import Blueprint, Response, g, request

from bridge.xero_sandbox import faults, identity, tokens, wire
from bridge.xero_sandbox.accounting import idempotency
from bridge.xero_sandbox.accounting.query import QueryError
from bridge.xero_sandbox.db import Organisation, db

PREFIX = "/api.xro/2.0"
bp = Blueprint("accounting", __name__, url_prefix=PREFIX)

_SETTINGS = ({"accounting.settings", "accounting.settings.read"}, {"accounting.settings"})
_CONTACTS = ({"accounting.contacts", "accounting.contacts.read"}, {"accounting.contacts"})
# Legacy broad scopes and the 2026 granular ones are both accepted (notes §2.6); which
# granular scope covers History and the PDF is UNCONFIRMED: accounting.invoices is used.
_INVOICES = (
    {"accounting.transactions", "accounting.transactions.read", "accounting.invoices", "accounting.invoices.read"},
    {"accounting.transactions", "accounting.invoices"},
)
_PAYMENTS = (
    {"accounting.transactions", "accounting.transactions.read", "accounting.payments", "accounting.payments.read"},
    {"accounting.transactions", "accounting.payments"},
)
# Attachments have their own scope, unchanged by the granular split (notes §2.6, §19).
_ATTACHMENTS = ({"accounting.attachments", "accounting.attachments.read"}, {"accounting.attachments"})
SCOPES = {
    "organisation": _SETTINGS, "accounts": _SETTINGS, "taxrates": _SETTINGS, "currencies": _SETTINGS,
    "trackingcategories": _SETTINGS, "brandingthemes": _SETTINGS,
    "contacts": _CONTACTS, "invoices": _INVOICES, "creditnotes": _INVOICES, "payments": _PAYMENTS,
    "attachments": _ATTACHMENTS,
}


def _resource() -> str:
    """The first path segment after the API prefix, lower-cased ("attachments" for a
    document's Attachments sub-resource, which has its own scope)."""
    segments = request.path[len(PREFIX):].strip("/").split("/")
    if len(segments) > 2 and segments[2].lower() == "attachments":
        return "attachments"
    return segments[0].lower()


def _scope_allows(granted: set[str]) -> bool:
    """Whether the token's scopes cover this request (reads accept .read scopes)."""
    needed = SCOPES.get(_resource())
    if needed is None:
        return True  # unknown resources fall through to a 404
    read, write = needed
    return bool(granted & (read if request.method == "GET" else write))


@bp.before_request
def _guard() -> Response | None:
    """Authenticate, authorise the tenant, count the call, replay idempotent requests."""
    token_set, error = identity.bearer()
    if error:
        return error
    if not _scope_allows(set(token_set.scope.split())):
        return wire.problem(401, "Unauthorized", "AuthorizationUnsuccessful")
    tenant_id = (request.headers.get("xero-tenant-id") or "").strip().lower()
    connected = {c.tenant_id for c in tokens.active_connections(token_set)}
    if tenant_id not in connected:
        return wire.problem(403, "Forbidden", "AuthenticationUnsuccessful")
    g.org = db.session.get(Organisation, tenant_id)
    refused = faults.enter(g.org.id)
    if refused is not None:
        return refused
    g.counted_org = g.org.id
    return idempotency.before()


@bp.after_request
def _finish(response: Response) -> Response:
    """Store keyed answers and add the rate-limit headers to every answer."""
    if getattr(g, "org", None) is not None:
        response = idempotency.after(response)
        response.headers.update(faults.remaining_headers(g.org.id))
    response.headers["Xero-Correlation-Id"] = str(uuid.uuid4())
    return response


@bp.teardown_request
def _release(_exc) -> None:
    """The call is no longer in flight."""
    org_id = g.pop("counted_org", None)
    if org_id:
        faults.leave(org_id)


@bp.errorhandler(QueryError)
def _bad_query(exc: QueryError) -> Response:
    """An unreadable where/order. UNCONFIRMED: error number and type recalled from Xero docs."""
    return wire.json_response(wire.error_body(16, "QueryParseException", str(exc)), 400)


@bp.errorhandler(wire.BadValue)
def _bad_value(exc: wire.BadValue) -> Response:
    """A body that is not what Xero expects. UNCONFIRMED: error number and type."""
    return wire.json_response(wire.error_body(14, "PostDataInvalidException", str(exc)), 400)


def body_json() -> dict:
    """The request's JSON object, or BadValue when it is not one."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise wire.BadValue("The request body is not valid JSON")
    return data


from bridge.xero_sandbox.accounting import (  # noqa: E402,F401  (routes register on bp)
    attachments, contacts, creditnotes, history, invoices, payments, reference, themes, tracking,
)
