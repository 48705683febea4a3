"""Benchmark: several billing entities, each with its own Xero organisation. An idle payment sync
cycle (nothing changed in Xero) over 5 connected organisations: Xero calls per organisation
(target: 2 each, GET /Payments and GET /Invoices with If-Modified-Since), and how long the cycle
takes on Bridge's side. Xero is answered by `responses` with Xero-shaped empty pages, so the
figures are Bridge's own; each call is counted by the organisation its xero-tenant-id header names.

    .venv/bin/python bench/entities_bench.py [--organisations 5]
"""
import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import responses  # noqa: E402

from bench.payments_bench import bridge_app  # noqa: E402
from bridge.config import XERO_URLS  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import BillingEntity, XeroConnection, XeroSettings, utcnow  # noqa: E402
from bridge.xero.api.tokens import TokenCipher  # noqa: E402
from bridge.xero.sync.payments import sync_all  # noqa: E402

API = XERO_URLS["XERO_API_URL"]


def tenant(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def connect_organisations(app, count: int) -> None:
    """`count` entities, each connected to its own organisation with sync on, tokens fresh."""
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    since = utcnow() - timedelta(days=1)
    for n in range(1, count + 1):
        entity = BillingEntity(name=f"Entity {n}", base_currency="NZD")
        db.session.add(entity)
        db.session.flush()
        db.session.add(XeroConnection(
            entity_id=entity.id, tenant_id=tenant(n), tenant_name=f"Organisation {n}", connection_id=tenant(n),
            access_token_encrypted=cipher.encrypt(f"access-{n}"), refresh_token_encrypted=cipher.encrypt(f"refresh-{n}"),
            access_token_expires_at=utcnow() + timedelta(hours=1), status="active", refresh_version=1))
        db.session.add(XeroSettings(
            entity_id=entity.id, tenant_id=tenant(n), sync_payments=True, payments_synced_since=since,
            invoice_numbers_by="bridge", pdfs_by="bridge", initial_status="DRAFT", reference_from="subject",
            export_expenses=False, configured_at=since))
    db.session.commit()


def cycle(mock) -> tuple[Counter, float]:
    """One scheduler cycle over every organisation: calls per organisation, and its seconds."""
    mock.calls.reset()
    started = time.perf_counter()
    results = sync_all("bench")
    elapsed = time.perf_counter() - started
    problems = [r.error or r.skipped for r in results if r.error or r.skipped]
    if problems:
        raise SystemExit(f"a sync did not run: {problems}")
    return Counter(call.request.headers["xero-tenant-id"] for call in mock.calls), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=5)
    count = parser.parse_args().organisations
    with tempfile.TemporaryDirectory() as folder:
        app = bridge_app(Path(folder), "entities.sqlite", **XERO_URLS)
        with app.app_context(), responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            connect_organisations(app, count)
            for path, key in (("Payments", "Payments"), ("Invoices", "Invoices"), ("CreditNotes", "CreditNotes")):
                mock.get(f"{API}/{path}", json={key: []})
            first, _ = cycle(mock)
            idle, seconds = cycle(mock)
            operations = Counter(call.request.url.split("?")[0].rsplit("/", 1)[-1] for call in mock.calls)
    print(f"{count} billing entities, each with its own connected organisation, payment sync on")
    print(f"first cycle: {sum(first.values())} calls ({', '.join(str(first[tenant(n)]) for n in range(1, count + 1))} "
          "per organisation)")
    print(f"idle cycle:  {sum(idle.values())} calls, per organisation: "
          f"{', '.join(str(idle[tenant(n)]) for n in range(1, count + 1))}  (target 2 each)")
    print(f"             by operation: {dict(operations)}; {seconds * 1000:.0f} ms on Bridge's side")


if __name__ == "__main__":
    main()
