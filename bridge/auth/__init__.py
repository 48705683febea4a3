"""Login, logout, and the rule that every page but login needs a login."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from bridge.auth import routes  # noqa: E402,F401
