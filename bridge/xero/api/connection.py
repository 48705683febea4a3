"""One organisation's XeroConnection row, as the client uses it.

Its access token is refreshed 60 s before it expires and once after a 401 TokenExpired.
Refreshing is single-flight per connection across threads (a lock) and processes (a row
lock in the database), because Xero rotates refresh tokens: a second use of an old one
after the grace period locks the organisation out. The row also keeps, best effort, when
a call last succeeded, the last error, and whether an admin must reconnect.

One consent can grant several organisations (one per billing entity): their rows then hold
the same token set, recognised by Xero's auth_event_id. A refresh locks and rewrites every
row of the set together, since the old refresh token dies for all of them at once.
"""
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from bridge.extensions import db
from bridge.models import XeroConnection, utcnow
from bridge.xero.api.auth import TOKEN_OP, InvalidGrant, XeroTenant
from bridge.xero.api.errors import RECONNECT, XeroAuthorisationLost
from bridge.xero.api.tokens import TokenCipher, TokenDecryptError, TokenSet, store_tokens

logger = logging.getLogger(__name__)

ACTIVE, NEEDS_RECONNECT = "active", "needs_reconnect"
NOT_CONNECTED = "This Xero organisation is not connected to Bridge. An admin can connect it."
# Refresh this long before the access token expires (as Xero's own SDK does).
REFRESH_MARGIN = timedelta(seconds=60)
# last_success_at is written at most this often per organisation and process: often enough that
# the Xero card's "Last successful call" (to the minute) moves with the calls people make.
SUCCESS_WRITE_INTERVAL = 30.0
# Bookkeeping writes wait this long for SQLite's write lock, then give up quietly.
BOOKKEEPING_BUSY_MS = 200

# One lock per connection for refreshes within this process (the row lock covers processes).
_REFRESH_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_REFRESH_LOCKS_GUARD = threading.Lock()
_LAST_SUCCESS_WRITE: dict[tuple[str, str], float] = {}


def _refresh_lock(key: tuple[str, str]) -> threading.Lock:
    """This process's refresh lock for one connection."""
    with _REFRESH_LOCKS_GUARD:
        return _REFRESH_LOCKS.setdefault(key, threading.Lock())


def save_connection(tokens: TokenSet, tenant: XeroTenant, cipher: TokenCipher,
                    connected_by_id: int | None = None, entity_id: int | None = None) -> XeroConnection:
    """Create or update the XeroConnection for tenant with tokens (encrypted); flushes only."""
    connection = db.session.scalar(
        select(XeroConnection).where(XeroConnection.tenant_id == tenant.tenant_id)
    )
    if connection is None:
        connection = XeroConnection(tenant_id=tenant.tenant_id, entity_id=entity_id, refresh_version=0)
        db.session.add(connection)
    connection.tenant_name = tenant.tenant_name
    connection.connection_id = tenant.connection_id
    connection.auth_event_id = tenant.auth_event_id or tokens.auth_event_id
    connection.xero_user_id = tokens.xero_user_id
    connection.connected_by_id = connected_by_id
    connection.connected_at = utcnow()
    connection.status = ACTIVE
    connection.last_error = None
    # A new version tells clients holding the old tokens that they were replaced.
    connection.refresh_version = (connection.refresh_version or 0) + 1
    store_tokens(connection, tokens, cipher)
    db.session.flush()
    return connection


@dataclass(frozen=True)
class _AccessToken:
    """An access token in memory, with the row version it was read at."""

    value: str = field(repr=False)
    expires_at: datetime
    version: int

    def expiring(self) -> bool:
        return _expiring(self.expires_at)


def _expiring(expires_at: datetime) -> bool:
    """Whether a token expiring then is due for a refresh now."""
    return expires_at - REFRESH_MARGIN <= utcnow()


