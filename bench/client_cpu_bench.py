"""CPU time of the Xero client itself per call: Bridge's XeroClient against Xero's official SDK
(xero-python), making the same calls to the Xero sandbox over real HTTP in one run.

Three processes, so that each figure is one client's own CPU (time.process_time around each
call): the sandbox serves on a free loopback port in processes of its own (gunicorn, so that
connections stay open between calls as Xero's do; limits relaxed);
Bridge's client runs in this process (an app on a fresh SQLite database, connected through the
sandbox's consent screen, as in production: tokens from the database, a log line per call);
xero-python runs in a
subprocess of its own virtualenv, `instance/bench-xero-python/` (made with `pip install
xero-python` when missing; xero-python is never installed in Bridge's venv nor listed in
requirements.txt), with a token of its own consent. The two clients take turns, five calls of
an operation at a time, so that both meet the same load on the (shared) machine.

The calls, payloads built before the clock starts (dicts for Bridge, the SDK's model objects
for xero-python), each client with one client object for the whole run:
- PUT /Invoices of 50 five-line invoices, summarizeErrors=false, an Idempotency-Key each time;
- GET /Invoices, one page of 100 (five lines each);
- GET /Contacts?searchTerm=… (five found: the copy modal's search);
- GET /Contacts, where Name=="…" OR … (five names, three found: the look-up of bills' suppliers).

Target: Bridge's CPU per call at most the SDK's (ratio <= 1.00) for each call.

    .venv/bin/python bench/client_cpu_bench.py [-n 40] [--only Contacts] [--profile]
"""
import argparse
import gc
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench.* and bridge.* (only this process imports bridge)
SDK_VENV = ROOT / "instance" / "bench-xero-python"
NAMES = ["Northwind Studio", "Acme Ltd", "City Print Co", "Kauri Paper Ltd", "Fern Signs"]
PUT, GET_INVOICES = "PUT /Invoices (50)", "GET /Invoices (page of 100)"
SEARCH, GET_CONTACTS = "GET /Contacts (searchTerm)", "GET /Contacts (where, 5 names)"
OPERATIONS = [PUT, GET_INVOICES, SEARCH, GET_CONTACTS]
# Every active demo contact has an email at *.example: the search finds all five.
TERM, FOUND = "example", 5
# Each client makes TURN calls of an operation, then the other: both meet the same load.
BATCH, PAGE, LINES, WARM_UP, TURN = 50, 100, 5, 3, 5


class Side:
    """One client's calls, by operation; run(op, n) gives the CPU seconds of each of n calls."""

    def __init__(self, calls: dict):
        self.calls, self.made = calls, dict.fromkeys(calls, 0)

    def run(self, op: str, n: int) -> list[float]:
        gc.collect()
        spent = []
        for _ in range(n):
            started = time.process_time()
            self.calls[op](self.made[op])
            spent.append(time.process_time() - started)
            self.made[op] += 1
        return spent


# --- xero-python, in its own venv (imports nothing of Bridge) ---------------------------------

def sdk_side(job: dict) -> Side:
    """The SDK's client and the same calls (runs in the SDK's venv)."""
    from xero_python.accounting import AccountingApi, Contact, Invoice, Invoices, LineAmountTypes, LineItem
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    token = {"access_token": job["token"], "token_type": "Bearer", "scope": job["scope"].split(),
             "expires_in": 1800, "expires_at": time.time() + 1800}
    client = ApiClient(Configuration(oauth2_token=OAuth2Token(client_id="bench", client_secret="bench")),
                       pool_threads=1, oauth2_token_getter=lambda: token, oauth2_token_saver=lambda t: None)
    api = AccountingApi(client, base_url=job["url"] + "/api.xro/2.0")
    tenant = job["tenant"]
    batches = [Invoices(invoices=[Invoice(
        type="ACCREC", contact=Contact(contact_id=job["contact"]), status="AUTHORISED",
        date=date(2026, 3, 1), due_date=date(2026, 3, 31), line_amount_types=LineAmountTypes.EXCLUSIVE,
        reference=f"sdk {n}-{i}", line_items=[LineItem(
            description=f"Work package {line}", quantity=3.0, unit_amount=125.5, account_code="200",
            tax_type="OUTPUT2") for line in range(LINES)]) for i in range(BATCH)]) for n in range(job["puts"])]
    keys = [str(uuid4()) for _ in batches]
    where = " OR ".join(f'Name=="{name}"' for name in NAMES)

    def put(i):
        answer = api.create_invoices(tenant, batches[i], summarize_errors=False, idempotency_key=keys[i])
        assert len(answer.invoices) == BATCH

    def get_invoices(_):
        assert len(api.get_invoices(tenant, page=1, page_size=PAGE).invoices) == PAGE

    def search(_):
        assert len(api.get_contacts(tenant, search_term=TERM, page=1).contacts) == FOUND

    def get_contacts(_):
        assert len(api.get_contacts(tenant, where=where, page=1).contacts) == 3

    return Side({PUT: put, GET_INVOICES: get_invoices, SEARCH: search, GET_CONTACTS: get_contacts})


