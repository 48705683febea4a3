"""Idempotency-Key on PUT/POST: replay the stored answer, or refuse a different request.

Keys are scoped to the app and the organisation and live 6 minutes of sandbox time
(UNCONFIRMED window, notes §3.5). Error answers are stored and replayed too. Injected
faults and rate-limit refusals happen before this point, so they are never stored
(UNCONFIRMED whether Xero caches 5xx).
"""
import hashlib
from datetime import timedelta

from flask import Response, g, request
from sqlalchemy.exc import IntegrityError

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.db import IdempotencyRecord, db

WINDOW = timedelta(minutes=6)
MAX_KEY_LENGTH = 128


def _fingerprint() -> str:
    """What makes two requests "the same": method, path, query and body bytes."""
    parts = [request.method, request.path, request.query_string.decode("latin-1"), ""]
    raw = "\n".join(parts).encode("utf-8") + request.get_data()
    return hashlib.sha256(raw).hexdigest()


def before() -> Response | None:
    """Replay or refuse a keyed request; otherwise remember to store its answer."""
    key = request.headers.get("Idempotency-Key")
    if request.method not in ("PUT", "POST") or not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        # UNCONFIRMED wording: the spec only says "128 character max".
        return wire.json_response(wire.error_body(
            10, "ValidationException", "Idempotency Key must be 128 characters or fewer."), 400)
    record = db.session.scalar(db.select(IdempotencyRecord).filter_by(
        client_id=g.client_id, tenant_id=g.org.id, key=key))
    if record is not None and clock.now() - record.created_utc < WINDOW:
        if record.fingerprint != _fingerprint():
            # UNCONFIRMED body shape; the message text is the one reported (xero-node#649).
            return wire.json_response(wire.error_body(
                10, "ValidationException",
                f"Idempotency Key: {key} is used with a different request."), 400)
        response = Response(record.body, status=record.status_code, content_type=record.content_type)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    if record is not None:
        db.session.delete(record)  # expired: the key is new again
        db.session.commit()
    g.idempotency_key = key
    return None


def after(response: Response) -> Response:
    """Store the answer to a keyed request (successes and errors alike)."""
    key = getattr(g, "idempotency_key", None)
    if not key or response.direct_passthrough:
        return response
    db.session.rollback()  # leave nothing of a failed handler pending
    db.session.add(IdempotencyRecord(
        client_id=g.client_id, tenant_id=g.org.id, key=key, fingerprint=_fingerprint(),
        status_code=response.status_code, content_type=response.content_type or "",
        body=response.get_data(as_text=True), created_utc=clock.now(),
    ))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # a concurrent twin stored its answer first
    return response
