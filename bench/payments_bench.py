"""Benchmark: the payment sync's Xero calls per cycle, and the time and memory to apply many.

1. Against the Xero sandbox over real HTTP (loopback, limits relaxed): a sync cycle with
   nothing changed, and one after 1,000 payments were recorded in Xero (500 copied
   invoices, two payments each). Prints the calls per cycle (targets: 1-2 and <= 15).
2. Bridge's side alone, Xero answered by `responses` from payments generated page by
   page (so the fake holds none of them), on 1,000 copied invoices: the wall time to apply
   10,000 payments
   (target < 10 s), and the tracemalloc peak of the sync for 1,000 and for 10,000
   payments (it must not grow with the number: the sync works one page at a time).

    .venv/bin/python bench/payments_bench.py
"""
import argparse
import gc
import json
import logging
import re
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
import responses  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.sandbox_bench import CLIENT, start  # noqa: E402
from bridge import create_app  # noqa: E402
from bridge.config import XERO_SANDBOX_PATHS, XERO_URLS  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import (  # noqa: E402
    Company, Invoice, XeroConnection, XeroCopy, XeroSettings, utcnow)
from bridge.xero.api.client import XeroClient  # noqa: E402
from bridge.xero.sync.payments import sync_organisation  # noqa: E402
from bridge.xero.api.ratelimit import SHARED_BUDGET  # noqa: E402
from bridge.xero.api.tokens import TokenCipher  # noqa: E402
from bridge.xero.sending import ledger  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402

TENANT = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
BASE = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
# Part 2's copied invoices: the same number whatever the number of payments, so only
# the payments differ between the two memory measurements.
INVOICES = 1000


def bridge_app(folder: Path, name: str, **config):
    """Bridge on a fresh SQLite file, its schema created."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / name}",
                      "XERO_CALLS_PER_MINUTE": 100_000, **config})
    with app.app_context():
        db.create_all()
    return app


def copied(tenant_id: str, answers: list[dict]) -> None:
    """One Bridge invoice per Xero answer, each with the done copy and the ledger row a
    "Copy to Xero" leaves (the invoice's total is the answer's)."""
    company = db.session.scalar(db.select(Company).where(Company.name == "Northwind"))
    if company is None:
        company = Company(name="Northwind", default_currency="NZD")
        db.session.add(company)
        db.session.flush()
    start = db.session.query(Invoice).count()
    db.session.execute(insert(Invoice), [{
        "number": f"B-{start + n:05d}", "subject": "Bench", "client_id": company.id, "currency": "NZD",
        "issue_date": date(2026, 3, 1), "due_date": date(2026, 3, 31), "status": "sent",
        "subtotal": answer["Total"], "tax_total": Decimal("0.00"), "total": answer["Total"],
        "amount_paid": Decimal("0.00"), "amount_credited": Decimal("0.00"), "payment_status": "unpaid",
        "created_at": utcnow(), "updated_at": utcnow()} for n, answer in enumerate(answers)])
    ids = [i for (i,) in db.session.execute(db.select(Invoice.id).order_by(Invoice.id))][start:]
    db.session.execute(insert(XeroCopy), [{
        "invoice_id": invoice_id, "tenant_id": tenant_id, "attempt_key": f"bench-{answer['InvoiceID']}",
        "action": "create", "state": "done", "xero_id": answer["InvoiceID"], "created_at": utcnow(),
        "completed_at": utcnow()} for invoice_id, answer in zip(ids, answers)])
    for invoice_id, answer in zip(ids, answers):
        ledger.record(tenant_id, answer, invoice_id=invoice_id)
    ledger.summarise(Invoice, ids)
    db.session.commit()


def sync_on(tenant_id: str, since: datetime) -> None:
    db.session.add(XeroSettings(id=1, tenant_id=tenant_id, sync_payments=True, payments_synced_since=since,
                                invoice_numbers_by="bridge", pdfs_by="bridge", initial_status="DRAFT",
                                reference_from="subject", export_expenses=False, configured_at=since))
    db.session.commit()


def calls_of(client: XeroClient) -> tuple[int, dict]:
    counts = {op: n for (_, op), n in client.calls.items()}
    return sum(counts.values()), counts


# --- 1. the sandbox over real HTTP --------------------------------------------------------

@contextmanager
def connected_to_sandbox(folder: Path):
    """The sandbox started, and Bridge (app context pushed) connected to its NZ organisation
    through the OAuth flow; yields the sandbox's server."""
    base, server = start(folder)
    config = {"XERO_CLIENT_ID": CLIENT["id"], "XERO_CLIENT_SECRET": CLIENT["secret"],
              **{key: base + path for key, path in XERO_SANDBOX_PATHS.items()}}
    app = bridge_app(folder, "bridge-sandbox.sqlite", **config)
    with app.app_context():
        identity = XeroClient()
        url, _state = identity.authorization_url(CLIENT["redirect"])
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        answer = requests.post(
            f"{base}/identity/connect/authorize", allow_redirects=False, timeout=30,
            data={**query, "decision": "allow", "tenant": NZ_TENANT})
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        tokens = identity.exchange_code(code, CLIENT["redirect"])
        (tenant,) = [t for t in identity.list_connections(tokens) if t.tenant_id == NZ_TENANT]
        identity.save_connection(tokens, tenant)
        db.session.commit()
        yield server


