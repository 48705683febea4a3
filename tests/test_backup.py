"""Backup and restore of the SQLite database (bridge/backup.py, `flask backup`): a copy taken
while a live server keeps saving invoices restores to a complete, consistent workspace that
a new app serves (logins work, every invoice adds up)."""
import datetime as dt
import sqlite3
import threading
from contextlib import closing
from decimal import Decimal

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bridge.demo import ADMIN_EMAIL, seed_demo
from bridge.extensions import db
from bridge.models import Company, Invoice
from tests.conftest import make_app


@pytest.fixture
def live(tmp_path):
    """Bridge on its own SQLite file, seeded with the demo, served on a free port."""
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    app = make_app(url)
    with app.app_context():
        db.create_all()
        password = seed_demo(dt.date(2026, 3, 1))
        client_id = db.session.scalar(select(Company.id).order_by(Company.id))
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", password, client_id
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def invoice_form(client_id: int, n: int) -> dict:
    return {"client_id": str(client_id), "subject": f"Written during the backup {n}", "currency": "EUR",
            "issue_date": "2026-03-02", "due_date": "2026-04-01", "lines-0-description": "Work",
            "lines-0-quantity": "3", "lines-0-unit_price": f"{100 + n}.25", "lines-0-discount_percent": "0"}


class Writer(threading.Thread):
    """Saves invoices through the live server, one after another, until stopped."""

    def __init__(self, base: str, password: str, client_id: int):
        super().__init__(daemon=True)
        self.base, self.password, self.client_id = base, password, client_id
        self.saved, self.stop, self.errors = 0, threading.Event(), []
        self.started_saving = threading.Event()

    def run(self):
        browser = requests.Session()
        browser.post(f"{self.base}/login", data={"email": ADMIN_EMAIL, "password": self.password}, timeout=10)
        while not self.stop.is_set() and self.saved < 400:
            answer = browser.post(f"{self.base}/invoices/new", data=invoice_form(self.client_id, self.saved),
                                  allow_redirects=False, timeout=30)
            if answer.status_code != 302:
                self.errors.append(answer.status_code)
                return
            self.saved += 1
            if self.saved >= 5:
                self.started_saving.set()


def count_invoices(path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT count(*) FROM invoices").fetchone()[0]


def test_a_backup_taken_while_the_app_writes_restores_to_a_working_workspace(live, tmp_path):
    app, base, password, client_id = live
    source = tmp_path / "live.sqlite"
    writer = Writer(base, password, client_id)
    writer.start()
    assert writer.started_saving.wait(30), writer.errors
    before = count_invoices(source)
    backup_file = tmp_path / "backups" / "bridge-backup.sqlite"
    backup_file.parent.mkdir()
    made = app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)])
    after = count_invoices(source)
    saved_at_backup = writer.saved
    writer.stop.set()
    writer.join(timeout=30)
    assert made.exit_code == 0, made.output
    assert "integrity check ok" in made.output
    assert not writer.errors and writer.saved > saved_at_backup, "the server kept saving meanwhile"

    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    restored = make_app(restored_url)
    answer = restored.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert answer.exit_code == 0, answer.output
    with closing(sqlite3.connect(tmp_path / "restored.sqlite")) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    with restored.app_context():
        invoices = db.session.scalars(select(Invoice)).all()
        # Everything saved before the copy began, nothing the copy could only half-see.
        assert before <= len(invoices) <= after + 1
        assert len({i.number for i in invoices}) == len(invoices)
        for invoice in invoices:
            assert invoice.lines, invoice.number
            assert invoice.subtotal == sum((line.net_amount for line in invoice.lines), Decimal("0"))
            assert invoice.total == invoice.subtotal + invoice.tax_total
        total = db.session.scalar(select(func.sum(Invoice.total)))
        db.session.remove()
    client = restored.test_client()
    logged_in = client.post("/login", data={"email": ADMIN_EMAIL, "password": password})
    assert logged_in.status_code == 302
    table = client.get("/").get_data(as_text=True)
    assert "Written during the backup 0" in table or len(invoices) > 25  # the table pages at 25
    assert client.get(f"/invoices/{invoices[-1].id}").status_code == 200
    assert total > 0
    with restored.app_context():
        db.engine.dispose()


def test_restore_refuses_to_overwrite_a_database_without_replace(tmp_path, live):
    app, *_ = live
    backup_file = tmp_path / "copy.sqlite"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)]).exit_code == 0
    again = app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)])
    assert again.exit_code != 0 and "already exists" in again.output

    refused = app.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert refused.exit_code != 0
    assert "Stop the app" in refused.output and "--replace" in refused.output
    replaced = app.test_cli_runner().invoke(args=["backup", "restore", "--replace", str(backup_file)])
    assert replaced.exit_code == 0, replaced.output


def test_a_damaged_backup_is_not_restored(tmp_path, live):
    app, *_ = live
    backup_file = tmp_path / "copy.sqlite"
    app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)])
    data = bytearray(backup_file.read_bytes())
    data[4096 * 3:4096 * 3 + 512] = b"\xff" * 512  # scribble over a page of rows
    backup_file.write_bytes(bytes(data))
    target = tmp_path / "target.sqlite"
    answer = make_app(f"sqlite:///{target}").test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert answer.exit_code != 0
    assert "nothing was restored" in answer.output or "not a database" in answer.output
    assert not target.exists() or target.stat().st_size == 0


def test_postgresql_is_pointed_to_its_own_tools(tmp_path):
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:5432/nowhere")
    answer = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "x.sqlite")])
    assert answer.exit_code != 0 and "pg_dump" in answer.output
