"""Webhooks as Xero sends them: signed INVOICE events after invoices and bills change, and
the "intent to receive" check with good and bad signatures (XERO_API_NOTES.md §15).

Set SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_KEY (or PUT /_sandbox/webhooks at run time).
Every request that creates or changes sales invoices or bills (a payment recorded or removed,
a credit note allocated, an invoice created or updated, by API, UI or control API) sends
one delivery with an INVOICE CREATE/UPDATE event per document, after the response, from a
background thread, as Xero delivers asynchronously. The body is signed with
Base64(HMAC-SHA256(key, body)) in x-xero-signature.
"""
import base64
import hashlib
import hmac
import json
import queue
import random
import string
import threading
from collections import deque

import requests
from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import event

from bridge.xero_sandbox import clock
from bridge.xero_sandbox.db import Invoice

_KEY = "xero_sandbox.webhooks"
DOCUMENT_TYPES = ("ACCREC", "ACCPAY")
TIMEOUT = 5.0
_listening = False
_listening_guard = threading.Lock()


class Hooks:
    """One sandbox app's webhook target, its sequence numbers, its delivery log and sender."""

    def __init__(self, url: str, key: str, log_size: int = 200):
        self.url, self.key = url, key
        self.lock = threading.Lock()
        self.sequence = 0
        self.deliveries: deque = deque(maxlen=log_size)
        self.outbox: queue.Queue = queue.Queue()
        self.sender: threading.Thread | None = None

    def next_sequence(self) -> int:
        with self.lock:
            self.sequence += 1
            return self.sequence

    def enqueue(self, payload: dict) -> None:
        """Send later, from the sender thread (started on first use)."""
        with self.lock:
            if self.sender is None or not self.sender.is_alive():
                self.sender = threading.Thread(target=self._send_forever, daemon=True,
                                               name="sandbox-webhooks")
                self.sender.start()
        self.outbox.put((self.url, self.key, payload))

    def _send_forever(self) -> None:
        while True:
            url, key, payload = self.outbox.get()
            self.deliveries.append(deliver(url, key, payload, good=True))


def signature(key: str, body: bytes) -> str:
    """Base64(HMAC-SHA256(key, body)), as in x-xero-signature."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def deliver(url: str, key: str, payload: dict, *, good: bool) -> dict:
    """POST one signed (or, for good=False, wrongly signed) delivery; what came back."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    signed_with = key if good else key + "-not-the-key"
    entry = {"at": clock.now().isoformat(),
             "events": len(payload.get("events") or []), "signature": "good" if good else "bad",
             "status": None, "body_empty": None, "set_cookie": None, "error": None}
    try:
        answer = requests.post(url, data=body, timeout=TIMEOUT, allow_redirects=False, headers={
            "Content-Type": "application/json", "x-xero-signature": signature(signed_with, body)})
        entry.update(status=answer.status_code, body_empty=answer.content == b"",
                     set_cookie="Set-Cookie" in answer.headers)
    except requests.RequestException as error:
        entry["error"] = str(error)[:300]
    return entry


def entropy() -> str:
    """Xero's 20 random capital letters."""
    return "".join(random.choices(string.ascii_uppercase, k=20))


def _collect(kind: str):
    """A mapper listener noting sales invoices and bills written in this request."""

    def listener(_mapper, _connection, document: Invoice) -> None:
        if not has_request_context() or document.type not in DOCUMENT_TYPES:
            return
        hooks = current_app.extensions.get(_KEY)
        if hooks is None or not hooks.url:
            return
        pending = g.setdefault("sandbox_webhook_events", {})
        pending.setdefault(document.id, (document.org_id, kind))  # CREATE wins over UPDATE

    return listener


def _send_pending(response: Response) -> Response:
    """after_request: one delivery with this request's events, if it succeeded."""
    pending = g.pop("sandbox_webhook_events", None)
    hooks = current_app.extensions.get(_KEY)
    if not pending or hooks is None or not hooks.url or response.status_code >= 400:
        return response
    base = request.url_root.rstrip("/") + "/api.xro/2.0/Invoices/"
    when = clock.now().replace(tzinfo=None).isoformat(timespec="milliseconds")
    sequence = [hooks.next_sequence() for _ in pending]
    hooks.enqueue({
        "events": [{"resourceUrl": base + doc_id, "resourceId": doc_id, "eventDateUtc": when,
                    "eventType": kind, "eventCategory": "INVOICE", "tenantId": org_id,
                    "tenantType": "ORGANISATION"} for doc_id, (org_id, kind) in pending.items()],
        "firstEventSequence": sequence[0], "lastEventSequence": sequence[-1], "entropy": entropy(),
    })
    return response


def init_app(app: Flask) -> None:
    """Give the app its webhook target (possibly none) and watch documents being written."""
    global _listening
    app.extensions[_KEY] = Hooks(app.config["SANDBOX_WEBHOOK_URL"], app.config["SANDBOX_WEBHOOK_KEY"])
    app.after_request(_send_pending)
    with _listening_guard:
        if not _listening:
            event.listen(Invoice, "after_insert", _collect("CREATE"))
            event.listen(Invoice, "after_update", _collect("UPDATE"))
            _listening = True


def hooks() -> Hooks:
    """The current app's webhook settings and log."""
    return current_app.extensions[_KEY]


def intent_to_receive(url: str, key: str, rounds: int = 2) -> dict:
    """Xero's check of a new webhook URL: empty events, signed well and badly, shuffled.

    Passed when every good one got 200 with an empty body and every bad one 401.
    """
    payload = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": entropy()}
    kinds = [True, False] * rounds
    random.shuffle(kinds)
    deliveries = [deliver(url, key, payload, good=good) for good in kinds]
    passed = all((d["status"] == 200 and d["body_empty"]) if d["signature"] == "good"
                 else d["status"] == 401 for d in deliveries)
    return {"passed": passed, "deliveries": deliveries}
