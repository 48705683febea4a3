"""Identity endpoints: consent screen, token, revocation and /connections.

The consent page is a plain server-rendered form; it has no login (one demo user) and no
CSRF token: it is a local demo tool (see the README).
"""
import base64
import binascii
import hmac
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from werkzeug.routing import BaseConverter

from bridge.xero_sandbox import clock, tokens, wire
from bridge.xero_sandbox.db import Organisation, db
from bridge.xero_sandbox.config import SUGGESTED_TENANT

bp = Blueprint("identity", __name__)

SCOPE_LABELS = {
    "openid": "Your identity (OpenID)",
    "profile": "Your name",
    "email": "Your email address",
    "offline_access": "Access while you are away (offline access)",
    "accounting.settings": "Organisation settings: view and edit",
    "accounting.settings.read": "Organisation settings: view",
    "accounting.contacts": "Contacts: view and edit",
    "accounting.contacts.read": "Contacts: view",
    "accounting.transactions": "Business transactions: view and edit",
    "accounting.transactions.read": "Business transactions: view",
    "accounting.invoices": "Invoices, credit notes and quotes: view and edit",
    "accounting.invoices.read": "Invoices, credit notes and quotes: view",
    "accounting.payments": "Payments: view and edit",
    "accounting.payments.read": "Payments: view",
    "accounting.attachments": "Attachments: view and edit",
    "accounting.attachments.read": "Attachments: view",
}


class CaseInsensitiveConverter(BaseConverter):
    """Matches one fixed word in any letter case (Xero answers /connections and /Connections)."""

    def __init__(self, url_map, word: str):
        super().__init__(url_map)
        self.regex = "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# ---- consent -------------------------------------------------------------------------


def _client_and_redirect(params) -> tuple[dict | None, str | None]:
    """The registered client and redirect URI of an authorize request, or an error text."""
    client = current_app.config["SANDBOX_CLIENTS"].get(params.get("client_id", ""))
    if client is None:
        return None, "Unknown client_id: this app is not registered with the sandbox."
    if params.get("redirect_uri", "") not in client.get("redirect_uris", []):
        return None, "The redirect_uri is not registered for this app."
    return client, None


def _back_to_client(redirect_uri: str, **params) -> Response:
    """Redirect to the client's redirect URI with extra query parameters."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v is not None]
    return redirect(urlunsplit(parts._replace(query=urlencode(query))), code=302)


def _error_page(message: str) -> tuple[str, int]:
    """An error shown to the person, never redirected (the redirect target is untrusted)."""
    return render_template("identity_error.html", message=message), 400


@bp.get("/identity/connect/authorize")
def authorize():
    """Show the consent screen for a valid authorize request."""
    client, error = _client_and_redirect(request.args)
    if error:
        return _error_page(error)
    params = request.args
    if params.get("response_type") != "code":
        return _back_to_client(params["redirect_uri"], error="unsupported_response_type",
                               state=params.get("state"))
    if not params.get("scope", "").split():
        return _back_to_client(params["redirect_uri"], error="invalid_scope", state=params.get("state"))
    return _consent_page(client, params)


def _consent_page(client: dict, params, message: str | None = None, status: int = 200):
    """Render the consent form: app name, scopes, organisations to tick (the suggested one first)."""
    organisations = db.session.scalars(db.select(Organisation).order_by(Organisation.name)).all()
    organisations.sort(key=lambda org: org.id != SUGGESTED_TENANT)
    scopes = params.get("scope", "").split()
    return render_template(
        "consent.html", client=client, client_id=params.get("client_id"), params=params,
        scopes=[(s, SCOPE_LABELS.get(s, s)) for s in scopes], organisations=organisations,
        needs_org=any(s.startswith("accounting.") for s in scopes), message=message,
    ), status


@bp.post("/identity/connect/authorize")
def decide():
    """Handle Allow or Deny from the consent screen."""
    client, error = _client_and_redirect(request.form)
    if error:
        return _error_page(error)
    form = request.form
    state = form.get("state") or None
    if form.get("decision") != "allow":
        return _back_to_client(form["redirect_uri"], error="access_denied", state=state)
    scope = form.get("scope", "")
    known = {o.id for o in db.session.scalars(db.select(Organisation))}
    tenant_ids = [t for t in form.getlist("tenant") if t in known]
    if any(s.startswith("accounting.") for s in scope.split()) and not tenant_ids:
        return _consent_page(client, form, "Tick at least one organisation to connect.", 400)
    code = tokens.issue_code(
        form["client_id"], form["redirect_uri"], scope, form.get("nonce") or None, tenant_ids,
        form.get("code_challenge") or None, form.get("code_challenge_method") or None,
    )
    return _back_to_client(form["redirect_uri"], code=code, scope=scope, state=state)


# ---- token endpoint ------------------------------------------------------------------


def _oauth_error(error: str, description: str | None = None, status: int = 400) -> Response:
    """An RFC 6749 error body."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    return wire.json_response(body, status)


