"""A PostgreSQL schema of its own for a test, created and dropped around it.

Only these tests use PostgreSQL here: the suite itself runs on SQLite unless
TEST_DATABASE_URL says otherwise. POSTGRES_URL points at the server (trust auth).
"""
import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES_URL = os.environ.get("PAYMENTS_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@contextmanager
def pg_schema(prefix: str):
    """A fresh schema; yields a URL whose connections use it (search_path), then drops it."""
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error.orig}")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
