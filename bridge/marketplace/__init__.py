"""The App Marketplace (admins only): the app cards, connecting Xero (consent in a popup,
organisation choice), the setup wizard, editing (pencil) and disconnecting (bin)."""
from flask import Blueprint

bp = Blueprint("marketplace", __name__)

from bridge.marketplace import routes  # noqa: E402,F401
