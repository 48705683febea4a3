"""Shared fixtures: an app on a real database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL says so), a client, a CLI runner and an `auth` helper.

The schema is created once per run; each test starts from empty tables.
"""
import atexit
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import event, text

from bridge import create_app
from bridge.extensions import db
from bridge.models import User
from tests.live import sandbox_seed, xero_sandbox  # noqa: F401  (fixtures)

# Property tests (hypothesis): bounded, no per-example deadline (a request may wait on the
# database), fixtures reused across examples on purpose (each test resets what it touches).
# In CI the examples are derandomized, so a run is repeatable; locally they vary.
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile("ci", settings.get_profile("dev"), derandomize=True, database=None)
# A longer hunt, by hand: pytest --hypothesis-profile=deep tests/security
settings.register_profile("deep", settings.get_profile("dev"), max_examples=400)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "postgres_only: runs on a PostgreSQL schema of its own whatever TEST_DATABASE_URL says "
        "(several processes share it); `scripts/dev.py test` runs it in the PostgreSQL pass only",
    )


# Where the apps of this run keep uploaded files (bridge.billing.files): never instance/.
ATTACHMENTS_FOLDER = tempfile.mkdtemp(prefix="bridge-test-attachments-")
atexit.register(shutil.rmtree, ATTACHMENTS_FOLDER, ignore_errors=True)

ADMIN = {"email": "admin@example.com", "password": "admin-password-1", "name": "Ada Admin"}
MEMBER = {"email": "member@example.com", "password": "member-password-1", "name": "Max Member"}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database the suite runs on; the schema is (re)built here once."""
    url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'bridge-test.sqlite'}"
    )
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return url


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        # Cheap hashing keeps the suite fast; production uses scrypt (test_auth checks it).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Tests log in far more often than people; tests/security/test_login_throttle.py
        # puts the production limits back.
        "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
        "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        # Uploaded files go to a folder of this run, never instance/.
        "ATTACHMENTS_FOLDER": ATTACHMENTS_FOLDER,
    }
    config.update(overrides)
    return create_app(config)


def empty_all_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        # Ids start at 1 again, as SQLite's do once a table is empty: the first billing entity is 1.
        db.session.execute(text(
            "SELECT setval(sequence, 1, false) FROM (SELECT pg_get_serial_sequence(name, 'id') AS sequence "
            "FROM unnest(CAST(:names AS text[])) AS name) AS serial WHERE sequence IS NOT NULL"),
            {"names": [table.name for table in db.metadata.sorted_tables if "id" in table.c]})
    db.session.commit()


@pytest.fixture
def app(database_url):
    """A fresh app whose tables are empty; CSRF is off here (see test_csrf.py for it on)."""
    app = make_app(database_url)
    with app.app_context():
        yield app
        db.session.rollback()
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def add_user(email: str, password: str, name: str, role: str) -> User:
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def users(app):
    """An admin and a member."""
    return {
        "admin": add_user(ADMIN["email"], ADMIN["password"], ADMIN["name"], "admin"),
        "member": add_user(MEMBER["email"], MEMBER["password"], MEMBER["name"], "member"),
    }


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, who: str = "admin"):
        person = ADMIN if who == "admin" else MEMBER
        return self._client.post(
            "/login", data={"email": person["email"], "password": person["password"]}
        )

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client, users):
    """Log in as the admin (default) or the member: auth.login('member')."""
    return AuthActions(client)


@contextmanager
def counting_queries():
    """Count the SQL statements sent while the block runs (for N+1 checks)."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def header_token(client, path: str = "/") -> str:
    """The CSRF token a page hands to HTMX in <body hx-headers>."""
    return re.search(r'"X-CSRFToken": "([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def csrf_admin(database_url, users):
    """A client of an app with CSRF on, logged in as the admin through the real form."""
    client = make_app(database_url, WTF_CSRF_ENABLED=True).test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"], "csrf_token": token})
    return client


@pytest.fixture
def hx():
    """Headers of an HTMX request."""
    return {"HX-Request": "true"}


PROJECT_ROOT = Path(__file__).resolve().parent.parent
