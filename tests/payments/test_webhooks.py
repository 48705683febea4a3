"""The Xero webhook endpoint (signature over the raw body, intent to receive, no login, no
CSRF, no cookies, an early sync asked for INVOICE events) and the sandbox's signed events,
end to end: a payment recorded "in Xero" reaches Bridge without waiting for the poll."""
import base64
import hashlib
import hmac
import json
import time

import pytest
import requests
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Invoice, XeroSyncState
from bridge.webhooks import xero as endpoint
from bridge.xero.scheduling import scheduler
from tests.conftest import make_app
from tests.live import LiveServer

KEY = "webhook-signing-key-for-tests-0123456789"
ITR = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "ZPYMEMQBZVLKTCBUOTZN"}


def sign(body: bytes, key: str = KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["x-xero-signature"] = signature
    return client.post("/webhooks/xero", data=body, headers=headers)


def invoice_event(tenant_id: str, invoice_id: str, category: str = "INVOICE") -> bytes:
    return json.dumps({"events": [{
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{invoice_id}",
        "resourceId": invoice_id, "eventDateUtc": "2026-03-02T01:15:39.902", "eventType": "UPDATE",
        "eventCategory": category, "tenantId": tenant_id, "tenantType": "ORGANISATION"}],
        "firstEventSequence": 7, "lastEventSequence": 7, "entropy": "FXNGWLCCGVANWHKILRUB"}).encode()


@pytest.fixture
def strict(database_url, app):
    """A client of an app with CSRF on and the webhook key set; nobody logged in."""
    return make_app(database_url, WTF_CSRF_ENABLED=True, XERO_WEBHOOK_KEY=KEY).test_client()


def test_a_good_signature_gets_200_with_an_empty_body_and_no_cookie(strict):
    body = json.dumps(ITR).encode()
    started = time.perf_counter()
    answer = deliver(strict, body, sign(body))
    assert (answer.status_code, answer.data) == (200, b"")
    assert "Set-Cookie" not in answer.headers
    assert time.perf_counter() - started < 1  # Xero allows 5 seconds


@pytest.mark.parametrize("signature", [None, "", "not base64 at all", sign(b"another body"),
                                       sign(json.dumps(ITR).encode(), key="the wrong key")])
def test_a_bad_signature_gets_401(strict, signature):
    answer = deliver(strict, json.dumps(ITR).encode(), signature)
    assert (answer.status_code, answer.data) == (401, b"")
    assert "Set-Cookie" not in answer.headers


def test_the_signature_covers_the_raw_bytes_not_the_json(strict):
    raw = b'{"events": [],  "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "X"}\n'
    assert deliver(strict, raw, sign(raw)).status_code == 200
    # The same JSON, re-serialised: a different signature.
    assert deliver(strict, raw, sign(json.dumps(json.loads(raw)).encode())).status_code == 401


def test_without_a_key_every_delivery_is_refused(client):
    body = json.dumps(ITR).encode()
    assert deliver(client, body, sign(body)).status_code == 401


def test_an_invoice_event_about_a_copied_document_asks_for_a_sync(org, app, monkeypatch):
    app.config["XERO_WEBHOOK_KEY"] = KEY
    woken = []
    monkeypatch.setattr(endpoint.scheduler, "wake", lambda: woken.append(True))
    _, xero_doc = org.invoice("100.00")

    body = invoice_event(org.tenant_id, xero_doc["InvoiceID"])
    assert deliver(app.test_client(), body, sign(body)).status_code == 200

    assert org.state().sync_requested_at is not None and woken == [True]
    assert org.sync().message == "Nothing changed"
    assert org.state().sync_requested_at is None  # the run answered the request


@pytest.mark.parametrize("which", ["not ours", "contact event", "other organisation"])
def test_other_events_ask_for_nothing(org, app, which, monkeypatch):
    app.config["XERO_WEBHOOK_KEY"] = KEY
    monkeypatch.setattr(endpoint.scheduler, "wake", lambda: pytest.fail("woken for nothing"))
    _, ours = org.invoice("100.00")
    body = {"not ours": invoice_event(org.tenant_id, org.xero_invoice()["InvoiceID"]),
            "contact event": invoice_event(org.tenant_id, ours["InvoiceID"], category="CONTACT"),
            "other organisation": invoice_event("3c9e7b1a-5d2f-4e8a-b6c4-0d1e2f3a4b5c",
                                                ours["InvoiceID"])}[which]
    assert deliver(app.test_client(), body, sign(body)).status_code == 200
    assert org.state() is None


# --- the sandbox sends them, to Bridge on a real port ------------------------------------

@pytest.fixture
def bridge(database_url, org):
    """Bridge on a real port with the webhook key, and the sandbox sending it events."""
    served = make_app(database_url, XERO_WEBHOOK_KEY=KEY, **org.sandbox.bridge_config())
    with LiveServer(served) as server:
        answer = requests.put(f"{org.sandbox.url}/_sandbox/webhooks", timeout=10,
                              json={"url": f"{server.url}/webhooks/xero", "key": KEY})
        answer.raise_for_status()
        yield server


def deliveries(sandbox, count: int, timeout: float = 5.0) -> list[dict]:
    """The sandbox's deliveries, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = requests.get(f"{sandbox.url}/_sandbox/webhooks", timeout=10).json()["deliveries"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_intent_to_receive_passes_with_the_right_key(org, bridge):
    answer = requests.post(f"{org.sandbox.url}/_sandbox/webhooks/intent-to-receive", timeout=30).json()
    assert answer["passed"] is True
    assert sorted((d["signature"], d["status"], d["body_empty"]) for d in answer["deliveries"]) == [
        ("bad", 401, True), ("bad", 401, True), ("good", 200, True), ("good", 200, True)]
    assert not any(d["set_cookie"] for d in answer["deliveries"])


def test_intent_to_receive_fails_when_bridge_has_another_key(org, bridge):
    requests.put(f"{org.sandbox.url}/_sandbox/webhooks", timeout=10,
                 json={"url": f"{bridge.url}/webhooks/xero", "key": "a key Bridge does not know"})
    answer = requests.post(f"{org.sandbox.url}/_sandbox/webhooks/intent-to-receive", timeout=30).json()
    assert answer["passed"] is False
    assert {d["status"] for d in answer["deliveries"]} == {401}


def test_a_payment_in_xero_sends_a_signed_invoice_event(org, bridge):
    _, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "25.00")
    (delivery,) = [d for d in deliveries(org.sandbox, 2) if d["events"]][-1:]
    assert (delivery["signature"], delivery["status"], delivery["body_empty"]) == ("good", 200, True)
    assert org.state().sync_requested_at is not None


@pytest.fixture
def scheduled_bridge(database_url, org):
    """Bridge on a real port with its scheduler on, its first poll in 5 minutes (not in the test)."""
    served = make_app(database_url, XERO_WEBHOOK_KEY=KEY, XERO_SCHEDULER_ENABLED=True,
                      XERO_POLL_SECONDS=300, XERO_FIRST_POLL_SECONDS=300, **org.sandbox.bridge_config())
    poller = scheduler.running()
    try:
        assert poller is not None and poller.app is served
        with LiveServer(served) as server:
            requests.put(f"{org.sandbox.url}/_sandbox/webhooks", timeout=10,
                         json={"url": f"{server.url}/webhooks/xero", "key": KEY}).raise_for_status()
            yield server
    finally:
        poller.shutdown()


def test_an_event_gets_the_payment_synced_before_the_next_poll(org, scheduled_bridge):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    # Well before the first poll (300 s): only the webhook can have made it sync. Usually
    # within a second or two; the margin is for a loaded machine. Wait for the payment and
    # for the run to be over: a run commits the payment with its page, then records itself
    # (and the invoice's own creation event may have made an earlier run).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.expire_all()
        state = db.session.scalar(select(XeroSyncState))
        paid = db.session.get(Invoice, invoice.id).payment_status == "paid"
        if paid and state is not None and state.last_run_by and state.sync_requested_at is None:
            break
        time.sleep(0.1)
    assert db.session.get(Invoice, invoice.id).payment_status == "paid"
    assert state.last_run_by.startswith("scheduler ") and state.sync_requested_at is None
