"""Backups of the SQLite database, taken while the app runs, and their restore.

SQLite's online backup API copies the database page by page under its own locks, so the
copy is a consistent snapshot even while requests keep writing (a write during the copy
makes SQLite start the copy over). PostgreSQL has its own tools: see the README.
"""
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bridge import sqlite_files

PAGES_PER_STEP = 256  # writers wait at most one step's copy, never the whole database


class BackupError(Exception):
    """Why a backup or a restore was not done, in words for the person running it."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    tables: int


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; other databases are refused with what to use instead."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"{url.get_backend_name()} is backed up with its own tools "
                          "(PostgreSQL: pg_dump and pg_restore, see the README).")
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    return Path(url.database)


def integrity_problems(path: Path) -> list[str]:
    """PRAGMA integrity_check's complaints about the file (none when it is sound)."""
    try:
        with closing(_open(path, mode="ro")) as connection:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:  # too damaged to be checked at all
        return [str(error)]
    return [] if rows == ["ok"] else rows


def create(database_url: str, destination: Path) -> Copied:
    """Copy the live database to `destination` (a new file) and check the copy."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    destination = Path(destination)
    if destination.exists():
        raise BackupError(f"{destination} already exists; choose a new file name.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        _copy(source, destination, source_mode="ro")
    except sqlite3.Error as error:
        destination.unlink(missing_ok=True)  # no half-written backup left to be trusted later
        raise BackupError(f"The backup failed ({error}); nothing was written.") from error
    return _checked(destination)


def restore(backup: Path, database_url: str, replace: bool = False) -> Copied:
    """Copy a backup into the configured database (a new file, or with `replace`, an
    existing one). Stop the app first: running processes would otherwise go on from the
    restored data in the middle of what they were doing."""
    backup, target = Path(backup), sqlite_path(database_url)
    if not backup.exists():
        raise BackupError(f"There is no backup at {backup}.")
    problems = integrity_problems(backup)
    if problems:
        raise BackupError(f"{backup} is damaged ({problems[0]}); nothing was restored.")
    if target.exists() and target.stat().st_size and not replace:
        raise BackupError(f"{target} already holds a database. Stop the app, then run the "
                          "restore again with --replace to overwrite it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API, not a file copy: a leftover -wal file beside the target
    # would otherwise be replayed onto the restored pages.
    _copy(backup, target, source_mode="ro")
    return _checked(target)


def _open(path: Path, mode: str = "rwc") -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=30)


def _copy(source: Path, destination: Path, source_mode: str) -> None:
    sqlite_files.create_private(destination)  # a backup holds everything the database does
    with closing(_open(source, mode=source_mode)) as src, closing(_open(destination)) as dst:
        src.backup(dst, pages=PAGES_PER_STEP)


def _checked(path: Path) -> Copied:
    problems = integrity_problems(path)
    if problems:
        raise BackupError(f"The copy at {path} failed its integrity check: {problems[0]}")
    with closing(_open(path, mode="ro")) as connection:
        (tables,) = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return Copied(path=path, size=path.stat().st_size, tables=tables)
