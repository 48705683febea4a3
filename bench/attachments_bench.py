"""Attachments: Xero calls per copy and per bill with 0 to 3 files, and milliseconds per upload.

The Xero sandbox runs on a free loopback port (limits relaxed); Bridge is an app on a fresh
SQLite database in a temporary folder (files in a folder of its own), connected through the
sandbox's consent screen and set up (bench/copy_bench.py's steps). Calls are read from the
client's process-wide counter, by operation.

Target: each file adds exactly one Xero call (its PUT …/Attachments/{FileName}) to a copy and
to a bill; Update existing with nothing new sends none; a lost answer's retry costs one GET.

    .venv/bin/python bench/attachments_bench.py [--copies 10] [--size 200000]
"""
import argparse
import datetime as dt
import io
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.copy_bench import connected_bench, configure, copy, new_invoice  # noqa: E402
from bridge.billing import files  # noqa: E402
from bridge.billing.files import Owner  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import Budget, Company, Expense  # noqa: E402
from bridge.xero.api.ratelimit import call_counts  # noqa: E402
from bridge.xero.bills.send import send_expense  # noqa: E402
from bridge.xero.settings import setup  # noqa: E402


def counts() -> Counter:
    return Counter({op: n for (_, op), n in call_counts().items()})


def add_files(owner: Owner, n: int, size: int) -> None:
    for i in range(n):
        body = b"%PDF-1.4\n" + b"x" * max(0, size - 9)
        files.add(owner, io.BytesIO(body), f"file {i}.pdf", user_id=None, include_online=i % 2 == 0)


def measure(label: str, runs: int, action) -> tuple[float, Counter]:
    """Run action `runs` times: Xero calls per run, their split by operation, ms per run."""
    before, started = counts(), time.perf_counter()
    for i in range(runs):
        action(i)
    elapsed = (time.perf_counter() - started) * 1000 / runs
    spent = counts() - before
    per_run = sum(spent.values()) / runs
    split = ", ".join(f"{op} {n / runs:g}" for op, n in sorted(spent.items()))
    print(f"{label:<44} {per_run:5.2f} calls  {elapsed:7.1f} ms each   ({split})")
    return per_run, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies (and bills) per scenario")
    parser.add_argument("--size", type=int, default=200_000, help="bytes per file")
    args = parser.parse_args()
    with connected_bench() as (app, ids):
        configure(ids)
        n, problems = args.copies, []
        base = None
        for count in (0, 1, 3):
            def one(i, count=count):
                invoice_id = new_invoice(ids)
                add_files(Owner(invoice_id=invoice_id), count, args.size)
                copy(ids, invoice_id)
            calls, _ = measure(f"copy with {count} file(s) of {args.size:,} bytes", n, one)
            base = calls if count == 0 else base
            if calls != base + count:
                problems.append(f"copy with {count} files: {calls} calls, expected {base + count}")
        copied = []
        measure("copy with 2 files (kept for the updates)", n, lambda i: (
            copied.append(new_invoice(ids)), add_files(Owner(invoice_id=copied[-1]), 2, args.size),
            copy(ids, copied[-1])))
        update_base, _ = measure("update existing, no new file", n, lambda i: copy(ids, copied[i], "update"))
        def add_one_and_update(i):
            files.add(Owner(invoice_id=copied[i]), io.BytesIO(b"%PDF-1.4\nnew"), "added later.pdf", user_id=None)
            copy(ids, copied[i], "update")
        calls, _ = measure("update existing, 1 new file (of 3)", n, add_one_and_update)
        if calls != update_base + 1:
            problems.append(f"update with 1 new file: {calls} calls, expected {update_base + 1}")

        # Bills: a supplier linked to its Xero contact (one call per bill without files).
        setup.save(setup.Setup(default_revenue_account_code="200", revenue_accounts={ids["design"]: "220"},
                               tax_types={ids["gst"]: "OUTPUT2"}, export_expenses=True,
                               default_expense_account_code="429", initial_status="DRAFT"), ids["user"])
        supplier = Company(name="Paper & Ink Co", default_currency="NZD", xero_contact_id=ids["contact"],
                           xero_contact_name="Northwind Studio")
        budget = Budget(name="Launch", currency="NZD")
        db.session.add_all([supplier, budget])
        db.session.commit()
        sequence = iter(range(10_000))

        def bill(count):
            i = next(sequence)
            expense = Expense(budget_id=budget.id, description=f"Print run {i}", reference=f"PI-{i}",
                              supplier_id=supplier.id, quantity=Decimal("1"), amount=Decimal("120.00"),
                              currency="NZD", date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1))
            db.session.add(expense)
            db.session.commit()
            add_files(Owner(expense_id=expense.id), count, args.size)
            result = send_expense(expense.id, attempt_key=str(uuid4()), action="create", user_id=ids["user"],
                                  source_url=f"http://bench.test/expenses/{expense.id}")
            if not result.ok:
                raise SystemExit(f"bill failed: {result.refusal}")
        bill_base = None
        for count in (0, 1, 3):
            calls, _ = measure(f"bill with {count} receipt(s) of {args.size:,} bytes", n,
                               lambda i, count=count: bill(count))
            bill_base = calls if count == 0 else bill_base
            if calls != bill_base + count:
                problems.append(f"bill with {count} receipts: {calls} calls, expected {bill_base + count}")
        db.session.remove()
        db.engine.dispose()
    print("each file adds exactly one Xero call: " + ("yes" if not problems else "NO: " + "; ".join(problems)))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
