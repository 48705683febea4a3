"""Login throttling (issue 18): per account and per client address, with Flask-Limiter, on
the memory store by default and on Redis when several machines serve; an unknown email costs
the same password check as a wrong password."""
import os
import socket
import statistics
import time
import uuid

import pytest
from werkzeug.security import generate_password_hash

from bridge.extensions import db

from tests.conftest import ADMIN, make_app
from tests.workspace.conftest import field_errors

WAIT = "Too many login attempts. Wait a few minutes, then try again."


@pytest.fixture(autouse=True)
def production_limits(app):
    """The documented defaults (the test config raises them for every other test)."""
    from bridge.config import from_environment

    defaults = from_environment()
    app.config.update({name: defaults[name] for name in ("LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS")})


def attempt(client, email, password="wrong-password", address="198.51.100.7"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_an_account_is_throttled_whatever_the_address(client, users):
    limit = int(client.application.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for n in range(limit):
        assert attempt(client, ADMIN["email"], address=f"198.51.100.{n}").status_code == 401
    refused = attempt(client, ADMIN["email"].upper(), ADMIN["password"], address="203.0.113.9")
    assert refused.status_code == 429
    assert field_errors(refused) == [WAIT]
    assert f'value="{ADMIN["email"].upper()}"' in refused.get_data(as_text=True), "what was typed stays"
    assert attempt(client, "member@example.com", "member-password-1").status_code == 302


def test_an_address_is_throttled_whatever_the_account(client, users):
    limit = int(client.application.config["LOGIN_LIMIT_PER_ADDRESS"].split()[0])
    for n in range(limit):
        assert attempt(client, f"guess{n}@example.com").status_code == 401
    assert attempt(client, ADMIN["email"], ADMIN["password"]).status_code == 429
    assert attempt(client, ADMIN["email"], ADMIN["password"], address="203.0.113.1").status_code == 302


def test_pages_other_than_the_login_post_are_not_counted(client, users):
    for _ in range(40):
        assert client.get("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
    assert attempt(client, ADMIN["email"], ADMIN["password"]).status_code == 302


def test_an_unknown_email_costs_what_a_wrong_password_costs(database_url, users):
    """With the production hash (scrypt) the two answers take the same time: both check a hash."""
    client = make_app(database_url, PASSWORD_HASH_METHOD="scrypt").test_client()
    users["admin"].password_hash = generate_password_hash(ADMIN["password"], method="scrypt")
    db.session.commit()

    def timed(email):
        started = time.perf_counter()
        assert attempt(client, email).status_code == 401
        return time.perf_counter() - started

    timed("warm-up@example.com")
    # Interleaved, so both see the same load on a busy machine; before the fix the unknown
    # email answered 25 times faster (4 ms against 109 ms).
    pairs = [(timed(ADMIN["email"]), timed(f"nobody{n}@example.com")) for n in range(7)]
    known, unknown = (statistics.median(side) for side in zip(*pairs))
    assert known > 0.02, "scrypt is being checked"
    assert 0.5 < unknown / known < 2, (known, unknown)


def redis_url() -> str | None:
    """The Redis on this machine's loopback, if one answers."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return None
    return "redis://127.0.0.1:6379/15"


def test_with_redis_two_machines_share_the_count(database_url, users):
    url = redis_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run Redis on 127.0.0.1:6379 for this test")
        pytest.skip("no Redis on 127.0.0.1:6379")
    email = f"{uuid.uuid4().hex}@example.com"  # a key no earlier run has counted
    machines = [make_app(database_url, RATELIMIT_STORAGE_URI=url, LOGIN_LIMIT_PER_ACCOUNT="4 per minute")
                for _ in range(2)]
    clients = [m.test_client() for m in machines]
    answers = [attempt(clients[n % 2], email).status_code for n in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]
