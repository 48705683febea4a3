"""Payment sync with two billing entities, each with its own organisation (NZ and AU, granted by
one consent), against the sandbox over real HTTP: the scheduler's tick syncs both, each under its
own lease; one organisation's 429 (its minute limit at Xero) does not hold the other back; a
disconnected entity's organisation is no longer synced while the other's is; /healthz counts
organisations, not settings rows."""
import threading
import time

import pytest
import requests
from sqlalchemy import select, text

from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.models import BillingEntity, Company, Invoice, XeroSyncState
from bridge.xero.api.client import XeroClient
from bridge.xero.scheduling import scheduler
from bridge.xero.settings import connect as connection
from bridge.xero.settings import setup
from bridge.xero.settings.setup import Setup
from bridge.xero.sync import lease
from bridge.xero.sync.payments import sync_all
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT
from tests.invoicing import factories
from tests.payments.conftest import done_copy, sale
from tests.xero.conftest import connect, sandbox_requests


class Books:
    """One organisation as the tests use it: a Bridge invoice copied there, paid in Xero."""

    def __init__(self, tenant_id: str, contact: str, sandbox):
        self.tenant_id, self.contact, self.sandbox = tenant_id, contact, sandbox

    def paid_invoice(self, amount: str) -> int:
        """A copied invoice of `amount`, paid in full in Xero; its id."""
        with XeroClient(self.tenant_id, sleep=lambda s: None) as client:
            contact_id = client.find_contact_by_name(self.contact)["ContactID"]
            xero_doc = client.create_invoices([sale(contact_id, amount)])[0]
        company = db.session.scalar(select(Company).where(Company.name == self.contact)) \
            or factories.company(self.contact, currency="NZD")
        invoice = factories.invoice(company, lines=[("1", amount)])
        done_copy(xero_doc, self.tenant_id, invoice_id=invoice.id)
        self.sandbox.control(f"organisations/{self.tenant_id}/payments",
                             invoice=xero_doc["InvoiceID"], amount=amount)
        return invoice.id

    def state(self) -> XeroSyncState | None:
        db.session.expire_all()
        return db.session.scalar(select(XeroSyncState).where(XeroSyncState.tenant_id == self.tenant_id))


@pytest.fixture
def two(sandbox_app, xero_sandbox):
    """My agency on NZ and a studio on AU, connected by one consent, payment sync on for both."""
    first_entity()
    studio = BillingEntity(name="Studio AU", base_currency="AUD")
    db.session.add(studio)
    db.session.commit()
    tokens, tenants = connect(tick=("Demo Company (NZ)", "Demo Company (AU)"))
    by_id = {t.tenant_id: t for t in tenants}
    # AU is stored first, so it comes first in a tick: run one after the other, its 429 would
    # hold NZ back.
    for tenant_id, entity_id in ((AU_TENANT, studio.id), (NZ_TENANT, 1)):
        connection.connect(tokens, by_id[tenant_id], None, entity_id)
        setup.save(Setup(sync_payments=True, default_revenue_account_code="200"), None, entity_id)
    return {"nz": Books(NZ_TENANT, "Northwind Studio", xero_sandbox),
            "au": Books(AU_TENANT, "Koala Creative", xero_sandbox), "studio": studio}


def paid(invoice_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id).payment_status


def test_a_tick_syncs_every_connected_organisation_each_under_its_own_lease(two, app):
    nz_invoice, au_invoice = two["nz"].paid_invoice("100.00"), two["au"].paid_invoice("40.00")
    poller = scheduler.Poller(app)
    assert poller.take_lease()
    poller.run_due()
    assert (paid(nz_invoice), paid(au_invoice)) == ("paid", "paid")
    for books in (two["nz"], two["au"]):
        state = books.state()
        assert state.runs == 1 and state.last_error is None
        assert state.last_run_by == f"scheduler {poller.holder}"
        # Each organisation ran under its own lease, handed back at the end.
        held = lease.current(db.engine, lease.org_lease(books.tenant_id))
        assert held.holder == poller.holder and held.expires_at < held.renewed_at


def test_an_organisation_whose_lease_is_held_elsewhere_does_not_stop_the_other(two, app):
    nz_invoice, au_invoice = two["nz"].paid_invoice("100.00"), two["au"].paid_invoice("40.00")
    assert lease.acquire(db.engine, lease.org_lease(AU_TENANT), "another-host:1:abc", lease.timedelta(minutes=5))
    results = {r.tenant_id: r for r in sync_all("test", workers=4)}
    assert results[AU_TENANT].skipped == "A sync of this organisation is already running."
    assert results[NZ_TENANT].error is None and results[NZ_TENANT].skipped is None
    assert (paid(nz_invoice), paid(au_invoice)) == ("paid", "unpaid")


