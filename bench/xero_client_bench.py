"""How much time the Xero client itself adds to a call, Xero's own time left out.

Xero is replaced by `responses` with canned, realistic bodies (an invoice with five lines),
so no network is involved. Each operation runs N times; the same requests sent with a bare
requests.Session against the same mock give the baseline (requests + responses), and the
difference is the client's overhead: headers, token from the database and its decryption
(once per client, cached until 60 s before expiry), the per-organisation budget, the call
counter, JSON encoding with Decimal and dates, decoding with Decimal and /Date()/ parsing,
status handling.

    .venv/bin/python bench/xero_client_bench.py [-n 2000]
"""
import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
import responses  # noqa: E402

from bridge import create_app  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import XeroConnection, utcnow  # noqa: E402
from bridge.xero.api.client import XeroClient  # noqa: E402
from bridge.xero.api.ratelimit import call_counts  # noqa: E402
from bridge.xero.api.tokens import TokenCipher  # noqa: E402

API = "https://api.xero.com/api.xro/2.0"
TENANT_ID = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
INVOICE_ID = "ed255415-e141-4150-aab7-89c3bbbb851c"
CONTACT_ID = "430fa14a-f945-44d3-9f97-5df5e28441b8"


def xero_invoice() -> dict:
    lines = [{
        "Description": f"Design work, phase {n}", "UnitAmount": 125.00, "TaxType": "OUTPUT2",
        "TaxAmount": 75.00, "LineAmount": 500.00, "AccountCode": "200", "Tracking": [],
        "Quantity": 4.0000, "LineItemID": str(uuid4()), "ValidationErrors": [],
    } for n in range(1, 6)]
    return {
        "Type": "ACCREC", "InvoiceID": INVOICE_ID, "InvoiceNumber": "INV-0042",
        "Reference": "PO 5521", "Payments": [], "CreditNotes": [], "Prepayments": [],
        "Overpayments": [], "AmountDue": 2875.00, "AmountPaid": 0.00, "AmountCredited": 0.00,
        "SentToContact": False, "CurrencyRate": 1.000000, "HasErrors": False,
        "IsDiscounted": False, "Contact": {"ContactID": CONTACT_ID, "Name": "Northwind Studio"},
        "DateString": "2026-03-01T00:00:00", "Date": "/Date(1772323200000+0000)/",
        "DueDateString": "2026-03-31T00:00:00", "DueDate": "/Date(1774915200000+0000)/",
        "Status": "AUTHORISED", "LineAmountTypes": "Exclusive", "LineItems": lines,
        "SubTotal": 2500.00, "TotalTax": 375.00, "Total": 2875.00,
        "UpdatedDateUTC": "/Date(1772380800000+0000)/", "CurrencyCode": "NZD",
        "StatusAttributeString": "OK",
    }


def envelope(items, paged) -> str:
    body = {"Id": str(uuid4()), "Status": "OK", "ProviderName": "Bridge",
            "DateTimeUTC": "/Date(1772380800000)/", "Invoices": items}
    if paged:
        body["pagination"] = {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": 1}
    return json.dumps(body)


def new_invoice() -> dict:
    return {
        "Type": "ACCREC", "Contact": {"ContactID": CONTACT_ID}, "Date": date(2026, 3, 1),
        "DueDate": date(2026, 3, 31), "LineAmountTypes": "Exclusive", "Reference": "PO 5521",
        "Status": "AUTHORISED", "LineItems": [
            {"Description": f"Design work, phase {n}", "Quantity": Decimal("4"),
             "UnitAmount": Decimal("125.00"), "AccountCode": "200", "TaxType": "OUTPUT2"}
            for n in range(1, 6)],
    }


def timed(n: int, baseline, call) -> tuple[list[float], list[float]]:
    """Milliseconds per call of baseline and call, n each, interleaved so that noise from
    the machine falls on both alike; the garbage collector paused, as timeit does."""
    base, full = [], []
    gc.collect()
    gc.disable()
    try:
        for _ in range(n):
            for samples, function in ((base, baseline), (full, call)):
                started = time.perf_counter()
                function()
                samples.append((time.perf_counter() - started) * 1000)
    finally:
        gc.enable()
    return base, full


def summary(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    mean, median = statistics.fmean(samples), statistics.median(samples)
    return f"mean {mean:6.3f}  median {median:6.3f}  p95 {p95:6.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="calls per operation")
    n = parser.parse_args().n

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
            "XERO_CLIENT_ID": "bench", "XERO_CLIENT_SECRET": "bench", "XERO_API_URL": API,
            # The budget must not wait here: 2000 calls would take 40 minutes at 55 a minute.
            "XERO_CALLS_PER_MINUTE": 10**9,
        })
        with app.app_context():
            db.create_all()
            cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
            db.session.add(XeroConnection(
                tenant_id=TENANT_ID, tenant_name="Bench", connection_id=str(uuid4()),
                access_token_encrypted=cipher.encrypt("a" * 1200),  # Xero JWTs are ~1.2 kB
                refresh_token_encrypted=cipher.encrypt("r" * 64),
                access_token_expires_at=utcnow() + timedelta(hours=1), status="active",
                refresh_version=1,
            ))
            db.session.commit()

            listed = envelope([xero_invoice()], paged=True)
            created = envelope([xero_invoice()], paged=False)
            headers = {"Accept": "application/json", "xero-tenant-id": TENANT_ID,
                       "Authorization": "Bearer " + "a" * 1200}
            put_body = json.dumps({"Invoices": [json.loads(json.dumps(
                new_invoice(), default=lambda v: float(v) if isinstance(v, Decimal) else str(v)))]})

            with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
                mock.get(f"{API}/Invoices", body=listed, content_type="application/json")
                mock.put(f"{API}/Invoices", body=created, content_type="application/json")
                bare = requests.Session()
                client = XeroClient(TENANT_ID)
                results = {}
                for name, baseline, call in (
                    ("get_invoices(ids=[1 id])",
                     lambda: bare.get(f"{API}/Invoices", headers=headers,
                                      params={"IDs": INVOICE_ID, "page": 1}).json(),
                     lambda: client.get_invoices(ids=[INVOICE_ID])),
                    ("create_invoices([1 invoice, 5 lines])",
                     lambda: bare.put(f"{API}/Invoices", params={"summarizeErrors": "false"},
                                      data=put_body, headers={**headers, "Content-Type":
                                                              "application/json"}).json(),
                     lambda: client.create_invoices([new_invoice()],
                                                    idempotency_key=str(uuid4()))),
                ):
                    for _ in range(50):  # warm up both paths
                        baseline()
                        call()
                    results[name] = timed(n, baseline, call)
                    mock.calls.reset()

    print(f"Xero client overhead, N={n} calls per operation, Xero replaced by `responses`")
    print("(times in ms per call)\n")
    for name, (base, full) in results.items():
        print(name)
        print(f"  bare requests + mock : {summary(base)}")
        print(f"  XeroClient + mock    : {summary(full)}")
        print(f"  client overhead      : {statistics.fmean(full) - statistics.fmean(base):6.3f} "
              f"(mean), {statistics.median(full) - statistics.median(base):6.3f} (median)\n")
    print("Calls counted by the client (incl. warm-up):")
    for (tenant, op), count in sorted(call_counts().items(), key=lambda kv: kv[0][1]):
        print(f"  {op:<20} {count}")


if __name__ == "__main__":
    main()
