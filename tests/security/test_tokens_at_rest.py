"""Xero tokens are encrypted at rest: after a real connection through the sandbox (consent
to two organisations, the choice, a refresh), every column of every table in Bridge's
database, read with plain SQL, holds none of the access, refresh or id tokens Xero issued."""
from datetime import timedelta

from sqlalchemy import inspect, text

from bridge.extensions import db
from bridge.models import XeroConnection, utcnow
from tests.marketplace.conftest import AU, NZ, fresh_budget, issued, sandbox, stored_tokens, xero  # noqa: F401


def raw_database_text() -> str:
    """Every value of every table the database has (not only the models'), as text."""
    db.session.commit()
    values = []
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        value = bytes(value).decode("latin-1")
                    values.append(f"{table}: {value}")
    return "\n".join(values)


def test_no_token_is_stored_in_clear(xero, admin, app, issued, hx):
    waiting = xero.connect(tick=[NZ, AU])  # the token set waits, encrypted, for the choice
    admin.get(waiting.headers["Location"])
    snapshots = [raw_database_text()]
    xero.choose(NZ)
    snapshots.append(raw_database_text())

    connection = db.session.scalar(db.select(XeroConnection))
    connection.access_token_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    admin.post("/marketplace/xero/setup/refresh", headers=hx)  # refreshes: tokens rotate
    snapshots.append(raw_database_text())

    held = set(stored_tokens(app).values())
    assert held <= issued and len(issued - held) >= 2, "the refresh rotated the tokens"
    assert any(t.count(".") == 2 for t in issued), "an access token or id_token (JWT) was issued"
    assert len(issued) >= 5  # 2 access + 2 refresh + id_token at least
    for token in issued:
        for snapshot in snapshots:
            assert token not in snapshot
            # A JWT's signature alone would also be a leak.
            assert token.rsplit(".", 1)[-1] not in snapshot
    assert "gAAAAA" in snapshots[-1], "the tokens are there, as Fernet ciphertext"
