"""GET /healthz for load balancers and monitors: no login, no cookie, nothing identifying."""
from flask import Blueprint

bp = Blueprint("health", __name__)

from bridge.health import routes  # noqa: E402,F401
