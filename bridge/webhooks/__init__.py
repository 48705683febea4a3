"""Incoming webhooks: no login and no CSRF token; each sender proves itself by signature."""
from flask import Blueprint

from bridge.extensions import csrf

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
# Xero cannot send our CSRF token; the HMAC signature stands in for it.
csrf.exempt(bp)

from bridge.webhooks import xero  # noqa: E402,F401
