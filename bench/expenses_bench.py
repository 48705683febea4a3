"""Send budget expenses to Xero as bills: Xero calls to send 100 expenses at once (the budget
page's Send selected, batch by batch), and per expense sent on its own; milliseconds per operation.

The Xero sandbox runs on a free loopback port (limits relaxed); Bridge is an app on a fresh
SQLite database in a temporary folder, connected through the sandbox's consent screen and set
up with expense export on. Calls are read from the client's process-wide counter
(bridge.xero.api.ratelimit.call_counts), by operation.

Targets: 100 expenses of 5 suppliers not yet linked in Xero cost at most 4 Xero calls: one
look-up of the suppliers' names (GET /Contacts, where Name=="A" OR …), one creation of those
Xero lacks (PUT /Contacts), and 2 bill batches (PUT /Invoices, 50 bills each); the contacts are
then linked to the suppliers. One expense of a linked supplier is 1 call.

    .venv/bin/python bench/expenses_bench.py [--expenses 100] [--singles 20]
"""
import argparse
import datetime as dt
import re
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.copy_bench import connected_bench, EMAIL, PASSWORD, _ok, calls  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.xero.settings import reference  # noqa: E402
from bridge.xero.settings import setup
from bridge.models import Budget, Company, Expense, ServiceType, User  # noqa: E402
from bridge.xero.bills.send import send_expense  # noqa: E402
from bridge.xero.api.ratelimit import call_counts  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402

# One supplier Xero has by name (Northwind Studio: found), four it does not have (created).
SUPPLIERS = ["Northwind Studio", "Blue Harbour Print", "Kauri Paper Ltd", "Tui Couriers", "Fern Signs"]


def seed() -> dict:
    user = User(email=EMAIL, name="Bench", role="admin")
    user.set_password(PASSWORD)
    suppliers = [Company(name=name, default_currency="NZD") for name in SUPPLIERS]
    printing = ServiceType(name="Printing")
    budget = Budget(name="Launch", currency="NZD")
    db.session.add_all([user, printing, budget, *suppliers])
    db.session.commit()
    reference.refresh(NZ_TENANT)
    setup.save(setup.Setup(default_revenue_account_code="200", export_expenses=True,
                           default_expense_account_code="429", expense_tax_type="INPUT2",
                           expense_accounts={printing.id: "310"}), user.id)
    return {"user": user.id, "suppliers": [s.id for s in suppliers], "printing": printing.id,
            "budget": budget.id}


def new_expenses(ids: dict, n: int) -> list[int]:
    expenses = [Expense(budget_id=ids["budget"], description=f"Expense {i}", reference=f"SUP-{i}",
                        supplier_id=ids["suppliers"][i % len(SUPPLIERS)],
                        service_type_id=ids["printing"] if i % 2 else None, quantity=Decimal("1"),
                        amount=Decimal("120.00") + i, currency="NZD", date=dt.date(2026, 3, 2),
                        due_date=dt.date(2026, 4, 1)) for i in range(n)]
    db.session.add_all(expenses)
    db.session.commit()
    return [e.id for e in expenses]


def by_operation(before: Counter) -> str:
    now = Counter({op: count for (_, op), count in call_counts().items()})
    changed = now - before
    return ", ".join(f"{op} {count}" for op, count in sorted(changed.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expenses", type=int, default=100, help="expenses sent at once")
    parser.add_argument("--singles", type=int, default=20, help="expenses sent one by one")
    args = parser.parse_args()
    with connected_bench(seed) as (app, ids):
        browser = app.test_client()
        browser.post("/login", data={"email": EMAIL, "password": PASSWORD})
        hx = {"HX-Request": "true"}

        expense_ids = new_expenses(ids, args.expenses)
        before = Counter({op: count for (_, op), count in call_counts().items()})
        total_before, started = calls(), time.perf_counter()
        page = _ok(browser.post(f"/budgets/{ids['budget']}/xero", data={"expense_ids": expense_ids}, headers=hx))
        batches, sent = 0, 0
        while True:
            form = dict(re.findall(r'name="(items-\d+|total)"(?: type="hidden")? value="([^"]+)"',
                                   page.get_data(as_text=True)))
            if not any(key.startswith("items-") for key in form):
                break
            page = _ok(browser.post(f"/budgets/{ids['budget']}/xero/batch", data=form, headers=hx))
            batches += 1
            sent += page.get_data(as_text=True).count("bulk-done")
        elapsed = (time.perf_counter() - started) * 1000
        print(f"send {args.expenses} expenses at once ({len(SUPPLIERS)} suppliers, none linked yet): "
              f"{batches} page batches, {sent} bills")
        print(f"  {calls() - total_before} Xero calls (target <= 4): {by_operation(before)}")
        print(f"  {elapsed:.0f} ms in all, {elapsed / args.expenses:.1f} ms per expense")

        singles = new_expenses(ids, args.singles)
        total_before, started = calls(), time.perf_counter()
        for expense_id in singles:
            result = send_expense(expense_id, attempt_key=str(uuid4()), action="create", user_id=ids["user"],
                                  source_url=f"http://bench.test/expenses/{expense_id}")
            if not result.ok:
                raise SystemExit(f"send failed: {result.refusal}")
        elapsed = (time.perf_counter() - started) * 1000 / args.singles
        print(f"send one expense (supplier linked):  {(calls() - total_before) / args.singles:.2f} calls, "
              f"{elapsed:.1f} ms each")
        total_before, started = calls(), time.perf_counter()
        for expense_id in singles:
            _ok(browser.get(f"/expenses/{expense_id}"))
        elapsed = (time.perf_counter() - started) * 1000 / args.singles
        print(f"expense page with its Xero box:      {(calls() - total_before) / args.singles:.2f} calls, "
              f"{elapsed:.1f} ms each")
        total_before, started = calls(), time.perf_counter()
        _ok(browser.get(f"/budgets/{ids['budget']}"))
        print(f"budget page of {args.expenses + args.singles} expenses:       {calls() - total_before} calls, "
              f"{(time.perf_counter() - started) * 1000:.1f} ms")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
