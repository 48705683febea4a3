"""The route sweep: every route in app.url_map needs a login (but the documented public
ones), admin routes (found from the code) refuse members, every state-changing route
refuses a request without a CSRF token, and every response carries the security headers."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from bridge.auth import routes as auth_routes
from tests.security.conftest import snapshot
from tests.security.routes import (
    STATE_CHANGING, all_routes, is_admin_only, is_csrf_exempt, is_public, url,
)

CSRF_MESSAGE = b"Reload the page and try again."


def send(client, route, ids, **kwargs):
    return client.open(url(route.rule, ids), method=route.method, **kwargs)


def assert_security_headers(response, where):
    csp = dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in response.headers.get("Content-Security-Policy", "").split(";") if part.strip()
    )
    assert csp.get("script-src") == "'self'", f"{where}: scripts only from our origin"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], where
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"], where
    assert csp.get("default-src") == "'self'" and csp.get("object-src") == "'none'", where
    assert csp.get("frame-ancestors") == "'none'", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in {"same-origin", "strict-origin-when-cross-origin",
                                                       "no-referrer"}, where


def assert_nothing_inline(response, where):
    """What the strict CSP would block in the browser: inline scripts, styles, handlers."""
    if response.mimetype != "text/html":
        return
    body = response.get_data(as_text=True)
    assert not re.search(r"<script\b(?![^>]*\bsrc=)", body), f"{where}: inline <script>"
    assert not re.search(r"<style\b|\sstyle=", body), f"{where}: inline style"
    assert not re.search(r"<[^>]*\s(on[a-z]+|hx-on[:\w-]*)=", body), f"{where}: inline event handler"
    assert "javascript:" not in body.lower(), f"{where}: javascript: URL"


def test_the_public_allow_list_is_documented_here(app):
    """A new public endpoint in the app must be added (with its reason) to tests/security/routes.py."""
    public = {rule.endpoint for rule in app.url_map.iter_rules() if is_public(rule)}
    assert auth_routes.PUBLIC_ENDPOINTS <= public | {"health.healthz"}
    exempt = {rule.endpoint for rule in app.url_map.iter_rules() if is_csrf_exempt(app, rule.endpoint)}
    assert exempt == {"webhooks.xero"}, "only the signed webhook goes without a CSRF token"


def test_every_route_needs_a_login(client, ids, hx):
    checked, failures = 0, []
    for route in all_routes(client.application):
        if is_public(route.rule):
            continue
        checked += 1
        response = send(client, route, ids)
        location = urlsplit(response.headers.get("Location", ""))
        if response.status_code != 302 or location.path != "/login" or "next" not in parse_qs(location.query):
            failures.append(f"{route}: {response.status_code} {response.headers.get('Location')}")
        htmx = send(client, route, ids, headers=hx)
        if htmx.status_code != 401 or not htmx.headers.get("HX-Redirect", "").startswith("/login"):
            failures.append(f"{route} (HTMX): {htmx.status_code}")
        assert_security_headers(response, str(route))
    assert not failures, failures
    assert checked >= 70, f"only {checked} routes found in the URL map"


def test_admin_routes_found_from_the_code_refuse_members(member, ids):
    app = member.application
    admin_routes = [r for r in all_routes(app) if is_admin_only(app, r.endpoint)]
    endpoints = {r.endpoint for r in admin_routes}
    # Anchors: the derivation must see the marks (view decorators; the App Marketplace's cards
    # are open to members, its every other view is @admin_required).
    assert {"workspace.settings", "workspace.settings_tax_rate_new", "marketplace.xero_setup",
            "marketplace.xero_disconnect", "marketplace.xero_sync_now"} <= endpoints
    assert "marketplace.index" not in endpoints
    before = snapshot()
    failures = []
    for route in admin_routes:
        response = send(member, route, ids, data={"name": "changed"})
        if response.status_code != 403:
            failures.append(f"{route}: {response.status_code}")
        assert_security_headers(response, str(route))
    assert not failures, failures
    assert snapshot() == before


def test_members_reach_every_page_that_is_not_admin_only(member, ids):
    app = member.application
    for route in all_routes(app):
        if route.method == "GET" and not is_admin_only(app, route.endpoint) and not is_public(route.rule):
            response = send(member, route, ids)
            assert response.status_code not in (401, 403, 500), f"{route}: {response.status_code}"


def test_admins_reach_every_page_and_no_get_changes_anything(admin, ids, hx):
    app = admin.application
    before = snapshot()
    for route in all_routes(app):
        if route.method != "GET" or route.endpoint == "marketplace.xero_callback":
            continue  # the callback consumes the OAuth state by design (tests/marketplace/test_connect.py)
        for headers in ({}, hx):
            response = send(admin, route, ids, headers=headers)
            assert response.status_code < 500 and response.status_code not in (401, 403), \
                f"{route} {headers}: {response.status_code}"
            assert_security_headers(response, str(route))
            assert_nothing_inline(response, f"{route} {headers}")
    assert snapshot() == before


def test_every_state_changing_route_refuses_a_missing_or_forged_csrf_token(csrf_admin, ids, hx):
    app = csrf_admin.application
    routes = [r for r in all_routes(app) if r.method in STATE_CHANGING and not is_csrf_exempt(app, r.endpoint)]
    assert len(routes) >= 30
    before = snapshot()
    failures = []
    for route in routes:
        for kwargs in ({"data": {"name": "x"}},
                       {"data": {"name": "x"}, "headers": hx},
                       {"data": {"name": "x", "csrf_token": "forged"}},
                       {"data": {"name": "x"}, "headers": {**hx, "X-CSRFToken": "forged"}}):
            response = send(csrf_admin, route, ids, **kwargs)
            if response.status_code != 400 or CSRF_MESSAGE not in response.data:
                failures.append(f"{route} {kwargs}: {response.status_code}")
            assert_security_headers(response, str(route))
    assert not failures, failures
    assert snapshot() == before
    assert csrf_admin.get("/").status_code == 200, "still logged in: the tokenless logout was refused"


@pytest.mark.parametrize("path, status", [("/no-such-page", 404), ("/static/css/bridge.css", 200),
                                          ("/static/no-such.js", 404)])
def test_headers_on_errors_and_static_files(admin, path, status):
    response = admin.get(path)
    assert response.status_code == status
    assert_security_headers(response, path)


def test_headers_on_a_500_a_405_and_a_webhook_refusal(app, client, auth):
    @app.get("/_boom")
    def boom():  # an unexpected error in a view, as a bug would raise
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_page = client.get("/login")
    assert_security_headers(login_page, "login page")
    assert_nothing_inline(login_page, "login page")
    auth.login()
    crashed = client.get("/_boom")
    assert crashed.status_code == 500
    assert b"Nothing was saved" in crashed.data
    assert_security_headers(crashed, "500")
    assert_security_headers(client.get("/logout"), "405")
    refused = client.post("/webhooks/xero", data=b"{}", headers={"x-xero-signature": "bad"})
    assert refused.status_code == 401
    assert_security_headers(refused, "webhook 401")


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_is_http_only_same_site_and_secure_when_asked(database_url, users, secure):
    from tests.conftest import ADMIN, make_app

    client = make_app(database_url, SESSION_COOKIE_SECURE=secure).test_client()
    response = client.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"]})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure
