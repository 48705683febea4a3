"""Error pages; HTMX requests get a short message the page shows as a toast.

An error answer never sets a cookie (bridge.security.NoCookieOnErrors): a page that fails
is no reason to start a session, and a cookie on a 4xx/5xx to an anonymous caller (a
webhook, a scanner) only helps to fingerprint or fill the store.
"""
from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to that page.",
    404: "That page does not exist.",
    405: "That action is not allowed here.",
    413: "That request is too large: Bridge accepts at most {limit}. Nothing was saved.",
    500: "Something went wrong on our side. Nothing was saved; please try again.",
}


def render_error(status: int, message: str | None = None):
    """An error response: the full page, or the bare message for HTMX."""
    g.error_response = True
    message = message or MESSAGES.get(status, "Something went wrong.")
    if status == 413:
        message = message.format(limit=readable_size(request.max_content_length or 0))
    if request.headers.get("HX-Request") or request.blueprint == "webhooks":
        return message, status, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Register a handler per status code the app raises."""
    for status in MESSAGES:
        app.register_error_handler(status, lambda e, s=status: render_error(s))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, "Your session expired or the form was stale. Reload the page and try again."
        )


def readable_size(size: int) -> str:
    """2097152 -> "2 MB", 65536 -> "64 KB": the limit as people read it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{size / 1024:.0f} KB"