def _client_credentials() -> tuple[str | None, str | None]:
    """client_id and secret from HTTP Basic, else from the form body."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return request.form.get("client_id"), request.form.get("client_secret")


def _authenticated_client() -> str | None:
    """The client_id if its credentials are right (a client without secret must use PKCE)."""
    client_id, secret = _client_credentials()
    client = current_app.config["SANDBOX_CLIENTS"].get(client_id or "")
    if client is None:
        return None
    expected = client.get("secret")
    if expected is None:
        return client_id if request.form.get("code_verifier") else None
    return client_id if secret and hmac.compare_digest(secret, expected) else None


@bp.post("/connect/token")
def token():
    """Exchange a code or a refresh token for tokens."""
    client_id = _authenticated_client()
    if client_id is None:
        return _oauth_error("invalid_client")
    g.client_id = client_id
    grant = request.form.get("grant_type")
    try:
        if grant == "authorization_code":
            body = tokens.exchange_code(client_id, request.form.get("code"),
                                        request.form.get("redirect_uri", ""),
                                        request.form.get("code_verifier"))
        elif grant == "refresh_token":
            body = tokens.refresh(client_id, request.form.get("refresh_token"))
        else:
            return _oauth_error("unsupported_grant_type")
    except tokens.GrantError as exc:
        db.session.rollback()
        return _oauth_error(exc.error, exc.description)
    response = wire.json_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/connect/revocation")
def revocation():
    """Revoke a refresh token: its token set and all of the user's connections go."""
    client_id = _authenticated_client()
    if client_id is None:
        return _oauth_error("invalid_client")
    tokens.revoke(client_id, request.form.get("token"))
    return Response(status=200)


# ---- connections and user info -------------------------------------------------------


def bearer() -> tuple[object | None, Response | None]:
    """The token set of the request's bearer token, or the 401 to answer."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None, wire.problem(401, "Unauthorized", "AuthorizationUnsuccessful")
    token_set, detail = tokens.access_token_owner(header[7:].strip())
    if token_set is None:
        return None, wire.problem(401, "Unauthorized", detail)
    g.client_id = token_set.client_id
    return token_set, None


@bp.get("/connect/userinfo")
def userinfo():
    """OpenID user info of the demo user."""
    token_set, error = bearer()
    if error:
        return error
    user = tokens.DEMO_USER
    return wire.json_response({
        "sub": token_set.user_id, "xero_userid": token_set.user_id, "email": user["email"],
        "given_name": user["given_name"], "family_name": user["family_name"],
        "name": f"{user['given_name']} {user['family_name']}", "preferred_username": user["email"],
    })


def connection_json(connection) -> dict:
    """A connection in the Identity API's camelCase shape."""
    return {
        "id": connection.id,
        "authEventId": connection.auth_event_id,
        "tenantId": connection.tenant_id,
        "tenantType": "ORGANISATION",
        "tenantName": connection.organisation.name,
        "createdDateUtc": wire.iso_seven(connection.created_utc),
        "updatedDateUtc": wire.iso_seven(connection.updated_utc),
    }


@bp.get("/<ci('connections'):_word>")
def list_connections(_word):
    """The tenants connected by this token's user to this app (optionally one consent's)."""
    token_set, error = bearer()
    if error:
        return error
    wanted = request.args.get("authEventId")
    connections = [c for c in tokens.active_connections(token_set)
                   if not wanted or c.auth_event_id == wanted]
    return wire.json_response([connection_json(c) for c in connections])


@bp.delete("/<ci('connections'):_word>/<connection_id>")
def delete_connection(_word, connection_id):
    """Disconnect one tenant: 204, or 404 if it is not this user's active connection."""
    token_set, error = bearer()
    if error:
        return error
    for connection in tokens.active_connections(token_set):
        if connection.id == connection_id:
            connection.active = False
            connection.updated_utc = clock.now()
            db.session.commit()
            return Response(status=204)
    return Response(status=404)
