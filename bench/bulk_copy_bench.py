"""Bulk Copy to Xero: 1,000 invoices in one job against the sandbox with Xero's limit of 60
calls a minute ON. Prints the Xero calls the job used, its wall time, the worker's peak
memory (tracemalloc), and how long the confirmation modal's plan takes.

Bridge is an app on a fresh SQLite database in a temporary folder, connected through the
sandbox's consent screen, set up, reference data cached, the client linked to a Xero contact,
no note field (a note costs one more call per invoice, after the batches). The job is run by
calling bridge.xero.invoices.bulk.jobs.run_job directly, as the scheduler's runner does.

Targets: at most 25 Xero calls (50 invoices per call), under 60 s.

    .venv/bin/python bench/bulk_copy_bench.py [--invoices 1000]
"""
import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.copy_bench import EMAIL, PASSWORD, configure, connect, new_invoice, seed  # noqa: E402
from bench.sandbox_bench import CLIENT, start as start_sandbox  # noqa: E402
from bridge import create_app  # noqa: E402
from bridge.config import XERO_SANDBOX_PATHS  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import XeroCopy, XeroCopyJob  # noqa: E402
from bridge.xero.invoices.bulk import plan as bulk_plan  # noqa: E402
from bridge.xero.invoices.bulk.jobs import run_job  # noqa: E402
from bridge.xero.api.client import XeroClient  # noqa: E402
from bridge.xero.api.ratelimit import call_counts  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402

SANDBOX_LIMIT = 60


def calls() -> dict:
    return dict(call_counts())


def used(before: dict) -> dict:
    now = calls()
    return {op: n - before.get(op, 0) for op, n in now.items() if n - before.get(op, 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base, server = start_sandbox(Path(folder), calls_per_minute=SANDBOX_LIMIT)
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench", "SERVER_NAME": None,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bridge.sqlite",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False,
            "XERO_CLIENT_ID": CLIENT["id"], "XERO_CLIENT_SECRET": CLIENT["secret"],
            **{key: base + path for key, path in XERO_SANDBOX_PATHS.items()},
        })
        with app.app_context():
            db.create_all()
            connect()
            ids = seed()
            configure(ids)
            print(f"sandbox limit: {SANDBOX_LIMIT} calls/minute per organisation; Bridge's budget: "
                  f"{app.config['XERO_CALLS_PER_MINUTE']}/minute")
            for _ in range(args.invoices):
                new_invoice(ids)

            # "Select all matching the filter" through the view: the filter is posted, not the ids.
            browser = app.test_client()
            browser.post("/login", data={"email": EMAIL, "password": PASSWORD})
            before, started = calls(), time.perf_counter()
            modal = browser.post("/invoices/xero/bulk", data={"all_matching": "y"}, headers={"HX-Request": "true"})
            planned = time.perf_counter() - started
            if modal.status_code != 200:
                raise SystemExit(f"HTTP {modal.status_code}: {modal.get_data(as_text=True)[:300]}")
            job = db.session.scalar(db.select(XeroCopyJob).order_by(XeroCopyJob.id.desc()).limit(1))
            plan = bulk_plan.plan_job(job.id)
            bulk_plan.queue_job(job.id, None)
            print(f"select all {len(job.invoice_ids)} matching + the confirmation modal (one POST): "
                  f"{planned * 1000:.0f} ms, {sum(used(before).values())} Xero calls; {plan.creates} new, {plan.updates} updates, {len(plan.blocked)} blocked")
            db.session.expire_all()

            before = calls()
            tracemalloc.start()
            started = time.perf_counter()
            progress = run_job(job.id)
            wall = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            spent = used(before)
            print(f"job: {progress.state}, {progress.done} copied, {progress.failed} not copied")
            print(f"Xero calls used by the job: {sum(spent.values())} ({', '.join(f'{key[1]}: {n}' for key, n in sorted(spent.items()))})")
            print(f"wall time: {wall:.1f} s ({args.invoices / wall:.0f} invoices/s)")
            print(f"worker peak memory (tracemalloc): {peak / 1024 / 1024:.1f} MiB")

            with XeroClient(NZ_TENANT) as client:
                in_xero = [i for i in client.get_invoices(where='Type=="ACCREC"')
                           if "xero_copy=" in (i.get("Url") or "")]
            done = db.session.scalar(db.select(db.func.count()).select_from(XeroCopy).where(
                XeroCopy.job_id == job.id, XeroCopy.state == "done"))
            print(f"check: {len(in_xero)} invoices in the sandbox, {done} recorded done in Bridge")
            db.session.remove()
            db.engine.dispose()
        server.shutdown()


if __name__ == "__main__":
    main()
