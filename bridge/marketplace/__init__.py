"""The App Marketplace: the app cards (Xero: one per billing entity; members see them, all the
rest is for admins), connecting Xero (consent in a popup, organisations assigned to entities:
consent.py), each entity's setup wizard (its Tracking categories card: tracking_forms.py),
editing (pencil), disconnecting (bin), the Xero activity log, the payment sync's "Sync now"
and Reconcile."""
from flask import Blueprint

bp = Blueprint("marketplace", __name__)

from bridge.marketplace import activity, consent, reconcile, routes, sync  # noqa: E402,F401
