"""Copy to Xero: Xero calls per copy, update and PDF download, and milliseconds to open the modal.

The Xero sandbox runs on a free loopback port (limits relaxed); Bridge is an app on a fresh
SQLite database in a temporary folder, connected through the sandbox's consent screen, set
up, with Xero's accounts and tax rates cached. Calls are read from the client's process-wide
counter (bridge.xero.api.ratelimit.call_counts).

Targets: 1 call per copy when the contact is known and there is no note, 2 with a note;
Xero's PDF fetched once per copy or update, never per download; the modal opens in under
100 ms with no Xero call.

    .venv/bin/python bench/copy_bench.py [--copies 20] [--opens 50]
"""
import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import requests
from flask import Flask
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sandbox_bench import CLIENT, UNLIMITED, start as start_sandbox  # noqa: E402
from bridge import create_app  # noqa: E402
from bridge.config import XERO_SANDBOX_PATHS  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.billing.service import InvoiceData, LineData, create_invoice  # noqa: E402
from bridge.xero.settings import reference  # noqa: E402
from bridge.xero.settings import setup
from bridge.models import (  # noqa: E402
    Company, CustomField, CustomFieldValue, ServiceType, TaxRate, User,
)
from bridge.xero.api.client import XeroClient  # noqa: E402
from bridge.xero.invoices.copy import copy_invoice  # noqa: E402
from bridge.xero.api.ratelimit import call_counts  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-password-1"


def connect() -> None:
    """Bridge's own connect: consent (answered like a person), code exchange, save."""
    client = XeroClient()
    url, state = client.authorization_url(CLIENT["redirect"])
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = requests.post(url.split("?")[0], allow_redirects=False, timeout=30,
                           data=dict(query, decision="allow", tenant=NZ_TENANT))
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    tokens = client.exchange_code(code, CLIENT["redirect"])
    (tenant,) = client.list_connections(tokens, auth_event_id=tokens.auth_event_id)
    client.save_connection(tokens, tenant)
    setup.adopt(tenant.tenant_id)  # the settings are this organisation's (as the marketplace does)
    db.session.commit()


def seed() -> dict:
    """A user, a client linked to a Xero contact, a service type, GST mapped, a note field."""
    user = User(email=EMAIL, name="Bench", role="admin")
    user.set_password(PASSWORD)
    with XeroClient(NZ_TENANT) as client:
        contact = client.find_contact_by_name("Northwind Studio")
    company = Company(name="Harbour Lights Ltd", default_currency="NZD",
                      xero_contact_id=contact["ContactID"], xero_contact_name="Northwind Studio")
    design, gst = ServiceType(name="Design"), TaxRate(name="GST 15%", percentage=Decimal("15"))
    note = CustomField(name="Private note for the accountant", field_type="text")
    db.session.add_all([user, company, design, gst, note])
    db.session.commit()
    reference.refresh(NZ_TENANT)
    return {"user": user.id, "company": company.id, "design": design.id, "gst": gst.id, "note": note.id,
            "contact": contact["ContactID"]}


def configure(ids: dict, **answers) -> None:
    values = dict(default_revenue_account_code="200", revenue_accounts={ids["design"]: "220"},
                  tax_types={ids["gst"]: "OUTPUT2"})
    values.update(answers)
    setup.save(setup.Setup(**values), ids["user"])


def new_invoice(ids: dict, note: str | None = None) -> int:
    """A five-line invoice (what an agency invoice looks like)."""
    lines = tuple(LineData(f"Work package {n}", Decimal("3"), Decimal("125.50"),
                           service_type_id=ids["design"] if n % 2 else None, tax_rate_id=ids["gst"])
                  for n in range(1, 6))
    invoice = create_invoice(InvoiceData(client_id=ids["company"], subject="Website", lines=lines,
                                         issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1)))
    if note:
        db.session.add(CustomFieldValue(invoice_id=invoice.id, field_id=ids["note"], value=note))
        db.session.commit()
    return invoice.id


def bench_app(folder: str):
    """The sandbox on a free port, and Bridge on a fresh SQLite file talking to it: (app, server)."""
    base, server = start_sandbox(Path(folder))
    app = create_app({
        "TESTING": True, "SECRET_KEY": "bench", "SERVER_NAME": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bridge.sqlite",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False,
        "XERO_CLIENT_ID": CLIENT["id"], "XERO_CLIENT_SECRET": CLIENT["secret"],
        "XERO_CALLS_PER_MINUTE": UNLIMITED, "ATTACHMENTS_FOLDER": f"{folder}/files",
        **{key: base + path for key, path in XERO_SANDBOX_PATHS.items()},
    })
    return app, server


