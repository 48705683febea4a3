"""The fault and load scenario: people using Bridge under gunicorn while Xero misbehaves.

Bridge runs under gunicorn (4 workers) on a PostgreSQL database of its own; the Xero sandbox
runs as its own process and fails a share of the Accounting API calls at random (429 with
Retry-After 1, 500, a timeout before doing anything, or an answer held back after doing the
work). Meanwhile:

- each simulated person (a thread with a requests.Session, as a browser) logs in through the
  form, clicks through the invoice table and invoice pages, and copies their own invoices to
  Xero through the modal: opens it, posts its form (CSRF token in the form and in the
  X-CSRFToken header, as htmx sends it), and when the modal says Xero did not answer or
  refused, presses the button again ("Try again"), or "Check again" while it is still sending;
- an accountant records payments "in Xero" (the sandbox's control API) on copied invoices;
- now and then Xero has an outage of OUTAGE_SECONDS: every invoice call fails alike (an
  answer lost after the work, a 500, a timeout, a 429), longer than Bridge's own retries;
- every worker's scheduler is on; the poller lease holder syncs payments every few seconds.

When the time is up the people finish the copy they are on, the faults stop, and
`flask xero sync-payments` runs once. The report compares Xero with Bridge: one Xero invoice
per copy asked for (no duplicate, no loss) and the same payments on both sides.

Used by bench/load_bench.py (2 minutes, 20 people) and tests/production/test_load.py (short).
"""
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import Invoice, Payment, XeroCopy
from bridge.xero.api.client import XeroClient
from tests.production.browser import Form, refusal_text
from tests.production.deployment import PASSWORD, Workspace, bridge_app, prepare
from tests.servers import PROJECT_ROOT, UNLIMITED, GunicornServer

# The sandbox answers a timed-out call after this long; Bridge gives up on Xero after XERO_TIMEOUT.
FAULT_SECONDS = 3.0
XERO_TIMEOUT = "2"
# How long a person keeps at one copy after the time is up (it must end: done).
FINISH_SECONDS = 120
PAYMENT = Decimal("20.00")
RANDOM_KINDS = ("429", "500", "timeout", "late")
OUTAGE_KINDS = ("late", "500", "timeout", "429")
OUTAGE_SECONDS = 10


@dataclass
class Settings:
    people: int = 20
    seconds: float = 120
    fault_rate: float = 0.10
    workers: int = 4
    invoices_each: int = 40
    think: tuple[float, float] = (0.2, 0.8)   # seconds between two clicks
    pay_every: float = 0.5                    # the accountant's pace
    # Besides the random faults, an outage of OUTAGE_SECONDS this often (see Faults).
    outage_every: float = 25


