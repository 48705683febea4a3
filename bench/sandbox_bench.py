"""Benchmark: the Xero sandbox's requests per second over real HTTP on a free loopback port.

Measures invoice creation (PUT /Invoices, one invoice per call and batches of 50) and
payment listing (GET /Payments, pages of 100), with rate limits relaxed. Bounded: a fixed
number of calls, loopback only, stops by itself.

    .venv/bin/python bench/sandbox_bench.py [--single 200] [--batches 20] [--lists 100]
"""
import argparse
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bridge.xero_sandbox import create_app  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402

CLIENT = {"id": "bench", "secret": "bench-secret", "redirect": "http://bench.test/cb"}
UNLIMITED = 10**9


def start(folder: Path, calls_per_minute: int = UNLIMITED) -> tuple[str, object]:
    """The sandbox on a free port, limits relaxed (but calls_per_minute), in a background thread."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
        "SANDBOX_CLIENTS": {CLIENT["id"]: {"name": "Bench", "secret": CLIENT["secret"],
                                           "redirect_uris": [CLIENT["redirect"]]}},
        "SANDBOX_CALLS_PER_MINUTE": calls_per_minute, "SANDBOX_CALLS_PER_DAY": UNLIMITED,
        "SANDBOX_APP_CALLS_PER_MINUTE": UNLIMITED, "SANDBOX_CONCURRENT_LIMIT": UNLIMITED,
    })
    app.logger.disabled = True
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def connect(base: str, session: requests.Session) -> dict:
    """Consent and code exchange; the headers for Accounting calls."""
    consent = {"response_type": "code", "client_id": CLIENT["id"], "redirect_uri": CLIENT["redirect"],
               "scope": "offline_access accounting.transactions accounting.contacts", "state": "bench"}
    answer = session.post(f"{base}/identity/connect/authorize", allow_redirects=False, timeout=30,
                          data=dict(consent, decision="allow", tenant=NZ_TENANT))
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    tokens = session.post(f"{base}/connect/token", auth=(CLIENT["id"], CLIENT["secret"]), timeout=30,
                          data={"grant_type": "authorization_code", "code": code,
                                "redirect_uri": CLIENT["redirect"]}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": NZ_TENANT,
            "Accept": "application/json"}


def invoice(contact_id: str, n: int) -> dict:
    return {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": "AUTHORISED",
            "Date": "2026-03-01", "DueDate": "2026-03-31", "Reference": f"bench {n}",
            "LineItems": [{"Description": "Bench work", "Quantity": 2, "UnitAmount": 99.95,
                           "AccountCode": "200", "TaxType": "OUTPUT2"}]}


def timed(label: str, calls: int, action, per_call: int = 1) -> None:
    """Run action(i) calls times and print requests (and records) per second."""
    started = time.perf_counter()
    for i in range(calls):
        response = action(i)
        if response.status_code != 200:
            raise SystemExit(f"{label}: HTTP {response.status_code} {response.text[:300]}")
    elapsed = time.perf_counter() - started
    extra = f", {calls * per_call / elapsed:8.1f} records/s" if per_call > 1 else ""
    print(f"{label:<42} {calls:5d} calls in {elapsed:6.2f} s = {calls / elapsed:7.1f} req/s{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=200, help="PUT /Invoices calls with one invoice")
    parser.add_argument("--batches", type=int, default=20, help="PUT /Invoices calls with 50 invoices")
    parser.add_argument("--lists", type=int, default=100, help="GET /Payments page calls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base, server = start(Path(folder))
        session = requests.Session()
        headers = connect(base, session)
        api = f"{base}/api.xro/2.0"
        contact = session.get(f"{api}/Contacts", headers=headers, timeout=30).json()["Contacts"][0]["ContactID"]
        timed("PUT /Invoices (1 invoice per call)", args.single, lambda i: session.put(
            f"{api}/Invoices", headers=headers, timeout=60, json={"Invoices": [invoice(contact, i)]}))
        timed("PUT /Invoices (batches of 50)", args.batches, lambda i: session.put(
            f"{api}/Invoices", headers=headers, timeout=120,
            json={"Invoices": [invoice(contact, i * 50 + j) for j in range(50)]}), per_call=50)
        ids = [i["InvoiceID"] for i in session.get(f"{api}/Invoices", headers=headers, timeout=60, params={
            "where": 'Status=="AUTHORISED"', "pageSize": 300}).json()["Invoices"]]
        payments = [{"Invoice": {"InvoiceID": i}, "Account": {"Code": "090"}, "Date": "2026-03-10",
                     "Amount": 10} for i in ids]
        for start_at in range(0, len(payments), 50):
            session.put(f"{api}/Payments", headers=headers, timeout=120,
                        json={"Payments": payments[start_at:start_at + 50]}).raise_for_status()
        timed(f"GET /Payments (page of 100 of {len(payments) + 3})", args.lists, lambda i: session.get(
            f"{api}/Payments", headers=headers, timeout=60, params={"page": 1 + i % 3, "pageSize": 100}))
        server.shutdown()


if __name__ == "__main__":
    main()
