"""Error pages; HTMX requests get a short message the page shows as a toast.

An error answer never sets a cookie (bridge.security.NoCookieOnErrors): a page that fails
is no reason to start a session, and a cookie on a 4xx/5xx to an anonymous caller (a
webhook, a scanner) only helps to fingerprint or fill the store.
"""
import logging

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bridge.extensions import db

logger = logging.getLogger(__name__)

MESSAGES = {
    400: "Bridge could not make sense of that. Reload the page and try again.",
    403: "You do not have access to that page.",
    404: "That page does not exist.",
    405: "That action is not allowed here.",
    413: "That is too large: Bridge accepts at most {limit}. Nothing was saved.",
    503: "The database is not answering. Nothing was saved; try again in a minute.",
    500: "Something went wrong on our side. Nothing was saved; please try again.",
}


# The heading of an error page: what happened, in words (the status code is for machines).
TITLES = {400: "That did not work", 403: "No access", 404: "Not found", 405: "That did not work",
          409: "Not possible yet", 413: "Too large", 503: "Bridge is not ready", 500: "Something went wrong"}


def render_error(status: int, message: str | None = None):
    """An error response: the full page, or the bare message for HTMX."""
    g.error_response = True
    message = message or MESSAGES.get(status, "Something went wrong.")
    if status == 413:
        message = message.format(limit=readable_size(request.max_content_length or 0))
    if request.headers.get("HX-Request") or request.blueprint == "webhooks":
        return message, status, {"Content-Type": "text/plain; charset=utf-8"}
    title = TITLES.get(status, "Something went wrong")
    return render_template("errors/error.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    """Register a handler per status code the app raises."""
    for status in MESSAGES:
        app.register_error_handler(status, lambda e, s=status: render_error(s))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PendingRollbackError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error):
        """The database went away (a restart, a failover, a network cut) or is locked: a 503
        that says so, not a 500; pool_pre_ping gives the next request a fresh connection.
        PendingRollbackError is the same loss seen a second time in one request (the session
        still holds the transaction the dead connection took with it); PoolTimeout, every
        connection of the pool held by requests still waiting on the lost server."""
        logger.warning("database unavailable: %s", str(error).splitlines()[0])
        try:
            db.session.rollback()
        except DBAPIError:
            pass
        # The page must not ask the database who is logged in (the nav shows the user).
        g._login_user = current_app.login_manager.anonymous_user()
        body, status, *headers = render_error(503)
        return body, status, {**(headers[0] if headers else {}), "Retry-After": "5"}

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
