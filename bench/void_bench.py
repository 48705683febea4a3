"""Void and delete: Xero calls per invoice voided or deleted with its live copy, and a retry.

The Xero sandbox runs on a free loopback port (limits relaxed); Bridge is an app on a fresh
SQLite database (bench/copy_bench.py's setup). Calls are read from the client's process-wide
counter (bridge.xero.api.ratelimit.call_counts).

Targets: 1 call to void an invoice with one approved copy, 1 to delete a draft with one draft
copy, 0 for a never-copied draft, 0 for the same submit again (a double click), 1 for a lost
answer's retry (a GET, not a second POST).

    .venv/bin/python bench/void_bench.py [--invoices 20]
"""
import argparse
import sys
from pathlib import Path
from uuid import uuid4

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.copy_bench import connected_bench, calls, configure, copy, new_invoice, per_operation  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import Invoice  # noqa: E402
from bridge.xero.invoices.voiding import end_invoice  # noqa: E402


def end(ids: dict, invoice_id: int, key: str | None = None, expect: str = "voided") -> None:
    outcome = end_invoice(invoice_id, attempt_key=key or str(uuid4()), user_id=ids["user"])
    if not outcome.done:
        raise SystemExit(f"not ended: {outcome.refusal}")
    status = db.session.get(Invoice, invoice_id)
    if (status.status if status else "deleted") != expect:
        raise SystemExit(f"invoice {invoice_id} is {status.status if status else 'deleted'}, not {expect}")


def lost_then_retried(ids: dict, invoice_id: int) -> None:
    """The void's answer is lost once; the same submit again looks the copy up."""
    key, original = str(uuid4()), requests.adapters.HTTPAdapter.send

    def lose(adapter, request, **kwargs):
        response = original(adapter, request, **kwargs)
        if request.method == "POST" and "/Invoices/" in request.url:
            raise requests.ReadTimeout("answer lost")
        return response

    requests.adapters.HTTPAdapter.send = lose
    try:
        outcome = end_invoice(invoice_id, attempt_key=key, user_id=ids["user"])
    finally:
        requests.adapters.HTTPAdapter.send = original
    assert not outcome.done
    before = calls()
    end(ids, invoice_id, key)
    retried.append(calls() - before)


retried: list[int] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=20, help="invoices per scenario")
    args = parser.parse_args()
    n = args.invoices
    with connected_bench() as (app, ids):
        configure(ids, initial_status="AUTHORISED")
        approved = [new_invoice(ids) for _ in range(n * 3)]
        for invoice_id in approved:
            copy(ids, invoice_id)
        keys = [str(uuid4()) for _ in range(n)]
        per_operation("void a sent invoice with one approved copy", n,
                      lambda i: end(ids, approved[i], keys[i]))
        per_operation("the same submit again (double click)", n, lambda i: end(ids, approved[i], keys[i]))
        per_operation("void, answer lost (1 POST), then the retry", n,
                      lambda i: lost_then_retried(ids, approved[n + i]))
        print(f"{'  of which the retry alone (GET, no second POST)':<58} {sum(retried) / n:5.2f} calls")
        configure(ids, initial_status="DRAFT")
        drafts = [new_invoice(ids) for _ in range(n)]
        for invoice_id in drafts:
            copy(ids, invoice_id)
        per_operation("delete a draft invoice with one draft copy", n,
                      lambda i: end(ids, drafts[i], expect="deleted"))
        never = [new_invoice(ids) for _ in range(n)]
        per_operation("delete a never-copied draft", n, lambda i: end(ids, never[i], expect="deleted"))
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
