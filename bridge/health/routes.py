"""/healthz: 200 when the database answers, 503 when it does not, plus the Xero side in counts.

Counts and ages only: no tenant ids, organisation names, emails, tokens or error texts, so
the endpoint may stay public. A Xero connection needing a reconnect does not make Bridge
unhealthy (a load balancer could not fix it by taking the machine out); it is reported for
monitors to alert on.
"""
from datetime import datetime

from flask import jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from bridge.extensions import db
from bridge.health import bp
from bridge.models import Lease, XeroConnection, XeroSettings, XeroSyncState, utcnow
from bridge.xero.sync import lease
from bridge.xero.scheduling import scheduler


@bp.get("/healthz")
def healthz():
    """The database (SELECT 1), then the Xero connections and the payment sync, as counts."""
    try:
        db.session.execute(text("SELECT 1"))
        report = {"status": "ok", "database": "ok", "xero": xero_report()}
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify(report)


def xero_report() -> dict:
    """Connections by state, and the payment sync: organisations, errors, oldest success, poller."""
    by_status = dict(db.session.execute(
        select(XeroConnection.status, func.count()).group_by(XeroConnection.status)).all())
    # One state per connected organisation whose entity's settings have payment sync on.
    syncing = (select(XeroSyncState)
               .join(XeroConnection, XeroConnection.tenant_id == XeroSyncState.tenant_id)
               .join(XeroSettings, (XeroSettings.entity_id == XeroConnection.entity_id)
                     & (XeroSettings.tenant_id == XeroConnection.tenant_id))
               .where(XeroSettings.sync_payments.is_(True)))
    states = list(db.session.scalars(syncing))
    successes = [s.last_success_at for s in states if s.last_success_at]
    poller = db.session.get(Lease, lease.POLLER)
    now = utcnow()
    return {
        "connected": by_status.get("active", 0),
        "needs_reconnect": by_status.get("needs_reconnect", 0),
        "payment_sync": {
            "organisations": len(states),
            "with_error": sum(1 for s in states if s.last_error),
            # The organisation synced longest ago (None before any success).
            "last_success_age_seconds": _age(min(successes), now) if successes else None,
            "poller": "active" if poller and poller.expires_at > now else "none",
            "scheduler_here": scheduler.running() is not None,
        },
    }


def _age(moment: datetime, now: datetime) -> int:
    return max(0, int((now - moment).total_seconds()))
