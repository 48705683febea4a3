"""Invoice pages on 10,000 invoices: median milliseconds per page and SQL statements per page.

Run: .venv/bin/python bench/invoices_bench.py [--invoices 10000] [--runs 20]
Builds a fresh SQLite database in a temporary directory; nothing else is touched.
Targets: pages under 50 ms, the PDF under 200 ms, the same query count for 25 and 100 rows.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert  # noqa: E402

from bridge import create_app  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.billing.totals import line_amounts, sum_lines  # noqa: E402
from bridge.models import (  # noqa: E402
    BillingEntity, Company, CustomField, CustomFieldValue, Invoice, InvoiceLine, ServiceType, TaxRate, User,
)

EMAIL, PASSWORD = "bench@example.com", "bench-password-1"
LINES_PER_INVOICE = 5
START = dt.date(2024, 1, 1)


def seed(invoice_count: int, rng: random.Random) -> None:
    """Reference data, then invoices, lines and custom values with bulk INSERTs."""
    user = User(email=EMAIL, name="Bench", role="member")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.execute(insert(Company), [
        {"name": f"Client {i:02}", "default_currency": rng.choice(["EUR", "GBP", "USD"]),
         "address": f"{i} Main Street\nSpringfield", "tax_number": f"TX{i:05}"} for i in range(1, 21)])
    # Two billing entities, so the table shows its Entity column and filter.
    db.session.execute(insert(BillingEntity), [
        {"id": 1, "name": "Bench Studio", "base_currency": "EUR", "invoice_number_pattern": "{year}-{seq:05}",
         "credit_note_number_pattern": "CN-{year}-{seq:05}"},
        {"id": 2, "name": "Bench Ltd", "base_currency": "GBP", "invoice_number_pattern": "UK-{year}-{seq:05}",
         "credit_note_number_pattern": "UK-CN-{year}-{seq:05}"}])
    db.session.execute(insert(ServiceType), [{"name": n} for n in ("Design", "Development", "Hosting", "Support")])
    db.session.execute(insert(TaxRate), [
        {"name": "VAT 20%", "percentage": Decimal("20")}, {"name": "Reduced 5%", "percentage": Decimal("5")},
        {"name": "Zero", "percentage": Decimal("0")}])
    db.session.execute(insert(CustomField), [
        {"name": "Region", "field_type": "select", "options_text": "North\nSouth\nEast\nWest", "position": 1},
        {"name": "Hours", "field_type": "number", "position": 2}])
    rates = {1: Decimal("20"), 2: Decimal("5"), 3: Decimal("0")}
    invoices, lines, values = [], [], []
    for invoice_id in range(1, invoice_count + 1):
        issue = START + dt.timedelta(days=rng.randrange(3 * 365))
        amounts = []
        for position in range(LINES_PER_INVOICE):
            qty, price = Decimal(rng.randrange(1, 20)), Decimal(rng.randrange(1000, 500000)) / 100
            discount, rate = Decimal(rng.choice([0, 0, 5, 10])), rng.choice([1, 2, 3, None])
            amount = line_amounts(qty, price, discount, rates.get(rate))
            amounts.append(amount)
            lines.append({"invoice_id": invoice_id, "position": position, "description": f"Work item {position}",
                          "quantity": qty, "unit_price": price, "discount_percent": discount,
                          "service_type_id": rng.randrange(1, 5), "tax_rate_id": rate,
                          "net_amount": amount.net, "tax_amount": amount.tax})
        totals = sum_lines(amounts)
        invoices.append({"id": invoice_id, "number": f"{issue.year}-{invoice_id:05}", "subject": f"Project {invoice_id}",
                         "client_id": rng.randrange(1, 21), "currency": "EUR", "issue_date": issue,
                         "entity_id": 1 if invoice_id % 4 else 2,
                         "due_date": issue + dt.timedelta(days=30), "status": rng.choice(["draft", "sent"]),
                         "payment_status": rng.choice(["unpaid", "partially_paid", "paid"]),
                         "subtotal": totals.subtotal, "tax_total": totals.tax_total, "total": totals.total})
        if rng.random() < 0.8:
            values.append({"invoice_id": invoice_id, "field_id": 1, "value": rng.choice(["North", "South", "East", "West"])})
        if rng.random() < 0.6:
            values.append({"invoice_id": invoice_id, "field_id": 2, "value": str(rng.randrange(1, 200))})
    db.session.execute(insert(Invoice), invoices)
    db.session.execute(insert(InvoiceLine), lines)
    db.session.execute(insert(CustomFieldValue), values)
    db.session.commit()


def median_ms(client, url: str, runs: int, expect: int = 200) -> float:
    """Median wall time of GET url after three warm-up requests."""
    for _ in range(3):
        assert client.get(url).status_code == expect, url
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == expect, url
    return statistics.median(times)


def query_count(engine, client, url: str) -> int:
    """SQL statements sent while serving url."""
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
        })
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            seed(args.invoices, random.Random(42))
            engine = db.engine
        print(f"seeded {args.invoices:,} invoices, {args.invoices * LINES_PER_INVOICE:,} lines "
              f"in {time.perf_counter() - started:.1f} s")
        # Requests run outside any app context, as in production: each gets a fresh session.
        client = app.test_client()
        assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
        sample = args.invoices // 2
        pages = {
            "invoice table, first page": "/",
            "filtered (client+status+dates)": "/?client=3&status=sent&issued_from=2025-01-01&issued_to=2025-12-31",
            "filtered (entity)": "/?entity=2",
            "search (subject)": "/?q=project+12",
            "invoice table, page 200": "/?page=200",
            "invoice detail": f"/invoices/{sample}",
            "invoice PDF": f"/invoices/{sample}/pdf",
        }
        print(f"\nmedian of {args.runs} runs after warm-up (target: pages < 50 ms, PDF < 200 ms)")
        for label, url in pages.items():
            print(f"  {label:<32} {median_ms(client, url, args.runs):7.1f} ms")
        print("\nSQL statements per request (the same for 25 and 100 rows = no N+1)")
        for per_page in (25, 100):
            app.config["INVOICES_PER_PAGE"] = per_page
            print(f"  {per_page:>3} rows: first page {query_count(engine, client, '/'):>2}, "
                  f"filtered {query_count(engine, client, pages['filtered (client+status+dates)']):>2}, "
                  f"median {median_ms(client, '/', args.runs):.1f} ms")
        print(f"  invoice detail: {query_count(engine, client, pages['invoice detail'])}, "
              f"PDF: {query_count(engine, client, pages['invoice PDF'])}")
        engine.dispose()

if __name__ == "__main__":
    main()
