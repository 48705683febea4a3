"""Credit notes to Xero: Xero calls per copy of a credit note, with and without its allocation.

The sandbox runs on a free loopback port and Bridge on a fresh SQLite file (bench/copy_bench.py's
set-up: connected through the consent screen, set up, reference data cached, the client linked to
a Xero contact). Each invoice is copied Approved first (not counted); then a credit note of two of
its lines is made in Bridge and copied. Calls are read from the client's process-wide counter.

Targets: copy + allocation to the invoice's live copy = 2 calls; no live invoice copy (the note
made, then the invoice voided in Xero) = 1 call; a Draft credit note (not allocated) = 1 call.
Bulk copy of N approved credit notes (bridge.xero.bulk, the invoices' machinery): ceil(N/50)
PUT /CreditNotes + N allocations (Xero has no batch of allocations), by operation.

    .venv/bin/python bench/credit_note_bench.py [--notes 20] [--bulk 100]
"""
import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.copy_bench import bench_app, calls, configure, connect, copy, new_invoice, seed  # noqa: E402
from bridge.billing.credit_notes import CreditNoteData, create_credit_note  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import CreditNote, Invoice, XeroCopy  # noqa: E402
from bridge.xero.api.client import XeroClient  # noqa: E402
from bridge.xero.api.ratelimit import call_counts  # noqa: E402
from bridge.xero.bulk import plan as bulk_plan  # noqa: E402
from bridge.xero.bulk.jobs import run_job  # noqa: E402
from bridge.xero.credit_notes.copy import copy_credit_note  # noqa: E402
from bridge.xero.sending import ledger  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402


def copied_invoice(ids: dict) -> int:
    """An invoice copied Approved."""
    invoice_id = new_invoice(ids)
    copy(ids, invoice_id)
    return invoice_id


def void_in_xero(invoice_id: int) -> None:
    """The invoice's copy voided in Xero, as the ledger then says (no live copy left)."""
    row = db.session.query(XeroCopy).filter_by(invoice_id=invoice_id, state="done").one()
    with XeroClient(NZ_TENANT) as client:
        answer = client.update_invoice(row.xero_id, {"InvoiceID": row.xero_id, "Status": "VOIDED"})
    ledger.record(NZ_TENANT, answer, invoice_id=invoice_id)
    ledger.summarise(Invoice, {invoice_id})
    db.session.commit()


def credit_two_lines(invoice_id: int) -> int:
    invoice = db.session.get(Invoice, invoice_id)
    note = create_credit_note(CreditNoteData(invoice_id, "lines", "Two packages not delivered", invoice.currency,
                                             dt.date(2026, 3, 9), line_ids=(invoice.lines[0].id, invoice.lines[1].id)))
    return note.id


def scenario(label: str, n: int, ids: dict, void: bool, expect_allocated: bool) -> None:
    """Prepare n invoices and credit notes (not counted), then copy the n notes (counted)."""
    notes = []
    for _ in range(n):
        invoice_id = copied_invoice(ids)
        notes.append(credit_two_lines(invoice_id))
        if void:
            void_in_xero(invoice_id)
    before, started = calls(), time.perf_counter()
    for note_id in notes:
        done = copy_credit_note(note_id, status=None, attempt_key=str(uuid4()), action="create", user_id=ids["user"])
        if not done.ok:
            raise SystemExit(f"credit note copy failed: {done.result.refusal}")
        allocated = done.allocated is not None and done.allocated.outcome == "done"
        if allocated != expect_allocated:
            raise SystemExit(f"allocation: expected {expect_allocated}, got {done.allocated}")
    elapsed = (time.perf_counter() - started) * 1000 / n
    states = {db.session.get(CreditNote, i).allocation_state for i in notes}
    print(f"{label:<62} {(calls() - before) / n:5.2f} calls  {elapsed:7.1f} ms each  allocation {sorted(states)}")


def bulk(n: int, ids: dict) -> None:
    """Prepare n invoices copied Approved with a credit note each (not counted), then copy the n
    notes in one bulk job (counted, by operation)."""
    notes = [credit_two_lines(copied_invoice(ids)) for _ in range(n)]
    job = bulk_plan.select_documents("credit_note", notes, user_id=ids["user"],
                                     link_template="http://bench.test/credit-notes/{id}")
    bulk_plan.queue_job(job.id, None)
    before, started = call_counts(), time.perf_counter()
    progress = run_job(job.id)
    elapsed = time.perf_counter() - started
    after = call_counts()
    used = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    allocated = sum(1 for i in notes if db.session.get(CreditNote, i).allocation_state == "done")
    print(f"bulk copy of {n} approved credit notes: {progress.done} copied, {progress.failed} refused, "
          f"{allocated} allocated, {sum(used.values())} Xero calls in {elapsed:.1f} s")
    for (tenant, operation), count in sorted(used.items(), key=lambda item: str(item[0][1])):
        print(f"    {count:5d}  {operation}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20, help="credit notes per scenario")
    parser.add_argument("--bulk", type=int, default=100, help="credit notes in the bulk copy (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, server = bench_app(folder)
        with app.app_context():
            db.create_all()
            connect()
            ids = seed()
            configure(ids, initial_status="AUTHORISED")
            scenario("copy an approved credit note + allocate to the invoice's copy", args.notes, ids,
                     void=False, expect_allocated=True)
            scenario("copy an approved credit note, no live invoice copy (voided)", args.notes, ids,
                     void=True, expect_allocated=False)
            if args.bulk:
                bulk(args.bulk, ids)
            configure(ids, initial_status="DRAFT")
            scenario("copy a draft credit note (nothing to allocate)", args.notes, ids,
                     void=False, expect_allocated=False)
            db.session.remove()
            db.engine.dispose()
        server.shutdown()


if __name__ == "__main__":
    main()
