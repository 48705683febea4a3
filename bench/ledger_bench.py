"""Benchmark: what keeping Xero's ledger costs the payment sync (issue 16).

1. Against the Xero sandbox over real HTTP (loopback, limits relaxed), on 1,000 copied
   invoices: a sync cycle with nothing changed (target: 2 Xero calls per organisation; it
   waits out the sync's two-minute look-back first, so the bench takes about 3 minutes), then
   one after all 1,000 were paid in full in Xero (target: at most 1 + ceil(1000/100) = 11
   calls more than idle).
2. Bridge's side alone, Xero answered by `responses` page by page (the fake holds nothing):
   the tracemalloc peak of a cycle in which 1,000 and then 2,000 copied documents changed
   in Xero (target: the peak at 2,000 within 1.5x of the peak at 1,000).

    .venv/bin/python bench/ledger_bench.py
"""
import gc
import json
import logging
import re
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import responses  # noqa: E402

from bench.payments_bench import (  # noqa: E402
    BASE, TENANT, bridge_app, calls_of, connected_to_sandbox, copied, copies_in_sandbox, fake_connection,
    forget_answers, guid, ms, page_of, paid_then_synced, sync_on)
from bridge.config import XERO_URLS  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import utcnow  # noqa: E402
from bridge.xero.api.client import XeroClient  # noqa: E402
from bridge.xero.api.ratelimit import SHARED_BUDGET  # noqa: E402
from bridge.xero.sync.payments import OVERLAP, sync_organisation  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402

DOCUMENTS = 1000


# --- 1. the sandbox over real HTTP --------------------------------------------------------

def against_the_sandbox(folder: Path) -> None:
    with connected_to_sandbox(folder) as server:
        sync_on(NZ_TENANT, utcnow() - timedelta(seconds=1))
        with XeroClient(NZ_TENANT) as client:
            answers = copies_in_sandbox(client, DOCUMENTS)
            sync_organisation(NZ_TENANT, client=client)  # settles the cursors after the copies

            changed_at = time.monotonic()
            client.calls.clear()
            result = sync_organisation(NZ_TENANT, client=client)
            calls, ops = calls_of(client)
            print(f"sandbox, nothing changed, but 1,000 copies within the look-back: {calls} calls {ops}")
            # The sync reads again what changed within OVERLAP of Xero's clock at the previous
            # cycle (Xero stamps a record before it commits): idle cycles are those after a
            # cycle that ran more than OVERLAP after the burst, as polls are once things calm down.
            time.sleep(max(0.0, OVERLAP.total_seconds() + 1 - (time.monotonic() - changed_at)))
            sync_organisation(NZ_TENANT, client=client)
            client.calls.clear()
            result = sync_organisation(NZ_TENANT, client=client)
            idle, ops = calls_of(client)
            print(f"sandbox, nothing changed:                {idle:3d} calls per cycle {ops}, target 2  "
                  f"({result.message})")

            payments = [{"Invoice": {"InvoiceID": a["InvoiceID"]}, "Account": {"Code": "090"},
                         "Date": date(2026, 3, 10), "Amount": Decimal("100.00"), "Reference": "in full"}
                        for a in answers]
            changed, ops, result, elapsed = paid_then_synced(client, payments)
            target = idle + 1 + -(-DOCUMENTS // 100)
            print(f"sandbox, {DOCUMENTS:,} documents paid in Xero: {changed:3d} calls per cycle {ops}, "
                  f"target <= {target}  ({result.message}; {elapsed:.1f} s)")
    server.shutdown()


# --- 2. Bridge's side alone, Xero faked page by page ---------------------------------------

def fake_xero(mock, documents: int) -> None:
    """No payment changed; `documents` copies were approved in Xero (summaries, page by page)."""
    step = timedelta(milliseconds=5)

    def no_payments(request):
        forget_answers(mock)
        return 200, {}, json.dumps({"Status": "OK", "Payments": []})

    def invoice_page(request):
        forget_answers(mock)
        first, last = page_of(request, documents, step)
        items = [{"InvoiceID": guid(2, n), "InvoiceNumber": f"INV-{n:05d}", "Type": "ACCREC",
                  "Status": "AUTHORISED", "CurrencyCode": "NZD", "SubTotal": 10.00, "TotalTax": 0.00,
                  "Total": 10.00, "AmountPaid": 0.00, "AmountCredited": 0.00, "AmountDue": 10.00,
                  "UpdatedDateUTC": ms(BASE + n * step)}
                 for n in range(first, last)]
        return 200, {}, json.dumps({"Status": "OK", "Invoices": items})

    api = re.escape(XERO_URLS["XERO_API_URL"])
    mock.add_callback("GET", re.compile(api + r"/Payments(\?.*)?$"), callback=no_payments)
    mock.add_callback("GET", re.compile(api + r"/Invoices(\?.*)?$"), callback=invoice_page)


def documents_changed(folder: Path, documents: int) -> tuple[int, int, float, str]:
    """A cycle in which `documents` copies changed in Xero: peak bytes, calls, seconds, result."""
    app = bridge_app(folder, f"bridge-ledger-{documents}.sqlite", **XERO_URLS,
                     XERO_CLIENT_ID="bench", XERO_CLIENT_SECRET="bench")
    SHARED_BUDGET.reset()
    with app.app_context():
        fake_connection(app)
        copied(TENANT, [{"InvoiceID": guid(2, n), "InvoiceNumber": f"INV-{n:05d}", "Status": "DRAFT",
                         "CurrencyCode": "NZD", "Total": Decimal("10.00"), "AmountDue": Decimal("10.00"),
                         "AmountPaid": Decimal("0.00"), "AmountCredited": Decimal("0.00")}
                        for n in range(documents)])
        sync_on(TENANT, BASE)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, \
                XeroClient(TENANT) as client:
            fake_xero(mock, documents)
            gc.collect()
            tracemalloc.start()
            tracemalloc.reset_peak()
            started = time.perf_counter()
            result = sync_organisation(TENANT, client=client)
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            calls, _ops = calls_of(client)
        db.engine.dispose()
    return peak, calls, elapsed, result.message


def main() -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        against_the_sandbox(Path(folder))
        documents_changed(Path(folder), 100)  # warms module-level caches, as a running app has
        peaks = {}
        for count in (1_000, 2_000):
            peaks[count], calls, elapsed, message = documents_changed(Path(folder), count)
            print(f"{count:,} documents changed (Xero faked): {calls} calls, {elapsed:.2f} s, "
                  f"tracemalloc peak {peaks[count] / 2**20:5.1f} MiB  ({message})")
        print(f"peak at 2,000 / peak at 1,000: {peaks[2_000] / peaks[1_000]:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
