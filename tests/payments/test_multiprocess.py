"""Two app processes, each with its scheduler on (polling every second), against one
PostgreSQL database (a schema made for this test and dropped after): exactly one polls,
and when it stops the other takes over."""
import os
import re
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Invoice, XeroSyncState
from bridge.xero.sync import lease
from bridge.xero.api.client import XeroClient
from tests.conftest import PROJECT_ROOT, make_app
from tests.payments.conftest import Org, connect, turn_sync_on
from tests.payments.pg import pg_schema
from tests.servers import stop_process
from tests.xero.consent import REDIRECT

pytestmark = pytest.mark.postgres_only

# A process that builds the app (which starts its scheduler) and then just lives.
PROCESS = """
import logging, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")
logging.getLogger("werkzeug").setLevel(logging.WARNING)
from bridge import create_app
create_app()
print("READY", flush=True)
try:
    time.sleep(120)
except KeyboardInterrupt:
    pass
"""
SYNC_LINE = re.compile(r"xero payment sync tenant=\S+ by scheduler \S+:(\d+):\w+")


class AppProcess:
    """One `python -c` app process, its output read line by line as it comes."""

    def __init__(self, env: dict):
        self.popen = subprocess.Popen([sys.executable, "-u", "-c", PROCESS], cwd=PROJECT_ROOT,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True)
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def syncs(self, after: float = 0.0) -> list[str]:
        """Its scheduler's sync runs (log lines), optionally only those after a moment."""
        return [line for at, line in self.lines if at > after and SYNC_LINE.search(line)]

    def ready(self) -> bool:
        return any(line == "READY" for _, line in self.lines)

    def stop(self) -> None:
        """Ctrl-C, as a supervisor stopping it cleanly: atexit hands the lease back."""
        stop_process(self.popen, signal.SIGINT, timeout=15)


def wait_for(condition, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.1)


@pytest.fixture
def pg_org(xero_sandbox):
    """Bridge's schema in a fresh PostgreSQL schema, Demo Company (NZ) connected, sync on."""
    xero_sandbox.allow_redirect(REDIRECT)
    with pg_schema("payments_mp") as url:
        served = make_app(url, **xero_sandbox.bridge_config())
        with served.app_context():
            db.create_all()
            tokens, (tenant,) = connect()
            XeroClient().save_connection(tokens, tenant)
            db.session.commit()
            turn_sync_on(tenant.tenant_id)
            with XeroClient(tenant.tenant_id) as client:
                yield served, url, Org(tenant.tenant_id, client, xero_sandbox)
            db.session.remove()
            db.engine.dispose()


def test_of_two_processes_exactly_one_polls_and_the_other_takes_over(pg_org):
    served, url, org = pg_org
    invoice, xero_doc = org.invoice("100.00")
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}
    env.update({key: value for key, value in org.sandbox.bridge_config().items()})
    env.update(DATABASE_URL=url, XERO_POLL_SECONDS="1", XERO_LEASE_SECONDS="3",
               XERO_SCHEDULER_ENABLED="1", SECRET_KEY="multi-process-test",
               XERO_TOKEN_KEY=served.config["XERO_TOKEN_KEY"])
    processes = [AppProcess(env), AppProcess(env)]
    try:
        wait_for(lambda: all(p.ready() for p in processes), 30, "the app processes did not start")
        org.pay(xero_doc, "60.00", "while two processes run")

        def paid(amount: str) -> bool:
            db.session.expire_all()
            return db.session.get(Invoice, invoice.id).amount_paid == Decimal(amount)

        wait_for(lambda: paid("60.00"), 15, "no process synced the payment")
        # Several more polls (every second; slower on a busy machine), then only one polled.
        wait_for(lambda: any(len(p.syncs()) >= 3 for p in processes), 20, "the poller stopped polling")

        syncing = [p for p in processes if p.syncs()]
        assert len(syncing) == 1, [p.lines for p in processes]
        (holder,) = syncing
        (idle,) = [p for p in processes if p is not holder]
        assert len(holder.syncs()) >= 3
        pids = {int(SYNC_LINE.search(line).group(1)) for line in holder.syncs()}
        assert pids == {holder.popen.pid}
        assert f":{holder.popen.pid}:" in lease.current(db.engine, lease.POLLER).holder

        # The poller stops: the other one takes over at its next tick.
        holder.stop()
        stopped_at = time.monotonic()
        wait_for(lambda: idle.syncs(after=stopped_at), 10, "the other process did not take over")
        assert f":{idle.popen.pid}:" in lease.current(db.engine, lease.POLLER).holder
        org.pay(xero_doc, "40.00", "after the handover")
        wait_for(lambda: paid("100.00"), 10, "the new poller did not sync")
    finally:
        for process in processes:
            process.stop()
    state = db.session.scalar(select(XeroSyncState))
    assert f":{idle.popen.pid}:" in state.last_run_by and state.last_error is None
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).payment_status == "paid"
