"""Every route of the app, read from app.url_map, with what the code says about its access.

Routes added later (on any branch) are swept automatically; only the public allow-list
below is written by hand, and a test fails when the app's own list grows past it.
"""
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import Rule

from bridge.auth.roles import admins_only
from bridge.extensions import csrf

# Reachable without a login, each for a reason:
PUBLIC_ENDPOINTS = {
    "auth.login",      # the way in
    "static",          # CSS, JS, htmx
    "favicon",         # /favicon.ico: browsers ask for it by themselves, on the login page too
    "webhooks.xero",   # Xero cannot log in; the HMAC signature stands in (tests/payments/test_webhooks.py)
}
# The health check (a load balancer cannot log in), by blueprint or by path.
HEALTH_BLUEPRINT, HEALTH_PATHS = "health", {"/healthz"}

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Route:
    rule: Rule
    method: str

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule}"


def is_public(rule: Rule) -> bool:
    blueprint = rule.endpoint.rpartition(".")[0]
    return rule.endpoint in PUBLIC_ENDPOINTS or blueprint == HEALTH_BLUEPRINT or rule.rule in HEALTH_PATHS


def is_admin_only(app: Flask, endpoint: str) -> bool:
    """Admin-only by the code: the view is @admin_required, or its blueprint runs admins_only."""
    view = app.view_functions[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    return getattr(view, "admin_only", False) or admins_only in app.before_request_funcs.get(blueprint, [])


def is_csrf_exempt(app: Flask, endpoint: str) -> bool:
    """Exempted from CSRF by csrf.exempt (the view or its blueprint); Flask-WTF keeps the
    exemptions in these two sets and offers no public way to read them."""
    view = app.view_functions[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    return (f"{view.__module__}.{view.__name__}" in csrf._exempt_views
            or app.blueprints.get(blueprint) in csrf._exempt_blueprints)


def all_routes(app: Flask) -> list[Route]:
    """Every (rule, method) pair, HEAD and OPTIONS aside (Flask answers those itself)."""
    return sorted(
        (Route(rule, method) for rule in app.url_map.iter_rules()
         for method in rule.methods - {"HEAD", "OPTIONS"}),
        key=str,
    )


def url(rule: Rule, ids: dict) -> str:
    """The rule's URL with real ids from `ids` (by argument name, or endpoint-specific)."""
    values = {}
    for name in rule.arguments:
        specific = [v for k, v in ids.items() if isinstance(k, tuple) and k[1] == name
                    and rule.endpoint.startswith(k[0])]
        values[name] = specific[0] if specific else ids.get(name, 1)
    return rule.build(values, append_unknown=False)[1]
