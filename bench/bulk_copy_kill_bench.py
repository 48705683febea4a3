"""Bulk Copy to Xero survives its worker being killed: 500 invoices in one job under gunicorn
on PostgreSQL; while a batch is in flight (Xero has done the work, its answer is held back),
the worker running the job gets SIGKILL. Another worker takes the job over when its lease runs
out, finds the lost batch in Xero (by the copies' Url), and finishes. Prints when each step
happened and the reconciliation: every invoice in Xero exactly once.

PostgreSQL is a private cluster (bench/postgres_restart_bench.py), the sandbox its own process.
The lease lasts XERO_TIMEOUT x 4 + 7 minutes (bridge.xero.sending.attempt.lease_time): the run
takes about 9 minutes, most of it waiting.

    .venv/bin/python bench/bulk_copy_kill_bench.py [--invoices 500] [--workers 2]
"""
import argparse
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.postgres_restart_bench import cluster  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import Lease, XeroCopy, XeroCopyJob  # noqa: E402
from bridge.xero.invoices.bulk import plan as bulk_plan  # noqa: E402
from bridge.xero.api.client import XeroClient  # noqa: E402
from tests.production import load  # noqa: E402
from tests.production.deployment import bridge_app, prepare  # noqa: E402
from tests.servers import GunicornServer, SandboxProcess  # noqa: E402
from tests.xero.consent import REDIRECT  # noqa: E402

HELD_SECONDS = 8  # Xero's answer to the batch in flight is held back this long
XERO_TIMEOUT = "10"


def queue(app, invoice_ids: list[int]) -> int:
    with app.app_context():
        job_id = bulk_plan.select_invoices(invoice_ids, user_id=1, link_template="http://127.0.0.1/invoices/{id}").id
        bulk_plan.queue_job(job_id, None)
        db.session.remove()
        return job_id


def state(app, job_id: int) -> tuple[str, dict, str | None]:
    """The job's state, its copies by state, and the holder of its lease."""
    with app.app_context():
        job = db.session.get(XeroCopyJob, job_id)
        rows = dict(db.session.execute(select(XeroCopy.state, func.count()).where(XeroCopy.job_id == job_id)
                                       .group_by(XeroCopy.state)).all())
        lease = db.session.get(Lease, f"xero-copy-job:{job_id}")
        holder = lease.holder if lease is not None else None
        db.session.remove()
        return job.state, rows, holder


def xero_copies(app, tenant_id: str) -> Counter:
    """Bridge invoice id -> how many Xero invoices carry it (by the copy's Url)."""
    with app.app_context():
        with XeroClient(tenant_id) as client:
            found = [i for i in client.get_invoices(where='Type=="ACCREC"') if "xero_copy=" in (i.get("Url") or "")]
        db.session.remove()
    return Counter(int(re.search(r"/invoices/(\d+)\?", i["Url"]).group(1)) for i in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wait-minutes", type=float, default=15)
    args = parser.parse_args()
    say = lambda line: print(f"==> {time.strftime('%H:%M:%S')} {line}", flush=True)  # noqa: E731
    with cluster() as pg, tempfile.TemporaryDirectory() as folder, SandboxProcess(Path(folder), REDIRECT) as sandbox:
        key = Fernet.generate_key().decode()
        app = bridge_app(pg.url, sandbox, key)
        workspace = prepare(app, 1, args.invoices)
        (invoice_ids,) = workspace.invoices
        sandbox.control("PUT", "faults/random", rate=1, kinds=["late"], path_prefix="/api.xro/2.0/Invoices",
                        seconds=HELD_SECONDS, retry_after=1)
        job_id = queue(app, invoice_ids)
        say(f"queued job {job_id} of {len(invoice_ids)} invoices; Xero holds back every invoice answer "
            f"{HELD_SECONDS} s")
        env = {**load.gunicorn_env(pg.url, sandbox, key), "XERO_TIMEOUT": XERO_TIMEOUT, "XERO_POLL_SECONDS": "300"}
        with GunicornServer(env, workers=args.workers) as server:
            started = time.monotonic()
            while True:
                job_state, rows, holder = state(app, job_id)
                if holder and rows.get("pending"):
                    break
                if time.monotonic() - started > 120:
                    raise SystemExit(f"the job did not start: {job_state} {rows}")
                time.sleep(0.2)
            time.sleep(2)  # Xero has the batch; its answer is on its way back
            pid = int(holder.split(":")[1])
            job_state, rows, _ = state(app, job_id)
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            say(f"SIGKILL to worker {pid} (the job's lease holder) with copies {rows}")
            time.sleep(1)
            sandbox.control("DELETE", "faults")
            resumed_by, deadline = None, killed + args.wait_minutes * 60
            while time.monotonic() < deadline:
                job_state, rows, holder = state(app, job_id)
                if holder and f":{pid}:" not in holder and resumed_by is None:
                    resumed_by = holder.split(":")[1]
                    say(f"worker {resumed_by} took the job over {time.monotonic() - killed:.0f} s after the kill")
                if job_state in ("done", "stopped"):
                    break
                time.sleep(2)
            finished = time.monotonic()
            say(f"job {job_state} {finished - killed:.0f} s after the kill; copies {rows}")
            counts = xero_copies(app, workspace.tenant_id)
            logged = [line for line in server.lines if "Traceback" in line]
    missing = [i for i in invoice_ids if counts[i] == 0]
    twice = [i for i in invoice_ids if counts[i] > 1]
    print(f"\nInvoices in the job: {len(invoice_ids)}; Xero invoices carrying them: {sum(counts.values())}; "
          f"missing: {len(missing)}; in Xero more than once: {len(twice)}; job: {job_state}; "
          f"tracebacks in the workers' log: {len(logged)}")
    print("Every invoice is in Xero exactly once." if not missing and not twice and len(counts) == len(invoice_ids)
          else f"MISMATCH: missing {missing[:10]}, twice {twice[:10]}")


if __name__ == "__main__":
    main()