def test_one_organisations_429_does_not_hold_back_the_other(two, app, xero_sandbox):
    nz_invoice, au_invoice = two["nz"].paid_invoice("100.00"), two["au"].paid_invoice("40.00")
    # Spend AU's minute at Xero (60 calls per organisation): AU's next call gets a 429 with
    # Retry-After; NZ's minute is untouched.
    with XeroClient(AU_TENANT, sleep=lambda s: None) as client:
        access = client._connection.access_token()
    for _ in range(80):
        answer = requests.get(f"{xero_sandbox.url}/api.xro/2.0/Organisation", timeout=10, headers={
            "Authorization": f"Bearer {access}", "xero-tenant-id": AU_TENANT, "Accept": "application/json"})
        if answer.status_code == 429:
            break
    assert answer.status_code == 429

    waits = []

    def nz_synced() -> bool:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT last_success_at FROM xero_sync_states WHERE tenant_id = :t"),
                                {"t": NZ_TENANT}).scalar() is not None

    def sleep(seconds: float) -> None:
        """AU waits on Xero's Retry-After: meanwhile NZ must finish. Then Xero's minute passes."""
        deadline = time.monotonic() + 15
        while not nz_synced() and time.monotonic() < deadline:
            time.sleep(0.05)
        waits.append((threading.current_thread().name, seconds, nz_synced()))
        xero_sandbox.control("clock/advance", seconds=seconds)

    poller = scheduler.Poller(app)
    poller.sleep = sleep
    assert poller.take_lease()
    started = time.monotonic()
    poller.run_due()
    assert time.monotonic() - started < 15
    # AU waited once, on a minute-limit Retry-After, and NZ was synced by then.
    assert len(waits) == 1 and 1 <= waits[0][1] <= 60 and waits[0][2] is True
    assert (paid(nz_invoice), paid(au_invoice)) == ("paid", "paid")
    assert two["au"].state().last_error is None and two["nz"].state().last_error is None
    # Xero refused AU's sync once (the 429 it waited on) and never NZ's.
    syncs = sandbox_requests(xero_sandbox, path_prefix="/api.xro/2.0/Payments")
    assert [r["tenant_id"] for r in syncs if r["status"] == 429] == [AU_TENANT]
    assert {r["tenant_id"] for r in syncs if r["status"] == 200} == {NZ_TENANT, AU_TENANT}


def test_a_disconnected_entitys_organisation_is_no_longer_synced(two, app):
    nz_invoice, au_invoice = two["nz"].paid_invoice("100.00"), two["au"].paid_invoice("40.00")
    connection.disconnect(1)  # My agency's NZ; the studio's AU shares the token set
    results = sync_all("test", workers=4)
    assert [r.tenant_id for r in results] == [AU_TENANT] and results[0].error is None
    assert (paid(nz_invoice), paid(au_invoice)) == ("unpaid", "paid")


def test_healthz_counts_organisations(two, app, client):
    sync_all("test", workers=4)
    report = client.get("/healthz").get_json()["xero"]
    assert report["connected"] == 2
    assert report["payment_sync"]["organisations"] == 2 and report["payment_sync"]["with_error"] == 0
    # My agency's settings still name NZ (kept for a reconnect), but NZ is no longer connected:
    # one organisation is synced, and counted once.
    connection.disconnect(1)
    report = client.get("/healthz").get_json()["xero"]
    assert report["connected"] == 1 and report["payment_sync"]["organisations"] == 1


def test_sync_now_on_an_entitys_card_syncs_its_organisation_only(two, admin, hx):
    nz_invoice, au_invoice = two["nz"].paid_invoice("100.00"), two["au"].paid_invoice("40.00")
    studio = two["studio"].id
    fragment = admin.post(f"/marketplace/xero/{studio}/sync", headers=hx).get_data(as_text=True)
    assert fragment.startswith(f'<section id="xero-sync-{studio}"')
    assert f'hx-post="/marketplace/xero/{studio}/sync" hx-target="#xero-sync-{studio}"' in fragment
    assert "1 payment added, 1 invoice updated" in fragment
    assert (paid(nz_invoice), paid(au_invoice)) == ("unpaid", "paid")
    assert two["nz"].state() is None
    # The page shows both organisations' sync, each in its own section.
    page = admin.get("/settings/marketplace").get_data(as_text=True)
    assert '<section id="xero-sync"' in page and f'<section id="xero-sync-{studio}"' in page


def test_reconcile_command_covers_every_organisation(two, runner):
    two["nz"].paid_invoice("100.00")
    two["au"].paid_invoice("40.00")
    sync_all("test")
    result = runner.invoke(args=["xero", "reconcile"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Demo Company (NZ):", "Bridge and Xero agree on every copied document.",
        "Demo Company (AU):", "Bridge and Xero agree on every copied document."]  # in entity order
