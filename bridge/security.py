"""Response headers that keep the browser strict about what the pages may do, cookies
that travel only where they should, and input that no field may hold kept out of every
request."""
from flask import Flask, Request, abort, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items

# Only our own scripts and styles; no framing; no MIME sniffing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
NUL = "\x00"


def _without_nul(value):
    return value.replace(NUL, "") if isinstance(value, str) else value


class WithoutNul(ImmutableMultiDict):
    """Query and form values with NUL characters dropped: no one types one, and PostgreSQL
    refuses them in text (a 500 instead of a message)."""

    def __init__(self, mapping=None):
        super().__init__([(_without_nul(k), _without_nul(v)) for k, v in iter_multi_items(mapping or ())])


class BridgeRequest(Request):
    parameter_storage_class = WithoutNul


class NoCookieOnErrors(SecureCookieSessionInterface):
    """The signed-cookie session, left unsaved when the answer is an error page
    (bridge.errors sets g.error_response): errors set no cookie."""

    def save_session(self, app, session, response):
        if g.get("error_response"):
            return None
        return super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    secure_cookies(app)
    app.request_class = BridgeRequest
    app.session_interface = NoCookieOnErrors()

    @app.before_request
    def refuse_nul_in_the_path():
        # A path segment (an id in the URL) with a NUL names nothing.
        if NUL in request.path:
            abort(404)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def secure_cookies(app: Flask) -> None:
    """Session and remember cookies Secure unless SESSION_COOKIE_SECURE is set otherwise.

    Unset means Secure except in debug and tests, which run on plain http (so does
    `scripts/dev.py run`, which sets it false); production behind HTTPS needs nothing set.
    """
    secure = app.config.get("SESSION_COOKIE_SECURE")
    if secure is None:
        secure = not (app.debug or app.testing)
    app.config["SESSION_COOKIE_SECURE"] = bool(secure)
    app.config["REMEMBER_COOKIE_SECURE"] = bool(secure)
