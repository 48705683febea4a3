"""The lease that lets exactly one process poll (and one run per organisation): taken and
renewed by one conditional UPDATE, first INSERT guarded by the unique name; on SQLite and
on PostgreSQL, with threads racing for it."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select

from bridge.models import Lease
from bridge.xero.sync import lease
from tests.payments.pg import pg_schema

TTL = timedelta(seconds=30)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """An empty leases table on SQLite (a file) or in a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'lease.sqlite'}")
        Lease.__table__.create(engine)
        yield engine
        engine.dispose()
        return
    with pg_schema("lease_test") as url:
        engine = create_engine(url)
        Lease.__table__.create(engine)
        yield engine
        engine.dispose()


def test_first_come_holds_it_others_wait_until_it_runs_out(engine):
    clock = Clock()
    assert lease.acquire(engine, "poller", "a", TTL, now=clock)
    assert not lease.acquire(engine, "poller", "b", TTL, now=clock)

    clock.now += timedelta(seconds=20)
    assert lease.acquire(engine, "poller", "a", TTL, now=clock)  # a renews
    clock.now += timedelta(seconds=20)
    assert not lease.acquire(engine, "poller", "b", TTL, now=clock)  # renewed: still a's

    clock.now += timedelta(seconds=11)  # a stopped renewing: its lease ran out
    assert lease.acquire(engine, "poller", "b", TTL, now=clock)
    row = lease.current(engine, "poller")
    assert (row.holder, row.acquired_at, row.expires_at) == ("b", clock.now, clock.now + TTL)
    assert not lease.acquire(engine, "poller", "a", TTL, now=clock)


def test_a_renewal_keeps_when_it_was_acquired(engine):
    clock = Clock()
    lease.acquire(engine, "poller", "a", TTL, now=clock)
    clock.now += timedelta(seconds=5)
    lease.acquire(engine, "poller", "a", TTL, now=clock)
    row = lease.current(engine, "poller")
    assert (row.acquired_at, row.renewed_at) == (T0, T0 + timedelta(seconds=5))


def test_giving_it_back_lets_another_take_it_at_once(engine):
    clock = Clock()
    lease.acquire(engine, "poller", "a", TTL, now=clock)
    assert not lease.release(engine, "poller", "b", now=clock)  # not b's to give
    assert lease.release(engine, "poller", "a", now=clock)
    assert lease.acquire(engine, "poller", "b", TTL, now=clock)


def test_names_are_separate_leases(engine):
    assert lease.acquire(engine, "xero-sync:org-1", "a", TTL)
    assert lease.acquire(engine, "xero-sync:org-2", "b", TTL)
    assert not lease.acquire(engine, "xero-sync:org-1", "b", TTL)


@pytest.mark.parametrize("exists", [False, True], ids=["first use (INSERT race)", "expired row (UPDATE race)"])
def test_of_many_racing_exactly_one_wins(engine, exists):
    if exists:
        lease.acquire(engine, "poller", "old", timedelta(seconds=-1))  # already expired
    start, wins = threading.Barrier(8), []

    def contender(name):
        start.wait()
        if lease.acquire(engine, "poller", name, TTL):
            wins.append(name)

    threads = [threading.Thread(target=contender, args=(f"p{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Lease)) == 1
        assert connection.scalar(select(Lease.holder)) == wins[0]


def test_held_lease_gives_it_back_after_the_block(engine):
    with lease.HeldLease(engine, "xero-sync:org", TTL, holder="run-1") as held:
        assert held.held and held.renew()
        with lease.HeldLease(engine, "xero-sync:org", TTL, holder="run-2") as other:
            assert not other.held
    with lease.HeldLease(engine, "xero-sync:org", TTL, holder="run-2") as other:
        assert other.held


def test_holder_ids_differ_per_process_and_call():
    first, second = lease.holder_id(), lease.holder_id()
    assert first != second and first.split(":")[:2] == second.split(":")[:2]