def sdk_serve() -> None:
    """Answer {"op", "n"} lines with the CPU seconds of n calls (the first line is the job)."""
    import xero_python

    side = sdk_side(json.loads(sys.stdin.readline()))
    print(json.dumps({"version": xero_python.__version__}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        print(json.dumps(side.run(ask["op"], ask["n"])), flush=True)


class SdkProcess:
    """The SDK side in its venv's python, asked over a pipe."""

    def __init__(self, job: dict):
        self.process = subprocess.Popen([str(sdk_python()), __file__, "--sdk"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.version = self._ask(job)["version"]

    def run(self, op: str, n: int) -> list[float]:
        return self._ask({"op": op, "n": n})

    def _ask(self, message: dict):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the xero-python side stopped (its error is above)")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def sdk_python() -> Path:
    """The SDK venv's python, made (pip install xero-python) when missing."""
    python = SDK_VENV / "bin" / "python"
    if not python.exists():
        print(f"making {SDK_VENV} with xero-python (once)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SDK_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "xero-python"], check=True)
    return python


# --- the sandbox, in a process of its own ---------------------------------------------------

class SandboxProcess:
    """The sandbox under gunicorn on a free loopback port (one gthread worker), so that
    connections stay open between calls as Xero's do (werkzeug's server closes each)."""

    def __init__(self, folder: str):
        from bench.sandbox_bench import CLIENT, UNLIMITED

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SANDBOX_DATABASE_URL": f"sqlite:///{folder}/sandbox.sqlite",
               "SANDBOX_CLIENTS": json.dumps({CLIENT["id"]: {"name": "Bench", "secret": CLIENT["secret"],
                                                              "redirect_uris": [CLIENT["redirect"]]}}),
               **{name: str(UNLIMITED) for name in ("SANDBOX_CALLS_PER_MINUTE", "SANDBOX_CALLS_PER_DAY",
                                                    "SANDBOX_APP_CALLS_PER_MINUTE", "SANDBOX_CONCURRENT_LIMIT")}}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--worker-class", "gthread", "--threads", "4", "--keep-alive", "60", "--log-level", "warning",
             "bridge.xero_sandbox:create_app()"], env=env, cwd=folder)  # not Bridge's gunicorn.conf.py
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit("the sandbox did not start")
                time.sleep(0.2)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# --- Bridge, in this process ----------------------------------------------------------------

def bridge_side(url: str, folder: str, puts: int):
    """Bridge's client and the same calls (in an app context left open), and the SDK's job."""
    import requests

    from bench.copy_bench import connect
    from bench.sandbox_bench import CLIENT, UNLIMITED, connect as consent
    from bridge import create_app
    from bridge.config import XERO_SANDBOX_PATHS
    from bridge.extensions import db
    from bridge.xero.api.client import XeroClient
    from bridge.xero_sandbox.seed import NZ_TENANT

    # Logging as in production (gunicorn.conf.py: INFO, Bridge logs a line per Xero call), to
    # a file nobody reads: writing it is part of the client's CPU.
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"),
                        format="[%(asctime)s] [%(process)d] %(name)s %(levelname)s %(message)s")
    app = create_app({
        "TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bridge.sqlite",
        "XERO_CLIENT_ID": CLIENT["id"], "XERO_CLIENT_SECRET": CLIENT["secret"],
        "XERO_CALLS_PER_MINUTE": UNLIMITED, **{key: url + path for key, path in XERO_SANDBOX_PATHS.items()},
    })
    app.app_context().push()
    db.create_all()
    connect()
    client = XeroClient(NZ_TENANT)
    contact = client.find_contact_by_name("Northwind Studio")["ContactID"]
    batches = [[{
        "Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
        "Date": date(2026, 3, 1), "DueDate": date(2026, 3, 31), "LineAmountTypes": "Exclusive",
        "Reference": f"bridge {n}-{i}", "LineItems": [{
            "Description": f"Work package {line}", "Quantity": Decimal("3"), "UnitAmount": Decimal("125.50"),
            "AccountCode": "200", "TaxType": "OUTPUT2"} for line in range(LINES)]} for i in range(BATCH)]
        for n in range(puts)]
    keys = [str(uuid4()) for _ in batches]

    def put(i):
        assert len(client.create_invoices(batches[i], summarize_errors=False, idempotency_key=keys[i])) == BATCH

    def get_invoices(_):
        assert len(client.get_invoices(page=1, page_size=PAGE)) == PAGE

    def search(_):
        assert len(client.search_contacts(TERM)) == FOUND

    def get_contacts(_):
        assert len(client.find_contacts_by_names(NAMES)) == 3

    headers = consent(url, requests.Session())
    job = {"url": url, "tenant": NZ_TENANT, "contact": contact, "puts": puts,
           "token": headers["Authorization"].removeprefix("Bearer "),
           "scope": "offline_access accounting.transactions accounting.contacts"}
    return Side({PUT: put, GET_INVOICES: get_invoices, SEARCH: search, GET_CONTACTS: get_contacts}), job


def profile(side: Side, op: str, n: int = 200) -> None:
    """cProfile (CPU time) of n of Bridge's calls of op."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(side.run, op, n)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    pstats.Stats(profiler).sort_stats("cumtime").print_stats(40)


def report(bridge: dict, sdk: dict, version: str) -> None:
    print(f"Xero client CPU per call, ms (median of {len(next(iter(bridge.values())))}; mean), "
          f"Bridge vs xero-python {version}:")
    print(f"  {'call':<32} {'Bridge':>16} {'xero-python':>16} {'ratio':>6}")
    for op in bridge:
        ours, theirs = statistics.median(bridge[op]) * 1000, statistics.median(sdk[op]) * 1000
        means = statistics.mean(bridge[op]) * 1000, statistics.mean(sdk[op]) * 1000
        print(f"  {op:<32} {ours:7.2f} ({means[0]:6.2f}) {theirs:7.2f} ({means[1]:6.2f}) {ours / theirs:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="calls measured per operation and client")
    parser.add_argument("--only", metavar="TEXT", help="only the calls whose name contains TEXT (GET /Invoices "
                        "needs at least 100 invoices: the PUTs' warm-up makes them)")
    parser.add_argument("--profile", action="store_true",
                        help="then print a cProfile of Bridge's side (200 calls of the last operation)")
    parser.add_argument("--sdk", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sdk:
        return sdk_serve()
    operations = [op for op in OPERATIONS if not args.only or args.only.lower() in op.lower()]
    turns = max(1, round(args.n / TURN))
    puts = 2 * WARM_UP + turns * TURN
    bridge_figures, sdk_figures = {op: [] for op in operations}, {op: [] for op in operations}
    with tempfile.TemporaryDirectory() as folder:
        sandbox, sdk = SandboxProcess(folder), None
        try:
            bridge, job = bridge_side(sandbox.url, folder, puts)
            sdk = SdkProcess(job)
            for side in (bridge, sdk):  # warm-up; the PUTs make the invoices GET /Invoices lists
                for op in ([PUT] if GET_INVOICES in operations else []) + operations:
                    side.run(op, WARM_UP)
            for _ in range(turns):
                for op in operations:
                    bridge_figures[op] += bridge.run(op, TURN)
                    sdk_figures[op] += sdk.run(op, TURN)
            report(bridge_figures, sdk_figures, sdk.version)
            if args.profile:
                profile(bridge, operations[-1])
        finally:
            if sdk is not None:
                sdk.close()
            sandbox.close()


if __name__ == "__main__":
    main()