@dataclass
class Stats:
    """Every request to Bridge: what, its status (or the exception), how long it took."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list = field(default_factory=list)      # (kind, status or exception name, seconds)
    causes: Counter = field(default_factory=Counter)  # error responses by cause
    copy_outcomes: Counter = field(default_factory=Counter)
    copies_asked: int = 0
    copies_done: list = field(default_factory=list)  # (bridge invoice id, number in Xero)
    copies_unresolved: list = field(default_factory=list)
    payments_made: list = field(default_factory=list)  # (number in Xero, amount)
    payments_refused: int = 0
    payments_unanswered: int = 0  # the sandbox's UI did not answer in time
    server_errors: list = field(default_factory=list)  # (time.monotonic(), kind, status) of each 5xx

    def add(self, kind: str, status, seconds: float) -> None:
        with self.lock:
            self.samples.append((kind, status, seconds))
            if isinstance(status, int) and status >= 500:
                self.server_errors.append((time.monotonic(), kind, status))
            if not isinstance(status, int):
                self.causes[f"{kind}: no answer ({status})"] += 1
            elif status >= 400 and not (status == 422 and kind.startswith("copy")):
                self.causes[f"{kind}: HTTP {status}"] += 1  # the modal's 422s: labelled in copy()

    def cause(self, label: str) -> None:
        with self.lock:
            self.causes[label] += 1

    def outcome(self, label: str) -> None:
        with self.lock:
            self.copy_outcomes[label] += 1


class Person(threading.Thread):
    """One person in a browser: logs in, browses, copies their invoices, retries as told."""

    def __init__(self, base: str, email: str, invoices: list[int], all_invoices: list[int],
                 stats: Stats, deadline: float, think: tuple[float, float], seed: int):
        super().__init__(daemon=True)
        self.base, self.email, self.todo = base, email, list(invoices)
        self.all_invoices, self.stats, self.deadline, self.think = all_invoices, stats, deadline, think
        self.random = random.Random(seed)
        self.http = requests.Session()
        self.token = ""

    def get(self, kind: str, path: str, htmx: bool = False) -> requests.Response | None:
        return self.call(kind, "GET", path, headers={"HX-Request": "true"} if htmx else {})

    def post(self, kind: str, path: str, data, htmx: bool = True) -> requests.Response | None:
        headers = {"X-CSRFToken": self.token, **({"HX-Request": "true"} if htmx else {})}
        return self.call(kind, "POST", path, data=data, headers=headers)

    def call(self, kind: str, method: str, path: str, **kw) -> requests.Response | None:
        started = time.perf_counter()
        try:
            answer = self.http.request(method, self.base + path, timeout=90, **kw)
        except requests.RequestException as error:
            self.stats.add(kind, type(error).__name__, time.perf_counter() - started)
            return None
        self.stats.add(kind, answer.status_code, time.perf_counter() - started)
        found = re.search(r'"X-CSRFToken": "([^"]+)"', answer.text) if answer.ok else None
        if found:
            self.token = found.group(1)
        return answer

    def pause(self) -> None:
        time.sleep(self.random.uniform(*self.think))

    def log_in(self) -> bool:
        page = self.get("login page", "/login")
        fields = Form.read(page.text, "") if page is not None else None  # the first form
        fields = dict(fields or [], email=self.email, password=PASSWORD)
        answer = self.call("log in", "POST", "/login", data=fields)
        if answer is None or "/login" in answer.url:
            self.stats.cause("log in failed")
            return False
        return True

    def run(self) -> None:
        if not self.log_in():
            return
        while time.monotonic() < self.deadline:
            self.pause()
            self.get("invoice table", f"/?page={self.random.randint(1, 3)}")
            self.pause()
            if self.todo:
                self.copy(self.todo.pop(0))
            else:
                self.get("invoice page", f"/invoices/{self.random.choice(self.all_invoices)}")

    def copy(self, invoice_id: int, asked: bool = True) -> None:
        """Copy to Xero as a person does, until the modal says it is copied (asked: a copy not
        asked for before, rather than one taken up again)."""
        page = self.get("invoice page", f"/invoices/{invoice_id}")
        self.pause()
        modal = self.get("copy modal", f"/invoices/{invoice_id}/xero/copy", htmx=True)
        if page is None or modal is None or modal.status_code != 200:
            self.stats.cause("copy modal did not open")
            self.todo.append(invoice_id)
            return
        if asked:
            with self.stats.lock:
                self.stats.copies_asked += 1
        submit = f"/invoices/{invoice_id}/xero/copy"
        fields, path, kind = Form.read(modal.text, submit), submit, "copy: submit"
        give_up = max(self.deadline, time.monotonic()) + FINISH_SECONDS
        while time.monotonic() < give_up:
            answer = self.post(kind, path, fields)
            if answer is not None and answer.status_code == 200:
                number = re.search(r"<dt>Number in Xero</dt><dd>([^<]+)</dd>", answer.text)
                self.stats.outcome("copied")
                with self.stats.lock:
                    self.stats.copies_done.append((invoice_id, number.group(1) if number else None))
                self.get("copied box", f"/invoices/{invoice_id}/xero/state", htmx=True)
                return
            if answer is not None and answer.status_code == 202:
                # "Still sending to Xero": Check again in a moment (the same attempt).
                self.stats.outcome("still sending")
                fields = Form.read(answer.text, "/xero/copy/resume") or fields
                path, kind = f"/invoices/{invoice_id}/xero/copy/resume", "copy: check again"
            elif answer is not None and answer.status_code == 422:
                reason = refusal_text(answer.text)
                unknown = reason.startswith("Xero did not answer")
                label = "Xero did not answer (Try again)" if unknown else f"refused: {reason[:70]}"
                self.stats.outcome(label)
                self.stats.cause(f"copy: 422 {label}")
                fields = Form.read(answer.text, submit) or fields
                path, kind = submit, "copy: try again"
            else:
                # No answer at all (or a server error): the toast says so; press the same button.
                self.stats.outcome("no answer from Bridge")
            time.sleep(self.random.uniform(0.5, 1.5))
        with self.stats.lock:
            self.stats.copies_unresolved.append(invoice_id)


class Closer(Person):
    """The morning after: a person takes up each copy left unresolved when the run ended
    (Xero's weather calm again), pressing Try again until the modal says copied."""

    def run(self) -> None:
        unresolved, self.stats.copies_unresolved[:] = list(self.stats.copies_unresolved), []
        if not self.log_in():
            return
        for invoice_id in unresolved:
            self.copy(invoice_id, asked=False)


class Accountant(threading.Thread):
    """Records payments in Xero (as in Xero's UI) on invoices Bridge copied, until told to stop."""

    def __init__(self, sandbox, tenant_id: str, stats: Stats, every: float):
        super().__init__(daemon=True)
        self.sandbox, self.tenant_id, self.stats, self.every = sandbox, tenant_id, stats, every
        self.random = random.Random(7)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            time.sleep(self.every)
            with self.stats.lock:
                copied = [number for _, number in self.stats.copies_done if number]
            if not copied:
                continue
            number = self.random.choice(copied)
            try:
                answer = requests.post(f"{self.sandbox.url}/_sandbox/organisations/{self.tenant_id}/payments",
                                       json={"invoice": number, "amount": str(PAYMENT),
                                             "reference": "load test"}, timeout=30)
            except requests.RequestException:
                # Xero's UI too slow to answer: the payment may or may not be in Xero, which is
                # why the comparison reads Xero's payments rather than counting these.
                with self.stats.lock:
                    self.stats.payments_unanswered += 1
                continue
            with self.stats.lock:
                if answer.status_code == 201:
                    self.stats.payments_made.append((number, PAYMENT))
                else:
                    self.stats.payments_refused += 1  # fully paid already


class Faults(threading.Thread):
    """Xero's weather: `rate` of the Accounting API calls fail at random, and every `every`
    seconds an outage of OUTAGE_SECONDS where every invoice call fails alike (longer than
    Bridge's own retries, so some copies end "Xero did not answer" and people must act)."""

    def __init__(self, sandbox, deadline: float, rate: float, every: float):
        super().__init__(daemon=True)
        self.sandbox, self.deadline, self.rate, self.every = sandbox, deadline, rate, every
        self.outages: list[str] = []
        self.injected: Counter = Counter()

    def weather(self, rate: float, kinds, path_prefix: str) -> None:
        """Switch the sandbox's random faults, keeping count of those injected so far (a control
        call the busy sandbox is slow to answer is made again: the weather must not stop)."""
        for tries_left in reversed(range(5)):
            try:
                drawn = (self.sandbox.control("GET", "faults")["random"] or {}).get("drawn", {})
                self.sandbox.control("PUT", "faults/random", rate=rate, kinds=list(kinds),
                                     path_prefix=path_prefix, seconds=FAULT_SECONDS, retry_after=1)
            except requests.RequestException:
                if not tries_left:
                    raise
                continue
            self.injected.update(drawn)
            return

    def usual(self) -> None:
        self.weather(self.rate, RANDOM_KINDS, "/api.xro/2.0")

    def run(self) -> None:
        self.usual()
        while time.monotonic() + self.every + OUTAGE_SECONDS < self.deadline:
            time.sleep(self.every)
            kind = OUTAGE_KINDS[len(self.outages) % len(OUTAGE_KINDS)]
            self.weather(1, [kind], "/api.xro/2.0/Invoices")
            self.outages.append(kind)
            time.sleep(OUTAGE_SECONDS)
            self.usual()

    def stop(self) -> dict:
        """No more faults; how many of each kind were injected at random and in outages."""
        self.weather(0, RANDOM_KINDS, "/api.xro/2.0")
        self.sandbox.control("DELETE", "faults")
        return dict(self.injected)


def gunicorn_env(database_url: str, sandbox, token_key: str) -> dict:
    return {"DATABASE_URL": database_url, "SECRET_KEY": "load-test-secret", "XERO_TOKEN_KEY": token_key,
            "XERO_TIMEOUT": XERO_TIMEOUT, "XERO_CALLS_PER_MINUTE": UNLIMITED,
            "XERO_POLL_SECONDS": "5", "XERO_FIRST_POLL_SECONDS": "2", "XERO_LEASE_SECONDS": "30",
            **sandbox.bridge_config()}


def final_sync(env: dict) -> str:
    """`flask xero sync-payments`, pressed again while the scheduler's run holds the organisation."""
    full = {**{k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}, **env}
    for _ in range(30):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "xero", "sync-payments"],
                              cwd=PROJECT_ROOT, env=full, capture_output=True, text=True, timeout=120)
        output = (done.stdout + done.stderr).strip().splitlines()[-1]
        if "already running" not in output:
            if done.returncode != 0:
                raise RuntimeError(f"the final sync failed: {output}")
            return output
        time.sleep(1)
    raise RuntimeError("the final sync never got the organisation's lease")


