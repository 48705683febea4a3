"""Response headers that keep the browser strict about what the pages may do, and cookies
that travel only where they should."""
from flask import Flask

# Only our own scripts and styles; no framing; no MIME sniffing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    secure_cookies(app)

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
