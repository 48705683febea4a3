"""The home page on 10,000 invoices with Xero set up: median milliseconds and SQL statements with
Getting started showing and with Needs attention (every item counted), against the table alone.

Run: .venv/bin/python bench/home_bench.py [--invoices 10000] [--runs 20]
Builds a fresh SQLite database in a temporary directory (the invoices of bench/invoices_bench.py,
then copies, refusals, changes, expenses and a failing sync); no Xero call is made.
Target: the panels add a constant number of queries and a few milliseconds whatever the size.
"""
import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, update  # noqa: E402

from bridge import create_app  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import (  # noqa: E402
    Budget, Expense, Invoice, WorkspaceSettings, XeroConnection, XeroCopy, XeroSettings, XeroSyncState,
)
from invoices_bench import EMAIL, PASSWORD, seed  # noqa: E402

TENANT = "7a1d5c8e-0000-4c6d-9e0a-1b2c3d4e5f60"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def seed_xero(invoice_count: int, rng: random.Random) -> dict:
    """Xero connected and set up; 60% of the invoices copied (1 in 10 of those refused on their
    newest attempt, 1 in 8 changed since), 2,000 expenses in 40 budgets, a failing payment sync."""
    db.session.add_all([
        XeroConnection(tenant_id=TENANT, tenant_name="Demo Company (NZ)", connection_id=str(uuid4()),
                       access_token_encrypted="-", refresh_token_encrypted="-", access_token_expires_at=NOW),
        XeroSettings(id=1, tenant_id=TENANT, configured_at=NOW, default_revenue_account_code="200",
                     export_expenses=True, default_expense_account_code="429", sync_payments=True),
        XeroSyncState(tenant_id=TENANT, last_run_at=NOW, last_error="Xero is having problems (HTTP 503)."),
        WorkspaceSettings(id=1),
    ])
    copies, copied, changed = [], [], []
    for invoice_id in range(1, invoice_count + 1):
        if rng.random() >= 0.6:
            continue
        copies.append({"invoice_id": invoice_id, "tenant_id": TENANT, "attempt_key": str(uuid4()), "action": "create",
                       "state": "done", "xero_id": str(uuid4()), "completed_at": NOW})
        copied.append(invoice_id)
        if rng.random() < 0.1:
            copies.append({"invoice_id": invoice_id, "tenant_id": TENANT, "attempt_key": str(uuid4()),
                           "action": "update", "state": "failed", "completed_at": NOW})
        if rng.random() < 0.125:
            changed.append(invoice_id)
    db.session.execute(insert(XeroCopy), copies)
    db.session.execute(update(Invoice).where(Invoice.id.in_(copied)).values(copied_at=NOW, xero_status="AUTHORISED"))
    db.session.execute(update(Invoice).where(Invoice.id.in_(changed)).values(edited_at=NOW + dt.timedelta(hours=1)))
    db.session.execute(insert(Budget), [{"name": f"Budget {i}", "currency": "EUR"} for i in range(1, 41)])
    db.session.execute(insert(Expense), [
        {"budget_id": rng.randrange(1, 41), "description": f"Cost {i}", "amount": Decimal("12.50"), "currency": "EUR",
         "date": dt.date(2026, 1, 1), "due_date": dt.date(2026, 2, 1) if i % 4 else None,
         "supplier_id": rng.randrange(1, 21)} for i in range(2000)])
    db.session.commit()
    return {"copied": len(copied), "changed": len(changed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            rng = random.Random(42)
            seed(args.invoices, rng)
            made = seed_xero(args.invoices, rng)
            engine = db.engine
        print(f"seeded {args.invoices:,} invoices ({made['copied']:,} copied, {made['changed']:,} changed since), "
              f"2,000 expenses in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
        table_only = {"HX-Request": "true"}

        def timed(label: str, headers: dict | None = None) -> None:
            ms, queries = measure(client, engine, headers or {}, args.runs)
            print(f"  {label:<44} {ms:7.1f} ms  {queries:>2} queries")

        print(f"\nhome page, median of {args.runs} runs after warm-up")
        timed("the table alone (HTMX)", table_only)
        timed("with Getting started (and attention items)")
        with app.app_context():
            db.session.execute(update(WorkspaceSettings).values(getting_started_hidden_at=NOW))
            db.session.commit()
        timed("with Needs attention (5 items counted)")
        engine.dispose()


def measure(client, engine, headers: dict, runs: int) -> tuple[float, int]:
    """Median wall time of GET / after three warm-up requests, and the SQL statements of one."""
    for _ in range(3):
        assert client.get("/", headers=headers).status_code == 200
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        assert client.get("/", headers=headers).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statistics.median(times), len(statements)


if __name__ == "__main__":
    main()
