"""Incoming webhooks: no login and no CSRF token; each sender proves itself by signature."""
from flask import Blueprint, abort, current_app, request

from bridge.extensions import csrf

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
# Xero cannot send our CSRF token; the HMAC signature stands in for it.
csrf.exempt(bp)


@bp.before_request
def small_bodies_only():
    """Webhook bodies are a few KB: a much smaller limit than the app's, enforced by werkzeug
    while the body is read (413 past it), before any signature is computed."""
    limit = current_app.config["WEBHOOK_MAX_CONTENT_LENGTH"]
    request.max_content_length = limit
    # A body with a Content-Length past the limit is refused before a byte is read; a chunked
    # one is read up to the limit only, so reaching it means there was more.
    if len(request.get_data()) >= limit:
        abort(413)

from bridge.webhooks import xero  # noqa: E402,F401