def run(settings: Settings, database_url: str, sandbox, token_key: str, say=print) -> dict:
    """The whole scenario; the report's figures as a dict."""
    app = bridge_app(database_url, sandbox, token_key)
    say(f"Preparing: {settings.people} people, {settings.invoices_each} invoices each")
    workspace: Workspace = prepare(app, settings.people, settings.invoices_each)
    env = gunicorn_env(database_url, sandbox, token_key)
    stats = Stats()
    with GunicornServer(env, workers=settings.workers) as server:
        say(f"Running {settings.seconds:.0f} s against gunicorn ({settings.workers} workers) at "
            f"{server.url}, Xero faults at {settings.fault_rate:.0%}")
        started = time.monotonic()
        deadline = started + settings.seconds
        everyone = [i for mine in workspace.invoices for i in mine]
        people = [Person(server.url, email, mine, everyone, stats, deadline, settings.think, seed=n)
                  for n, (email, mine) in enumerate(zip(workspace.emails, workspace.invoices))]
        accountant = Accountant(sandbox, workspace.tenant_id, stats, settings.pay_every)
        faults = Faults(sandbox, deadline, settings.fault_rate, settings.outage_every)
        for thread in (faults, *people, accountant):
            thread.start()
        for thread in (faults, *people):
            thread.join()
        accountant.done.set()  # pays while people finish their last copy
        accountant.join()
        elapsed = time.monotonic() - started
        injected = faults.stop()
        unresolved_at_end = len(stats.copies_unresolved)
        if unresolved_at_end:
            closer = Closer(server.url, workspace.emails[0], [], everyone, stats,
                            time.monotonic(), settings.think, seed=len(people))
            closer.start()
            closer.join()
        synced = final_sync(env)
        report = compare(app, workspace, stats)
        bridge_5xx_in_log = [line for line in server.lines if "Traceback" in line or " ERROR " in line]
        worker_errors = error_excerpts(server.lines)
    report.update(elapsed_seconds=round(elapsed, 1), faults_injected=dict(injected),
                  copies_unresolved_when_the_run_ended=unresolved_at_end, worker_errors=worker_errors,
                  outages=f"{len(faults.outages)} of {OUTAGE_SECONDS} s ({', '.join(faults.outages)})",
                  final_sync=synced,
                  server_errors_logged=len(bridge_5xx_in_log), **latency(stats))
    return report


