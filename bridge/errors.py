"""Error pages; HTMX requests get a short message the page shows as a toast."""
from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to that page.",
    404: "That page does not exist.",
    405: "That action is not allowed here.",
    500: "Something went wrong on our side. Nothing was saved; please try again.",
}


def render_error(status: int, message: str | None = None):
    """An error response: the full page, or the bare message for HTMX."""
    message = message or MESSAGES.get(status, "Something went wrong.")
    if request.headers.get("HX-Request"):
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
