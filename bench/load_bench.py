"""Fault and load benchmark: Bridge under gunicorn (4 workers) on PostgreSQL, 20 people for
2 minutes, while the Xero sandbox (its own process) fails 10% of the Accounting API calls
(429, 500, timeouts before and after doing the work) and payments are recorded in Xero.

Prints requests served, error responses by cause, p50/p95 latency, Xero invoices created
against copies asked for, and payments in Xero against payments in Bridge (after a final
`flask xero sync-payments`). The scenario is tests/production/load.py; the test suite runs it
briefly (tests/production/test_load.py). Bridge gets a database of its own, created and
dropped here (PostgreSQL at --postgres, trust auth).

    .venv/bin/python bench/load_bench.py [--people 20] [--seconds 120] [--fault-rate 0.1]
"""
import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.production import load  # noqa: E402
from tests.servers import SandboxProcess  # noqa: E402
from tests.xero.consent import REDIRECT  # noqa: E402


def scenario_arguments(parser: argparse.ArgumentParser, people: int = 20, seconds: float = 120) -> None:
    """The load scenario's options (also bench/postgres_restart_bench.py's)."""
    parser.add_argument("--people", type=int, default=people)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--invoices-each", type=int, default=40)
    parser.add_argument("--outage-every", type=float, default=25,
                        help="seconds between two outages of Xero's invoice calls (see load.Faults)")


def scenario_settings(args) -> load.Settings:
    return load.Settings(people=args.people, seconds=args.seconds, fault_rate=args.fault_rate,
                         workers=args.workers, invoices_each=args.invoices_each, outage_every=args.outage_every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scenario_arguments(parser)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server URL (any database) to create the bench's database with")
    parser.add_argument("--database", default=f"bridge_load_{uuid.uuid4().hex[:8]}",
                        help="name of the database created for the run (dropped after)")
    args = parser.parse_args()
    name = args.database
    server = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.url.set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as folder, SandboxProcess(Path(folder), REDIRECT) as sandbox:
            report = load.run(scenario_settings(args), url, sandbox, Fernet.generate_key().decode(),
                              say=lambda line: print(f"==> {line}", flush=True))
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
    print_report(report)


def print_report(r: dict) -> None:
    print(f"\nRequests served by Bridge: {r['requests']} in {r['elapsed_seconds']} s "
          f"({r['requests'] / r['elapsed_seconds']:.1f}/s); statuses {r['statuses']}")
    print(f"Latency: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, mean {r['mean_ms']} ms")
    for kind, figures in r["by_kind"].items():
        print(f"  {kind:<18} {figures['requests']:6d} requests  p50 {figures['p50_ms']:5d} ms  "
              f"p95 {figures['p95_ms']:5d} ms")
    print(f"Bridge 5xx: {r['bridge_5xx']}; tracebacks/errors in the workers' log: {r['server_errors_logged']}")
    print("Error responses by cause:" + ("" if r["errors_by_cause"] else " none"))
    for cause, count in r["errors_by_cause"].items():
        print(f"  {count:6d}  {cause}")
    print(f"Xero faults injected at random: {json.dumps(r['faults_injected'])}; outages: {r['outages']}")
    print(f"Copy outcomes seen in the modal: {json.dumps(r['copy_outcomes'])}")
    print(f"Copies asked for: {r['copies_asked']}; Xero invoices created: {r['xero_invoices_created']}; "
          f"Bridge copies done: {r['bridge_copies_done']} (other states: {r['bridge_copies_other_states']}); "
          f"unresolved when the run ended: {r['copies_unresolved_when_the_run_ended']}, after a person "
          f"took them up again: {r['copies_unresolved']}; Bridge invoices copied more than once: "
          f"{r['xero_invoices_for_one_bridge_invoice_more_than_once']}")
    print(f"Payments in Xero: {r['payments_in_xero']} ({r['payments_in_xero_total']}, AmountPaid "
          f"{r['payments_in_xero_amount_paid']}); in Bridge: {r['payments_in_bridge']} "
          f"({r['payments_in_bridge_total']}, amount paid {r['bridge_amount_paid']}); refused as "
          f"fully paid: {r['payments_refused_fully_paid']}; recorded by the accountant: "
          f"{r['payments_recorded_by_the_accountant']}, and {r['payments_unanswered']} more whose answer "
          f"the busy sandbox did not give in time")
    print(f"Final sync: {r['final_sync']}")
    equal = (r["xero_invoices_created"] == r["copies_asked"] == r["bridge_copies_done"]
             and r["payments_in_xero"] == r["payments_in_bridge"]
             and r["payments_in_xero_total"] == r["payments_in_bridge_total"])
    print("Xero and Bridge agree." if equal else "MISMATCH between Xero and Bridge.")
    for excerpt in r["worker_errors"]:
        print("\nFrom the workers' log:\n" + excerpt)


if __name__ == "__main__":
    main()