def fake_connection(app) -> None:
    """A connection to the faked organisation TENANT, its tokens fresh."""
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    db.session.add(XeroConnection(
        tenant_id=TENANT, tenant_name="Bench Ltd", connection_id=guid(9, 1),
        access_token_encrypted=cipher.encrypt("bench-access"),
        refresh_token_encrypted=cipher.encrypt("bench-refresh"),
        access_token_expires_at=utcnow() + timedelta(hours=1), status="active", refresh_version=1))


def copies_in_sandbox(client: XeroClient, count: int) -> list[dict]:
    """`count` approved invoices of 100.00 made in the sandbox, 50 a call, each with the Bridge
    invoice, done copy and ledger row a "Copy to Xero" leaves; Xero's answers."""
    contact = client.find_contact_by_name("Northwind Studio")["ContactID"]
    sale = {"Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
            "Date": date(2026, 3, 2), "DueDate": date(2026, 4, 1), "LineItems": [{
                "Description": "Bench", "Quantity": Decimal("1"), "UnitAmount": Decimal("100.00"),
                "AccountCode": "200", "TaxType": "NONE"}]}
    answers = []
    for _ in range(count // 50):
        answers += client.create_invoices([sale] * 50)
    copied(client.tenant_id, answers)
    return answers


def paid_then_synced(client: XeroClient, payments: list[dict]) -> tuple[int, dict, object, float]:
    """Record the payments in the sandbox (50 a call), then one sync cycle: its Xero calls (total
    and by operation), its result and its seconds."""
    for at in range(0, len(payments), 50):
        client._api("PUT", "/Payments", payload={"Payments": payments[at:at + 50]})
    client.calls.clear()
    started = time.perf_counter()
    result = sync_organisation(client.tenant_id, client=client)
    elapsed = time.perf_counter() - started
    return (*calls_of(client), result, elapsed)


def against_the_sandbox(folder: Path) -> None:
    with connected_to_sandbox(folder) as server:
        sync_on(NZ_TENANT, utcnow() - timedelta(seconds=1))
        with XeroClient(NZ_TENANT) as client:
            answers = copies_in_sandbox(client, 500)
            xero_ids = [answer["InvoiceID"] for answer in answers]
            sync_organisation(NZ_TENANT, client=client)  # settles the cursors after the copies

            client.calls.clear()
            result = sync_organisation(NZ_TENANT, client=client)
            total, ops = calls_of(client)
            print(f"sandbox, nothing changed:        {total:3d} calls per cycle {ops}  ({result.message})")

            payments = [{"Invoice": {"InvoiceID": i}, "Account": {"Code": "090"}, "Date": date(2026, 3, 10),
                         "Amount": Decimal("30.00"), "Reference": f"bench {n}"}
                        for n in range(2) for i in xero_ids]
            total, ops, result, elapsed = paid_then_synced(client, payments)
            print(f"sandbox, {len(payments):,} payments changed: {total:3d} calls per cycle {ops}  "
                  f"({result.message}; {elapsed:.1f} s, mostly the sandbox serialising)")
    server.shutdown()


# --- 2. Bridge's side alone, Xero faked page by page ---------------------------------------

def ms(instant: datetime) -> str:
    return f"/Date({int(instant.timestamp() * 1000)}+0000)/"


def guid(kind: int, n: int) -> str:
    return str(UUID(int=(kind << 96) + n))


def since_of(request) -> datetime:
    value = request.headers.get("If-Modified-Since")
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def page_of(request, count: int, step: timedelta) -> tuple[int, int]:
    """The indexes [first, last) a request asks for: records are stamped BASE + n * step."""
    query = parse_qs(urlsplit(request.url).query)
    page, size = int(query.get("page", ["1"])[0]), int(query.get("pageSize", ["100"])[0])
    first_new = max(0, -(-int((since_of(request) - BASE) / step)))
    first = first_new + (page - 1) * size
    return first, min(first + size, count)


def forget_answers(mock) -> None:
    """responses keeps every request and answer (twice): the fake must not grow either."""
    mock.calls.reset()
    for registered in mock.registered():
        registered.calls.reset()


def fake_xero(mock, payments: int) -> None:
    """GET /Payments and GET /Invoices (summaries): `payments` payments on 1,000 invoices."""
    invoices, per_invoice = INVOICES, payments // INVOICES
    pay_step, invoice_step = timedelta(milliseconds=5), timedelta(milliseconds=5 * per_invoice)

    def payment_page(request):
        forget_answers(mock)
        first, last = page_of(request, payments, pay_step)
        items = [{"PaymentID": guid(1, n), "Date": ms(BASE), "Amount": 10.00, "Reference": f"P{n}",
                  "Status": "AUTHORISED", "PaymentType": "ACCRECPAYMENT",
                  "UpdatedDateUTC": ms(BASE + n * pay_step),
                  "Invoice": {"InvoiceID": guid(2, n % invoices), "Type": "ACCREC"}}
                 for n in range(first, last)]
        return 200, {}, json.dumps({"Status": "OK", "Payments": items})

    def invoice_page(request):
        forget_answers(mock)
        first, last = page_of(request, invoices, invoice_step)
        items = [{"InvoiceID": guid(2, n), "Type": "ACCREC", "Status": "AUTHORISED",
                  "AmountPaid": 10.00 * per_invoice, "AmountCredited": 0.00, "AmountDue": 0.00,
                  "Total": 10.00 * per_invoice, "UpdatedDateUTC": ms(BASE + n * invoice_step)}
                 for n in range(first, last)]
        return 200, {}, json.dumps({"Status": "OK", "Invoices": items})

    api = re.escape(XERO_URLS["XERO_API_URL"])
    mock.add_callback("GET", re.compile(api + r"/Payments(\?.*)?$"), callback=payment_page)
    mock.add_callback("GET", re.compile(api + r"/Invoices(\?.*)?$"), callback=invoice_page)


def apply_many(folder: Path, payments: int, measure_memory: bool) -> tuple[float, int, int, str]:
    """Sync `payments` faked payments into a fresh Bridge: seconds, calls, peak bytes, result."""
    app = bridge_app(folder, f"bridge-{payments}-{measure_memory}.sqlite", **XERO_URLS,
                     XERO_CLIENT_ID="bench", XERO_CLIENT_SECRET="bench")
    SHARED_BUDGET.reset()
    with app.app_context():
        fake_connection(app)
        total = Decimal("10.00") * (payments // INVOICES)
        copied(TENANT, [{"InvoiceID": guid(2, n), "Status": "AUTHORISED", "Total": total, "AmountDue": total,
                         "AmountPaid": Decimal("0.00"), "AmountCredited": Decimal("0.00")}
                        for n in range(INVOICES)])
        sync_on(TENANT, BASE)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, \
                XeroClient(TENANT) as client:
            fake_xero(mock, payments)
            gc.collect()
            if measure_memory:
                tracemalloc.start()
                tracemalloc.reset_peak()
            started = time.perf_counter()
            result = sync_organisation(TENANT, client=client)
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
            if measure_memory:
                tracemalloc.stop()
            total, _ops = calls_of(client)
        db.engine.dispose()
    return elapsed, total, peak, result.message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--many", type=int, default=10_000, help="payments applied in part 2")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        against_the_sandbox(Path(folder))
        elapsed, calls, _, message = apply_many(Path(folder), args.many, measure_memory=False)
        print(f"apply {args.many:,} payments (Xero faked): {elapsed:5.2f} s, {calls} calls  ({message})")
        for count in (1_000, args.many):
            _, _, peak, _ = apply_many(Path(folder), count, measure_memory=True)
            print(f"tracemalloc peak of the sync, {count:>6,} payments: {peak / 2**20:6.1f} MiB")


if __name__ == "__main__":
    main()