def error_excerpts(lines: list[str], most: int = 3, length: int = 60) -> list[str]:
    """The first few tracebacks or ERROR lines of the workers' log, each with what follows it:
    Flask's "Exception on <path>" (a 500) first, as the one that matters most."""
    marked = [n for n, line in enumerate(lines) if "Traceback" in line or " ERROR " in line]
    starts = sorted(marked, key=lambda n: "Exception on " not in lines[n])
    excerpts, last = [], -1
    for n in starts:
        if n > last and len(excerpts) < most:
            excerpts.append("\n".join(lines[n:n + length]))
            last = n + length
    return excerpts


def latency(stats: Stats) -> dict:
    times = sorted(seconds for _, _, seconds in stats.samples)
    by_kind = {}
    for kind in sorted({k for k, _, _ in stats.samples}):
        mine = sorted(s for k, _, s in stats.samples if k == kind)
        by_kind[kind] = {"requests": len(mine), "p50_ms": round(_pct(mine, 50) * 1000),
                         "p95_ms": round(_pct(mine, 95) * 1000)}
    statuses = Counter(status for _, status, _ in stats.samples)
    return {
        "requests": len(times), "p50_ms": round(_pct(times, 50) * 1000), "p95_ms": round(_pct(times, 95) * 1000),
        "mean_ms": round(statistics.fmean(times) * 1000) if times else 0,
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
        "bridge_5xx": sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500),
        "by_kind": by_kind, "errors_by_cause": dict(stats.causes.most_common()),
        "copy_outcomes": dict(stats.copy_outcomes.most_common()),
        "server_errors_at": list(stats.server_errors),
    }


