"""Bridge under gunicorn with four workers on PostgreSQL (no --preload): each worker starts its
scheduler, exactly one (the poller lease holder) polls Xero, and when that worker stops
another takes over at once (gunicorn.conf.py's worker_exit hands the lease back)."""
import os
import re
import signal
import time

import pytest
import requests

from bridge.extensions import db
from bridge.xero.sync import lease
from tests.production.deployment import bridge_app, prepare
from tests.servers import GunicornServer

pytestmark = pytest.mark.postgres_only

STARTED = re.compile(r"\[(\d+)\] bridge\.xero\.scheduling\.scheduler INFO xero scheduler started in \S+:(\d+):")
SYNCED = re.compile(r"xero payment sync tenant=\S+ by scheduler \S+:(\d+):\w+")


def syncing_pids(server: GunicornServer, skip: int = 0) -> list[int]:
    return [int(m.group(1)) for line in server.lines[skip:] if (m := SYNCED.search(line))]


def wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.2)


def test_one_worker_of_four_polls_and_another_takes_over_when_it_stops(pg_url, sandbox_process, token_key):
    app = bridge_app(pg_url, sandbox_process, token_key)
    prepare(app, people=1, invoices_each=0)
    env = {"DATABASE_URL": pg_url, "SECRET_KEY": "gunicorn-test", "XERO_TOKEN_KEY": token_key,
           "XERO_POLL_SECONDS": "1", "XERO_FIRST_POLL_SECONDS": "1", "XERO_LEASE_SECONDS": "30",
           **sandbox_process.bridge_config()}
    with GunicornServer(env, workers=4, threads=2) as server:
        wait_for(lambda: len(syncing_pids(server)) >= 4, 20, "nobody polled:\n" + "\n".join(server.lines))
        workers = server.worker_pids()
        started = {int(m.group(2)) for line in server.lines if (m := STARTED.search(line))}
        assert len(workers) == 4 and started == workers  # a scheduler in every worker

        (poller,) = set(syncing_pids(server))
        assert poller in workers
        with app.app_context():
            assert f":{poller}:" in lease.current(db.engine, lease.POLLER).holder
            db.engine.dispose()
        assert requests.get(f"{server.url}/healthz", timeout=10).json()["xero"]["payment_sync"]["poller"] == "active"

        # The poller's worker stops (as when gunicorn recycles it): well before the lease's
        # 30 s run out, another worker polls, because the lease was handed back.
        mark = len(server.lines)
        os.kill(poller, signal.SIGTERM)
        wait_for(lambda: syncing_pids(server, mark), 10, "no other worker took over")
        time.sleep(2)
        assert poller not in syncing_pids(server, mark) and len(set(syncing_pids(server, mark))) == 1
