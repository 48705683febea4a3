"""Leases in the database: the one process that polls Xero, the one run per organisation.

A lease is a row (name, holder, expires_at). Taking or renewing it is one conditional
UPDATE ... WHERE name = :name AND (expires_at < :now OR holder = :me): the database
applies it atomically, so of two processes racing only one sees a row changed. The first
use INSERTs the row; the primary key on name makes a racing second INSERT fail, and that
process simply does not hold the lease. A holder that dies stops renewing and its lease
runs out after its time to live; a holder that stops cleanly gives it back at once.

Times come from this machine's clock: machines sharing a database need synchronised
clocks (NTP), with a skew well under the time to live.
"""
import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Engine, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from bridge.models import Lease, utcnow

POLLER = "xero-payment-poller"


def holder_id() -> str:
    """A name for this process that no other process, here or on another machine, shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def org_lease(tenant_id: str) -> str:
    """The lease one payment sync of an organisation holds while it runs."""
    return f"xero-sync:{tenant_id}"


def acquire(engine: Engine, name: str, holder: str, ttl: timedelta,
            now: Callable[[], datetime] = utcnow) -> bool:
    """Take or renew the lease `name` for ttl; whether `holder` holds it now."""
    moment = now()
    with engine.connect() as connection:
        taken = connection.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.expires_at < moment) | (Lease.holder == holder))
            .values(holder=holder, expires_at=moment + ttl, renewed_at=moment,
                    acquired_at=_acquired_at(holder, moment))
        ).rowcount == 1
        if taken:
            connection.commit()
            return True
        try:
            connection.execute(insert(Lease).values(
                name=name, holder=holder, expires_at=moment + ttl, acquired_at=moment,
                renewed_at=moment))
            connection.commit()
            return True
        except IntegrityError:
            # The row exists (someone else holds it) or another process inserted it first.
            connection.rollback()
            return False


def _acquired_at(holder: str, moment: datetime):
    """acquired_at: kept on a renewal, reset when the lease changes hands."""
    return case((Lease.holder == holder, Lease.acquired_at), else_=moment)


def release(engine: Engine, name: str, holder: str, now: Callable[[], datetime] = utcnow) -> bool:
    """Give the lease back (if `holder` still has it), so another can take it at once."""
    with engine.connect() as connection:
        released = connection.execute(
            update(Lease).where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=now() - timedelta(seconds=1))
        ).rowcount == 1
        connection.commit()
        return released


def current(engine: Engine, name: str) -> Lease | None:
    """The lease row as stored (holder, expiry), detached; None before first use."""
    with engine.connect() as connection:
        row = connection.execute(select(Lease.__table__).where(Lease.name == name)).first()
    return Lease(**row._mapping) if row else None


class HeldLease:
    """A lease taken for the length of a `with` block: renew() while working, given back after.

        with HeldLease(engine, name, ttl) as lease:
            if not lease.held: ...   # someone else has it
    """

    def __init__(self, engine: Engine, name: str, ttl: timedelta, holder: str | None = None):
        self.engine, self.name, self.ttl = engine, name, ttl
        self.holder = holder or holder_id()
        self.held = False

    def __enter__(self) -> "HeldLease":
        self.held = acquire(self.engine, self.name, self.holder, self.ttl)
        return self

    def renew(self) -> bool:
        """Extend the lease; False when it was lost (expired and taken by another)."""
        self.held = acquire(self.engine, self.name, self.holder, self.ttl)
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held:
            release(self.engine, self.name, self.holder)
            self.held = False