class StoredConnection:
    """The tokens and status of one tenant's XeroConnection row (transport.Credentials)."""

    def __init__(self, tenant_id: str | None, *, engine: Engine, cipher: TokenCipher,
                 timeout: float, refresh_grant: Callable[[str], TokenSet]):
        self.tenant_id = tenant_id
        self._engine = engine
        self._cipher = cipher
        self._timeout = timeout
        self._refresh_grant = refresh_grant
        self._key = (engine.url.render_as_string(hide_password=True), tenant_id or "")
        self._token: _AccessToken | None = None

    # --- the tokens -------------------------------------------------------------------

    def access_token(self) -> str:
        """A usable access token, refreshed first when it is about to expire."""
        token = self._token
        if token is None or token.expiring():
            token = self._load_token()
        return token.value

    def renew_after_rejection(self, *, token_expired: bool) -> str | None:
        """After a 401/403: newer tokens (someone refreshed, or we did), or None."""
        seen = self._token.version if self._token else None
        token = self._refresh(seen_version=seen, force=token_expired, rejected=True)
        if token is None:
            return None
        self._token = token
        return token.value

    def refresh_token(self) -> str:
        """The stored refresh token, decrypted (to revoke it)."""
        return self._decrypt(self._row_value("refresh_token_encrypted"))

    def connection_id(self) -> str:
        """Xero's id of this app-to-organisation connection."""
        return self._row_value("connection_id")

    def _load_token(self) -> _AccessToken:
        """The stored access token, refreshed first when it is about to expire."""
        with Session(self._engine) as session:
            row = self._read_row(session)
            version, expires_at = row.refresh_version, row.access_token_expires_at
            encrypted = row.access_token_encrypted
        if _expiring(expires_at):
            token = self._refresh(seen_version=version, force=False, rejected=False)
        else:
            token = _AccessToken(self._decrypt(encrypted), expires_at, version)
        self._token = token
        return token

    def _refresh(self, *, seen_version, force, rejected) -> _AccessToken | None:
        """Single-flight refresh: a lock in this process, a row lock across processes."""
        with _refresh_lock(self._key):
            deadline = time.monotonic() + self._timeout + 30
            while True:
                progress = {"called_xero": False}
                try:
                    return self._refresh_locked(seen_version, force, rejected, progress)
                except OperationalError as error:
                    if progress["called_xero"]:
                        logger.error("xero tenant=%s: new tokens received but not saved; the "
                                     "old refresh token stays usable for 30 minutes",
                                     self.tenant_id)
                        raise
                    # SQLite: another process holds the write lock; wait for it.
                    if not _sqlite_busy(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

    def _refresh_locked(self, seen_version, force, rejected, progress) -> _AccessToken | None:
        """Under the row lock: newer stored tokens, else a refresh grant, saved before use."""
        lost = None
        token = None
        with Session(self._engine, expire_on_commit=False) as session:
            with session.begin():
                row = self._lock_row(session)
                if row.status != ACTIVE:
                    raise XeroAuthorisationLost(row.last_error or RECONNECT)
                fresh = not _expiring(row.access_token_expires_at)
                newer = row.refresh_version != seen_version
                try:
                    if fresh and (newer or not force):
                        # Someone else refreshed (or reconnected) meanwhile, or nothing is due.
                        if rejected and not newer:
                            return None
                        return _AccessToken(self._cipher.decrypt(row.access_token_encrypted),
                                            row.access_token_expires_at, row.refresh_version)
                    refresh_token = self._cipher.decrypt(row.refresh_token_encrypted)
                except TokenDecryptError as error:
                    row.status, row.last_error = NEEDS_RECONNECT, str(error)
                    lost = XeroAuthorisationLost(f"{error} {RECONNECT}")
                else:
                    progress["called_xero"] = True
                    try:
                        tokens = self._refresh_grant(refresh_token)
                    except InvalidGrant:
                        message = RECONNECT + " (Xero no longer accepts Bridge's sign-in.)"
                        for member in self._token_set(session, row):
                            member.status, member.last_error = NEEDS_RECONNECT, message
                        lost = XeroAuthorisationLost(message, status=400, operation=TOKEN_OP)
                    else:
                        for member in self._token_set(session, row):
                            store_tokens(member, tokens, self._cipher)
                            member.refresh_version += 1
                            member.last_error = None
                        token = _AccessToken(tokens.access_token, tokens.expires_at,
                                             row.refresh_version)
        if lost is not None:
            self._token = None
            raise lost
        logger.info("xero tenant=%s: tokens refreshed (version %s)", self.tenant_id,
                    token.version)
        return token

    def _lock_row(self, session: Session) -> XeroConnection:
        """This tenant's row, locked until the transaction ends."""
        where = XeroConnection.tenant_id == self.tenant_id
        if session.get_bind().dialect.name == "sqlite":
            # SQLite ignores FOR UPDATE: take the database's write lock first, with a no-op
            # write, so a second refresher waits here instead of reading stale tokens.
            session.execute(update(XeroConnection).where(where)
                            .values(refresh_version=XeroConnection.refresh_version))
        row = session.scalars(select(XeroConnection).where(where).with_for_update()).one_or_none()
        if row is None:
            raise XeroAuthorisationLost(NOT_CONNECTED)
        if row.auth_event_id:
            # The rest of its token set too, in id order (two refreshers of one set wait in line).
            session.scalars(select(XeroConnection).where(XeroConnection.auth_event_id == row.auth_event_id)
                            .order_by(XeroConnection.id).with_for_update()).all()
        return row

    @staticmethod
    def _token_set(session: Session, row: XeroConnection) -> list[XeroConnection]:
        """The rows holding the same token set as `row` (row first); locked by _lock_row."""
        if not row.auth_event_id:
            return [row]
        others = session.scalars(select(XeroConnection).where(
            XeroConnection.auth_event_id == row.auth_event_id, XeroConnection.id != row.id)).all()
        return [row, *others]

    def _read_row(self, session: Session) -> XeroConnection:
        """This tenant's row, if it is connected and active."""
        if not self.tenant_id:
            raise RuntimeError("this XeroClient has no tenant_id")
        row = session.scalar(
            select(XeroConnection).where(XeroConnection.tenant_id == self.tenant_id)
        )
        if row is None:
            raise XeroAuthorisationLost(NOT_CONNECTED)
        if row.status != ACTIVE:
            raise XeroAuthorisationLost(row.last_error or RECONNECT)
        return row

    def _row_value(self, attribute: str):
        """One column of this tenant's active row."""
        with Session(self._engine) as session:
            return getattr(self._read_row(session), attribute)

    def _decrypt(self, ciphertext: str) -> str:
        """A stored token in clear; an undecryptable one means reconnecting."""
        try:
            return self._cipher.decrypt(ciphertext)
        except TokenDecryptError as error:
            self.mark_needs_reconnect(str(error))
            raise XeroAuthorisationLost(f"{error} {RECONNECT}") from error

    # --- bookkeeping on the row (best effort) -----------------------------------------

    def note_success(self) -> None:
        """Record that a call succeeded (at most every SUCCESS_WRITE_INTERVAL seconds; a write
        that could not be made is tried again at the next success)."""
        now = time.monotonic()
        last = _LAST_SUCCESS_WRITE.get(self._key)
        if last is not None and now - last < SUCCESS_WRITE_INTERVAL:
            return
        if self._write(update(XeroConnection)
                       .where(XeroConnection.tenant_id == self.tenant_id)
                       .values(last_success_at=utcnow(), last_error=None)):
            _LAST_SUCCESS_WRITE[self._key] = now

    def record_error(self, message: str) -> None:
        """Keep what went wrong, for people to see (the next success clears it at once)."""
        _LAST_SUCCESS_WRITE.pop(self._key, None)
        if self.tenant_id:
            self._write(update(XeroConnection)
                        .where(XeroConnection.tenant_id == self.tenant_id)
                        .values(last_error=message))

    def mark_needs_reconnect(self, message: str) -> None:
        """Xero stopped accepting these tokens: an admin must reconnect."""
        _LAST_SUCCESS_WRITE.pop(self._key, None)
        statement = (update(XeroConnection)
                     .where(XeroConnection.tenant_id == self.tenant_id,
                            XeroConnection.status == ACTIVE)
                     .values(status=NEEDS_RECONNECT, last_error=message))
        if self._token is not None:
            # Not if the organisation was reconnected (new tokens) in the meantime.
            statement = statement.where(XeroConnection.refresh_version == self._token.version)
        self._write(statement)
        self._token = None

    def _write(self, statement) -> bool:
        """Run one UPDATE in its own short transaction; never fail the Xero call over it.

        A Xero call that succeeded must not look failed because a status column could not
        be written (the caller might repeat it), so errors here are logged only. The write
        waits at most BOOKKEEPING_BUSY_MS for a lock someone else holds (SQLite's write
        lock; on PostgreSQL the row). Returns whether the row was written.
        """
        try:
            with self._engine.connect() as connection:
                dialect = connection.dialect.name
                if dialect == "sqlite":
                    previous = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {BOOKKEEPING_BUSY_MS}")
                elif dialect == "postgresql":
                    # LOCAL: only for this transaction.
                    connection.exec_driver_sql(
                        f"SET LOCAL lock_timeout = '{BOOKKEEPING_BUSY_MS}ms'")
                try:
                    connection.execute(statement)
                    connection.commit()
                finally:
                    if dialect == "sqlite":
                        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous)}")
        except SQLAlchemyError:
            logger.warning("xero tenant=%s: could not update the connection's status",
                           self.tenant_id, exc_info=True)
            return False
        return True


def _sqlite_busy(error: OperationalError) -> bool:
    """Whether SQLite refused because another connection holds its write lock."""
    return "database is locked" in str(error) or "database is busy" in str(error)
