"""A bounded in-memory record of the requests the sandbox served, for tests to assert on.

Accounting requests without `Accept: application/json` are also logged as warnings:
real Xero would answer them in XML, so a client that forgets the header is buggy.
"""
import threading
from collections import deque

from flask import Flask, Response, current_app, g, request

from bridge.xero_sandbox import clock

_KEY = "xero_sandbox.recorder"
ACCOUNTING_PREFIX = "/api.xro/2.0"


class _Log:
    def __init__(self, size: int) -> None:
        self.lock = threading.Lock()
        self.entries: deque = deque(maxlen=size)


def init_app(app: Flask) -> None:
    """Record every response the app gives (except the control API's own)."""
    app.extensions[_KEY] = _Log(app.config["SANDBOX_REQUEST_LOG_SIZE"])
    app.after_request(_record)


def accept_is_missing() -> bool:
    """Whether an Accounting request fails to ask for JSON (or a PDF).

    A GET of one attachment's bytes asks for the file's own type (the spec's contentType
    header): Xero answers it with the bytes, never XML, so it is not flagged.
    """
    accept = request.headers.get("Accept", "")
    segments = request.path.strip("/").split("/")
    if request.method == "GET" and len(segments) == 6 and segments[4].lower() == "attachments":
        return False
    return "application/json" not in accept and "application/pdf" not in accept


def _record(response: Response) -> Response:
    """after_request: append one entry; warn about a missing Accept header."""
    if request.path.startswith("/_sandbox") or request.path.startswith("/static"):
        return response
    accounting = request.path.startswith(ACCOUNTING_PREFIX)
    missing_accept = accounting and accept_is_missing()
    if missing_accept:
        current_app.logger.warning(
            "sandbox: %s %s sent without 'Accept: application/json'; real Xero would answer XML",
            request.method, request.path,
        )
    entry = {
        "at": clock.now().isoformat(),
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode("latin-1"),
        "status": response.status_code,
        "tenant_id": request.headers.get("xero-tenant-id"),
        "client_id": getattr(g, "client_id", None),
        "accept": request.headers.get("Accept"),
        "idempotency_key": request.headers.get("Idempotency-Key"),
        "missing_accept": missing_accept,
    }
    log = current_app.extensions[_KEY]
    with log.lock:
        log.entries.append(entry)
    return response


def entries() -> list[dict]:
    """Recorded requests, oldest first."""
    log = current_app.extensions[_KEY]
    with log.lock:
        return list(log.entries)


def clear() -> None:
    """Forget recorded requests."""
    log = current_app.extensions[_KEY]
    with log.lock:
        log.entries.clear()
