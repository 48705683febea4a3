"""The in-app scheduler: started once per process from create_app, only when enabled, not in
the reloader's watcher nor in CLI commands, jobs that never overlap, shut down at exit; a
tick syncs only in the process holding the lease; one organisation's runs never overlap."""
import threading
import time
from datetime import timedelta

import click
import pytest

from bridge.extensions import db
from bridge.models import Invoice
from bridge.xero.sync import lease
from bridge.xero.sync import mirror
from bridge.xero.scheduling import scheduler
from bridge.xero.sync.payments import request_sync, sync_organisation
from tests.conftest import make_app


@pytest.fixture
def stop_scheduler():
    """Whatever scheduler a test starts is stopped after it."""
    yield
    poller = scheduler.running()
    if poller is not None:
        poller.shutdown()


def test_off_in_tests_unless_turned_on(app):
    assert scheduler.enabled(app) is False and scheduler.running() is None


def test_started_once_per_process_with_jobs_that_never_overlap(database_url, stop_scheduler):
    make_app(database_url, XERO_SCHEDULER_ENABLED=True, XERO_POLL_SECONDS=300)
    poller = scheduler.running()
    assert poller is not None and poller.scheduler.running
    make_app(database_url, XERO_SCHEDULER_ENABLED=True)
    assert scheduler.running() is poller  # a second app in the same process starts nothing

    poll, requests_job = (poller.scheduler.get_job(j) for j in (scheduler.POLL_JOB, scheduler.REQUESTS_JOB))
    assert poll.trigger.interval == timedelta(seconds=300)
    for job in (poll, requests_job):
        assert (job.max_instances, job.coalesce) == (1, True)

    poller.shutdown()
    assert scheduler.running() is None and not poller.scheduler.running


@pytest.mark.parametrize("first, poll, expected", [(42, 300, 42), (42, 20, 20), (10, 300, 10)])
def test_the_first_poll_comes_after_the_configured_delay(database_url, stop_scheduler, first, poll, expected):
    started = time.time()
    make_app(database_url, XERO_SCHEDULER_ENABLED=True, XERO_POLL_SECONDS=poll,
             XERO_FIRST_POLL_SECONDS=first)
    delay = scheduler.running().next_poll().timestamp() - started
    assert expected - 1 < delay < expected + 1


def test_not_in_the_reloaders_watcher_only_in_its_child(database_url, monkeypatch, stop_scheduler):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    make_app(database_url, DEBUG=True, XERO_SCHEDULER_ENABLED=True)
    assert scheduler.running() is None
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # what the reloader sets in its child
    make_app(database_url, DEBUG=True, XERO_SCHEDULER_ENABLED=True)
    assert scheduler.running() is not None


@pytest.mark.parametrize("command, starts", [("upgrade", False), ("sync-payments", False), ("run", True)])
def test_cli_commands_other_than_run_do_not_schedule(database_url, command, starts, stop_scheduler):
    with click.Context(click.Command(command)):
        make_app(database_url, XERO_SCHEDULER_ENABLED=True)
    assert (scheduler.running() is not None) is starts


def test_shut_down_at_exit_and_the_lease_handed_back(app, database_url, monkeypatch, stop_scheduler):
    at_exit = []
    monkeypatch.setattr(scheduler.atexit, "register", at_exit.append)
    make_app(database_url, XERO_SCHEDULER_ENABLED=True)
    poller = scheduler.running()
    assert at_exit == [poller.shutdown]
    assert poller.take_lease()
    at_exit[0]()  # what the interpreter does on its way out
    assert not poller.scheduler.running and scheduler.running() is None
    assert lease.acquire(db.engine, lease.POLLER, "the next process", timedelta(seconds=60))


@pytest.fixture
def poller(org, database_url, stop_scheduler):
    """This process's scheduler for an app on the sandbox (its jobs far in the future)."""
    make_app(database_url, XERO_SCHEDULER_ENABLED=True, XERO_POLL_SECONDS=300,
             **org.sandbox.bridge_config())
    return scheduler.running()


def test_a_tick_takes_the_lease_syncs_and_plans_the_next_run(org, poller):
    invoice, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")

    poller.poll_tick()

    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).payment_status == "paid"
    assert lease.current(db.engine, lease.POLLER).holder == poller.holder
    state = org.state()
    assert state.runs == 1 and state.last_run_by == f"scheduler {poller.holder}"
    assert state.next_run_at == poller.next_poll()

    poller.poll_tick()  # not due yet: nothing runs
    assert org.state().runs == 1
    request_sync(org.tenant_id)  # a webhook asked
    poller.requests_tick()
    assert org.state().runs == 2


def test_no_tick_syncs_while_another_process_holds_the_lease(org, poller):
    _, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    assert lease.acquire(db.engine, lease.POLLER, "another-host:1:abc", timedelta(seconds=60))
    poller.poll_tick()
    request_sync(org.tenant_id)
    poller.requests_tick()
    assert not poller.holds_lease and org.state().runs == 0


def test_a_slow_run_of_an_organisation_never_overlaps_another(org, app, monkeypatch):
    _, xero_doc = org.invoice("100.00")
    org.pay(xero_doc, "100.00")
    slow_apply = mirror.apply_payments

    def slowly(*args, **kwargs):
        time.sleep(1.0)
        return slow_apply(*args, **kwargs)

    monkeypatch.setattr(mirror, "apply_payments", slowly)
    results = {}

    def run(name):
        with app.app_context():
            results[name] = sync_organisation(org.tenant_id, trigger=name, client=org.client)

    first = threading.Thread(target=run, args=("first",))
    first.start()
    time.sleep(0.3)
    run("second")
    first.join()
    assert results["second"].skipped == "A sync of this organisation is already running."
    assert results["first"].message == "1 payment added, 1 invoice updated"


def test_a_tick_that_meets_the_database_gone_logs_a_warning_not_a_traceback(stop_scheduler, caplog):
    # PostgreSQL that does not answer (nothing listens on port 1), as during a restart.
    make_app("postgresql+psycopg://postgres@127.0.0.1:1/gone", XERO_SCHEDULER_ENABLED=True,
             XERO_POLL_SECONDS=300)
    poller = scheduler.running()
    poller.woken.set()
    with caplog.at_level("WARNING", logger=scheduler.__name__):
        poller.poll_tick()
        poller.requests_tick()
    warnings = [r.getMessage() for r in caplog.records if r.name == scheduler.__name__]
    # No exception escaped either tick: one warning each, the lease's own and the requests'.
    assert "cannot reach the lease" in warnings[0], warnings
    assert "xero sync requests: the database is not answering" in warnings[1], warnings
    assert not any(r.exc_info for r in caplog.records)
