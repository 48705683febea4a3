"""The schema exists only through migrations: `flask db upgrade` on an empty database
gives exactly the models' schema (no drift), on SQLite and on PostgreSQL."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from bridge.extensions import db
from tests.conftest import make_app

SCHEMA = "migration_check"


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database: a new SQLite file, or a fresh schema in the PostgreSQL test database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def test_upgrade_on_empty_database_matches_models(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_downgrade_to_base_removes_every_table(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            leftover = set(inspect(conn).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert leftover == set()
