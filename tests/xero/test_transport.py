"""Retries on a real socket: urllib3's Retry with the injected sleep, timeouts included.

`responses` cannot show these (it replaces the adapter), so a small scripted HTTP server
plays Xero here.
"""
import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bridge.xero.api import adapter
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroUnavailable
from tests.xero.payloads import TENANT_ID, envelope, invoice, new_invoice, organisation


class ScriptedXero(ThreadingHTTPServer):
    """Answers each request with the next scripted (delay, status, headers, body)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.steps = deque()
        self.seen = []
        self.lock = threading.Lock()

    def then(self, status=200, body=None, *, delay=0.0, headers=None):
        payload = json.dumps(body).encode() if body is not None else b""
        self.steps.append((delay, status, headers or {}, payload))
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        with server.lock:
            server.seen.append((self.command, self.path, dict(self.headers), body))
            delay, status, headers, payload = server.steps.popleft()
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting, as it should

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    server = ScriptedXero()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(xero_app, connection, server, sleeps):
    xero_app.config.update(XERO_API_URL=f"{server.url}/api.xro/2.0", XERO_TIMEOUT=0.25)
    client = XeroClient(TENANT_ID, sleep=sleeps.append)
    yield client
    client.close()


OK_INVOICES = envelope("Invoices", [invoice(StatusAttributeString="OK")])


def test_503_retried_with_backoff(client, server, sleeps):
    server.then(503).then(503).then(200, organisation())
    assert client.get_organisation()["Name"] == "Demo Company (NZ)"
    assert len(server.seen) == 3
    # urllib3: no wait before the first retry, then backoff_factor * 2.
    assert sleeps == [2.0]
    assert client.calls[(TENANT_ID, "GET /Organisation")] == 3


def test_503_retry_after_is_honoured(client, server, sleeps):
    server.then(503, headers={"Retry-After": "3"}).then(200, organisation())
    client.get_organisation()
    assert sleeps == [3.0]


def test_5xx_gives_up_after_three_retries(client, server, sleeps):
    for _ in range(4):
        server.then(500)
    with pytest.raises(XeroUnavailable, match="having problems at the moment \\(Bridge tried 4 times\\)"):
        client.get_organisation()
    assert len(server.seen) == 4 and sleeps == [2.0, 4.0]


def test_get_retried_after_a_timeout(client, server):
    server.then(200, organisation(), delay=0.6).then(200, organisation())
    assert client.get_organisation()["Name"] == "Demo Company (NZ)"
    assert len(server.seen) == 2
    assert client.calls[(TENANT_ID, "GET /Organisation")] == 2


def test_put_with_idempotency_key_retried_after_a_timeout(client, server):
    server.then(200, OK_INVOICES, delay=0.6).then(200, OK_INVOICES)
    client.create_invoices([new_invoice()], idempotency_key="bridge-inv-9-v1")
    assert [s[2]["Idempotency-Key"] for s in server.seen] == ["bridge-inv-9-v1"] * 2
    assert server.seen[0][3] == server.seen[1][3]


def test_put_without_key_not_retried_after_a_timeout(client, server):
    server.then(200, OK_INVOICES, delay=0.6).then(200, OK_INVOICES)
    with pytest.raises(XeroUnavailable, match="did not answer within 0.25 seconds.*may have "
                                              "received it"):
        client.create_invoices([new_invoice()])
    time.sleep(0.1)
    assert len(server.seen) == 1


def test_put_without_key_not_retried_after_a_503(client, server):
    server.then(503).then(200, OK_INVOICES)
    with pytest.raises(XeroUnavailable, match="did not retry"):
        client.create_invoices([new_invoice()])
    assert len(server.seen) == 1


def test_connection_refused_is_retried_even_for_writes(xero_app, connection, sleeps):
    """The request never left, so repeating it cannot duplicate anything."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    xero_app.config.update(XERO_API_URL=f"http://127.0.0.1:{port}/api.xro/2.0")
    client = XeroClient(TENANT_ID, sleep=sleeps.append)
    with pytest.raises(XeroUnavailable, match="could not reach Xero \\(Bridge tried 4 times\\)"):
        client.create_invoices([new_invoice()])
    assert client.calls[(TENANT_ID, "PUT /Invoices")] == 4
    assert sleeps == [2.0, 4.0]


def test_each_call_sends_what_a_requests_session_would(client, server):
    """No Session: the default headers are Bridge's own and the query is encoded as requests
    encodes it."""
    server.then(200, envelope("Contacts", [])).then(200, envelope("Contacts", []))
    client.find_contacts_by_names(['Northwind "Studio"', "Acme Ltd"])
    client.find_contacts_by_names(["Fern Signs"])
    (method, path, headers, _), (_, second, _, _) = server.seen
    assert method == "GET" and path == (
        "/api.xro/2.0/Contacts?where=Name%3D%3D%22Northwind+%5C%22Studio%5C%22%22+OR+Name%3D%3D%22Acme+Ltd%22&page=1")
    assert second.endswith("where=Name%3D%3D%22Fern+Signs%22&page=1")
    assert headers["User-Agent"] == "Bridge-Xero-client" and headers["Accept"] == "application/json"
    assert headers["Accept-Encoding"] == "gzip, deflate" and headers["xero-tenant-id"] == TENANT_ID


def test_proxies_come_from_the_environment_read_once_per_host(monkeypatch):
    """HTTPS_PROXY and NO_PROXY are honoured as requests honours them, without reading the
    environment on every call."""
    adapter._proxies.cache_clear()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "identity.xero.com")
    try:
        assert adapter.proxies_for("https://api.xero.com/api.xro/2.0/Invoices?page=1")["https"] == \
            "http://proxy.example:3128"
        assert "https" not in adapter.proxies_for("https://identity.xero.com/connect/token")
        monkeypatch.delenv("HTTPS_PROXY")
        # Read once per host: the same answer until the process starts again.
        assert adapter.proxies_for("https://api.xero.com/api.xro/2.0/Contacts")["https"] == "http://proxy.example:3128"
    finally:
        adapter._proxies.cache_clear()


def test_a_header_with_a_line_break_is_refused_before_it_is_sent(client, server):
    server.then(200, OK_INVOICES)
    with pytest.raises(ValueError, match="Invalid header value"):
        client.create_invoices([new_invoice()], idempotency_key="bridge-inv-1\r\nX-Evil: 1")
    assert server.seen == []
