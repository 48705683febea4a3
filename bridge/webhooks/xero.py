"""POST /webhooks/xero: Xero's signed events, and its "intent to receive" checks.

Xero signs the raw body with the webhook key (HMAC-SHA256, Base64) in x-xero-signature
(XERO_API_NOTES.md §15). A good signature gets 200 with an empty body, a bad one 401,
within Xero's 5 seconds, with no cookies. Nothing is synced here: an INVOICE event about
a document Bridge copied only asks the scheduler for an early sync of that organisation.
Polling stays the guarantee; events are an accelerator (at-least-once, unordered).
"""
import base64
import hashlib
import hmac
import json
import logging

from flask import Response, current_app, request
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroCopy
from bridge.webhooks import bp
from bridge.xero.scheduling import scheduler
from bridge.xero.sync.payments import request_sync, syncing_organisations

logger = logging.getLogger(__name__)


def signature_ok(raw_body: bytes, signature: str | None, key: str) -> bool:
    """Whether `signature` is Base64(HMAC-SHA256(key, raw_body)); constant-time."""
    if not key or not signature:
        return False
    expected = base64.b64encode(hmac.new(key.encode("utf-8"), raw_body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


def organisations_to_sync(payload: object) -> set[str]:
    """Organisations with an INVOICE event about a document Bridge copied, and sync on."""
    events = payload.get("events") if isinstance(payload, dict) else None
    wanted: dict[str, set[str]] = {}
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict) and str(event.get("eventCategory")).upper() == "INVOICE":
            tenant, resource = str(event.get("tenantId") or ""), str(event.get("resourceId") or "")
            wanted.setdefault(tenant.lower(), set()).add(resource.lower())
    syncing = {c.tenant_id for c in syncing_organisations()}
    found = set()
    for tenant_id, resources in wanted.items():
        if tenant_id in syncing and db.session.scalar(
                select(XeroCopy.id).where(XeroCopy.tenant_id == tenant_id,
                                          XeroCopy.xero_id.in_(resources)).limit(1)):
            found.add(tenant_id)
    return found


@bp.post("/xero")
def xero():
    """Verify, then ask for early syncs; 200 empty for a good signature, 401 for a bad one,
    400 for a signed body that is not readable JSON (413 past WEBHOOK_MAX_CONTENT_LENGTH)."""
    raw = request.get_data()
    if not signature_ok(raw, request.headers.get("x-xero-signature"),
                        current_app.config.get("XERO_WEBHOOK_KEY", "")):
        return Response(status=401)
    try:
        payload = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        # Not JSON, not UTF-8, or nested deeper than the parser goes: refused, never a 500.
        logger.warning("xero webhook: a signed body that is not readable JSON was refused")
        return Response("The body is not readable JSON.", status=400, mimetype="text/plain")
    tenants = organisations_to_sync(payload)
    for tenant_id in tenants:
        request_sync(tenant_id)
    if tenants:
        scheduler.wake()
    db.session.commit()
    return Response(status=200)