@contextmanager
def connected_bench(seeded: Callable[[], dict] | None = None) -> Iterator[tuple[Flask, dict]]:
    """A fresh Bridge on a temporary SQLite file, connected to the sandbox (its own port) and
    seeded (by `seeded`, else this module's seed); inside its app context: (app, the seed's
    ids). The sandbox stops at the end."""
    with tempfile.TemporaryDirectory() as folder:
        app, server = bench_app(folder)
        try:
            with app.app_context():
                db.create_all()
                connect()
                yield app, (seeded or seed)()
        finally:
            server.shutdown()


def calls() -> int:
    return sum(call_counts().values())


def copy(ids: dict, invoice_id: int, action: str = "create") -> None:
    result = copy_invoice(invoice_id, contact_id=ids["contact"], tax_type="OUTPUT2", status=None,
                          attempt_key=str(uuid4()), action=action, user_id=ids["user"],
                          source_url=f"http://bench.test/invoices/{invoice_id}")
    if not result.ok:
        raise SystemExit(f"copy failed: {result.refusal}")


def per_operation(label: str, n: int, action) -> None:
    """Run action n times; print Xero calls per run and milliseconds per run."""
    before, started = calls(), time.perf_counter()
    for i in range(n):
        action(i)
    elapsed = (time.perf_counter() - started) * 1000 / n
    print(f"{label:<58} {(calls() - before) / n:5.2f} calls  {elapsed:7.1f} ms each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="copies per scenario")
    parser.add_argument("--opens", type=int, default=50, help="modal openings timed")
    args = parser.parse_args()
    with connected_bench() as (app, ids):
        n = args.copies
        configure(ids)
        per_operation("copy: contact known, no note, Bridge's PDFs", n, lambda i: copy(ids, new_invoice(ids)))
        configure(ids, notes_custom_field_id=ids["note"])
        per_operation("copy: contact known, with a note", n,
                      lambda i: copy(ids, new_invoice(ids, note=f"Cost centre {i}")))
        configure(ids, pdfs_by="xero")
        copied = []
        per_operation("copy: contact known, no note, Xero's PDF (fetched once)", n,
                      lambda i: copied.append(new_invoice(ids)) or copy(ids, copied[-1]))
        per_operation("update existing (GET current, POST; + Xero's PDF)", n,
                      lambda i: copy(ids, copied[i], action="update"))

        browser = app.test_client()
        browser.post("/login", data={"email": EMAIL, "password": PASSWORD})
        per_operation("PDF download of a copied invoice (Xero's PDF, kept)", n * 5,
                      lambda i: _ok(browser.get(f"/invoices/{copied[i % n]}/pdf")))

        invoice_id = copied[0]
        hx = {"HX-Request": "true"}
        _ok(browser.get(f"/invoices/{invoice_id}/xero/copy", headers=hx))  # warm up
        before, samples = calls(), []
        for _ in range(args.opens):
            started = time.perf_counter()
            _ok(browser.get(f"/invoices/{invoice_id}/xero/copy", headers=hx))
            samples.append((time.perf_counter() - started) * 1000)
        print(f"{'open the modal (reference data cached)':<58} {(calls() - before) / args.opens:5.2f} calls  "
              f"median {statistics.median(samples):5.1f} ms, p95 {sorted(samples)[int(len(samples) * .95) - 1]:5.1f} ms")
        before, samples = calls(), []
        for i in range(args.opens):
            started = time.perf_counter()
            _ok(browser.get(f"/invoices/{invoice_id}/xero/preview?tax_type={'NONE' if i % 2 else 'OUTPUT2'}",
                            headers=hx))
            samples.append((time.perf_counter() - started) * 1000)
        print(f"{'re-render the preview (tax rate changed)':<58} {(calls() - before) / args.opens:5.2f} calls  "
              f"median {statistics.median(samples):5.1f} ms")
        db.session.remove()
        db.engine.dispose()


def _ok(response):
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return response


if __name__ == "__main__":
    main()
