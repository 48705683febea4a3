"""Refreshing is single-flight per connection: many threads or processes, one token call.

Xero rotates refresh tokens, and a second use of an old one (after the grace period) locks
the organisation out, so this is what keeps Bridge connected. The suite's database is a
SQLite file (tests/conftest.py), where the client takes the write lock to serialise.
"""
import contextlib
import json
import multiprocessing
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from bridge.xero.api import connection as connection_module
from bridge.xero.api.client import XeroClient
from tests.xero.conftest import REFRESH_TOKEN, add_connection, stored
from tests.xero.payloads import API, TENANT_ID, TOKEN_URL, organisation, token_response

THREADS = 5


def refresh_in_threads(app, n):
    """n threads, each with its own app context and session, all needing a refresh at once."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def work():
        with app.app_context():
            client = XeroClient(TENANT_ID, sleep=lambda s: None)
            barrier.wait()
            try:
                results.append(client.get_organisation()["Name"])
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                client.close()

    threads = [threading.Thread(target=work) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def slow_token_endpoint(calls):
    def answer(request):
        calls.append(parse_qs(request.body)["refresh_token"][0])
        time.sleep(0.3)  # wide enough for every thread to arrive meanwhile
        return 200, {}, json.dumps(token_response(len(calls) + 1))
    return answer


@pytest.mark.parametrize("process_lock", [True, False], ids=["threads", "db-lock-only"])
def test_concurrent_refreshes_make_one_token_call(xero_app, xero_http, monkeypatch,
                                                  process_lock):
    """With process_lock=False each thread behaves like a separate process: only the
    database row lock stands between them."""
    if not process_lock:
        monkeypatch.setattr(connection_module, "_refresh_lock",
                            lambda key: contextlib.nullcontext())
    add_connection(xero_app, expires_in=timedelta(seconds=30))
    token_calls = []
    xero_http.add_callback("POST", TOKEN_URL, callback=slow_token_endpoint(token_calls))
    xero_http.get(f"{API}/Organisation", json=organisation())

    results, errors = refresh_in_threads(xero_app, THREADS)

    assert errors == []
    assert results == ["Demo Company (NZ)"] * THREADS
    assert token_calls == [REFRESH_TOKEN]
    new = token_response(2)
    used = {c.request.headers["Authorization"] for c in xero_http.calls
            if c.request.url.startswith(API)}
    assert used == {f"Bearer {new['access_token']}"}
    row = stored(xero_app)
    assert (row["refresh"], row["refresh_version"]) == (new["refresh_token"], 2)


# --- separate processes --------------------------------------------------------------

class TokenAndApi(ThreadingHTTPServer):
    """A token endpoint that counts refreshes (slowly) and an Organisation endpoint."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.refresh_tokens_used = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with self.server.lock:
            self.server.refresh_tokens_used.append(parse_qs(body)["refresh_token"][0])
            n = len(self.server.refresh_tokens_used)
        time.sleep(0.5)
        self._json(token_response(n + 1))

    def do_GET(self):
        self._json(organisation())

    def _json(self, body):
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def _process_main(database_url, overrides, barrier, results):
    """One Bridge worker process: its own app, engine and client."""
    from tests.conftest import make_app

    app = make_app(database_url, **overrides)
    with app.app_context():
        client = XeroClient(TENANT_ID, sleep=lambda s: None)
        barrier.wait()
        try:
            results.put(client.get_organisation()["Name"])
        except Exception as error:  # noqa: BLE001 - sent to the parent
            results.put(repr(error))


def test_concurrent_refreshes_in_separate_processes_make_one_token_call(xero_app, database_url):
    add_connection(xero_app, expires_in=timedelta(seconds=30))
    server = TokenAndApi()  # listening already; served from a thread started after the fork
    base = f"http://127.0.0.1:{server.server_address[1]}"
    overrides = {k: v for k, v in xero_app.config.items() if k.startswith("XERO_")}
    overrides.update(XERO_TOKEN_URL=f"{base}/connect/token", XERO_API_URL=f"{base}/api.xro/2.0")
    # fork: each child builds its own app, engine and client, as a worker process would;
    # spawn would work too but re-imports everything (about 8 s here).
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(3), context.Queue()
    processes = [context.Process(target=_process_main,
                                 args=(database_url, overrides, barrier, results))
                 for _ in range(3)]
    for process in processes:
        process.start()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        answers = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(30)
    finally:
        server.shutdown()
        server.server_close()
    assert answers == ["Demo Company (NZ)"] * 3
    assert server.refresh_tokens_used == [REFRESH_TOKEN]
    row = stored(xero_app)
    assert (row["refresh"], row["refresh_version"]) == (token_response(2)["refresh_token"], 2)