def _pct(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * percent / 100))]


def compare(app, workspace: Workspace, stats: Stats) -> dict:
    """Xero's invoices and payments against what the people asked for and what Bridge has."""
    with app.app_context():
        with XeroClient(workspace.tenant_id) as client:
            ours = [i for i in client.get_invoices(where='Type=="ACCREC"') if "xero_copy=" in (i.get("Url") or "")]
            ids = {i["InvoiceID"] for i in ours}
            paid_in_xero = [p for p in client.iter_payments(where='PaymentType=="ACCRECPAYMENT"')
                            if p.get("Status") != "DELETED" and (p.get("Invoice") or {}).get("InvoiceID") in ids]
        by_invoice = Counter(re.search(r"/invoices/(\d+)\?", i["Url"]).group(1) for i in ours)
        done_rows = db.session.scalar(select(func.count()).select_from(XeroCopy).where(XeroCopy.state == "done"))
        other_rows = dict(db.session.execute(select(XeroCopy.state, func.count())
                                             .where(XeroCopy.state != "done").group_by(XeroCopy.state)).all())
        bridge_payments = db.session.execute(
            select(func.count(), func.coalesce(func.sum(Payment.amount), 0))
            .where(Payment.source == "xero", Payment.deleted_at.is_(None))).one()
        bridge_paid = db.session.scalar(select(func.coalesce(func.sum(Invoice.amount_paid), 0)))
        db.session.remove()
        db.engine.dispose()
    return {
        "copies_asked": stats.copies_asked,
        "copies_done_seen_by_people": len(stats.copies_done),
        "copies_unresolved": len(stats.copies_unresolved),
        "xero_invoices_created": len(ours),
        "xero_invoices_for_one_bridge_invoice_more_than_once": sum(1 for n in by_invoice.values() if n > 1),
        "bridge_copies_done": done_rows, "bridge_copies_other_states": other_rows,
        # What Xero holds, not what the accountant was told: a payment whose answer was lost
        # may be in Xero all the same.
        "payments_in_xero": len(paid_in_xero),
        "payments_in_xero_total": str(sum((Decimal(str(p["Amount"])) for p in paid_in_xero), Decimal("0"))
                                      .quantize(Decimal("0.01"))),
        "payments_recorded_by_the_accountant": len(stats.payments_made),
        "payments_unanswered": stats.payments_unanswered,
        "payments_in_xero_amount_paid": str(sum((Decimal(str(i.get("AmountPaid", 0))) for i in ours), Decimal("0"))),
        "payments_refused_fully_paid": stats.payments_refused,
        "payments_in_bridge": bridge_payments[0],
        "payments_in_bridge_total": str(Decimal(bridge_payments[1]).quantize(Decimal("0.01"))),
        "bridge_amount_paid": str(Decimal(bridge_paid).quantize(Decimal("0.01"))),
    }
