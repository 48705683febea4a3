"""SQLite database files readable by their owner only (0600).

SQLite creates a missing database file with the process's umask, usually 0644: anyone on the
machine could read the invoices, the users' password hashes and the encrypted Xero tokens.
Before SQLAlchemy opens a SQLite file that does not exist yet, it is created empty with mode
0600; SQLite then gives its journal and WAL files the database file's mode. Used by Bridge,
the Xero sandbox and the backups; a leaf module (it imports nothing of Bridge).
"""
import os

from sqlalchemy import event
from sqlalchemy.engine import Engine


def create_private(path) -> None:
    """Create `path` empty with mode 0600 unless it exists (an existing file is left as is)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except (FileExistsError, FileNotFoundError):
        pass  # it exists, or its folder does not (SQLite then says so when it opens it)


@event.listens_for(Engine, "do_connect")
def _private_sqlite_file(dialect, _record, cargs, cparams) -> None:
    """Before any SQLite connection: its file, when it is a plain path, is created private."""
    if dialect.name != "sqlite":
        return
    path = cargs[0] if cargs else cparams.get("database")
    if path and path != ":memory:" and not cparams.get("uri") and not str(path).startswith("file:"):
        create_private(path)
