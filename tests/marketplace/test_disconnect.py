"""The bin: a confirmation, then Xero's connection deleted and the tokens revoked and erased;
the settings and the cached chart stay for a reconnect."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, Invoice, XeroAccount, XeroConnection, XeroSettings
from bridge.xero_sandbox.db import Connection as SandboxConnection
from bridge.xero_sandbox.db import db as sandbox_db
from tests.marketplace.conftest import NZ, NZ_TENANT, revoke_at_sandbox, sandbox_connections, stored_tokens
from tests.invoicing import factories
from tests.workspace.conftest import count


def active_at_sandbox(sandbox) -> list[str]:
    """The tenants Bridge's test app is connected to in the sandbox's own records."""
    with sandbox.app.app_context():
        rows = sandbox_db.session.scalars(select(SandboxConnection).filter_by(active=True)).all()
        return [row.tenant_id for row in rows]


def test_bin_asks_first_in_a_dialog_or_a_page(xero, admin, hx):
    xero.connect(tick=[NZ])
    card = admin.get("/settings/marketplace").get_data(as_text=True)
    assert 'hx-get="/marketplace/xero/1/disconnect" hx-target="#modal"' in card
    assert 'aria-label="Disconnect Xero from My agency"' in card
    dialog = admin.get("/marketplace/xero/disconnect", headers=hx).get_data(as_text=True)
    assert dialog.lstrip().startswith('<div class="confirm">') and "data-close-modal" in dialog
    assert "Disconnect Xero from My agency?" in dialog and "Demo Company (NZ)" in dialog
    page = admin.get("/marketplace/xero/disconnect").get_data(as_text=True)
    assert "<html" in page and 'class="button" href="/settings/marketplace">Cancel</a>' in page
    assert count(XeroConnection) == 1


def test_disconnect_revokes_at_xero_and_erases_the_tokens(xero, admin):
    xero.connect(tick=[NZ])
    admin.post("/marketplace/xero/setup", data={
        "invoice_numbers_by": "xero", "pdfs_by": "xero", "initial_status": "DRAFT",
        "reference_from": "subject", "default_revenue_account_code": "200"})
    tokens = stored_tokens(admin.application)
    assert active_at_sandbox(xero.sandbox) == [NZ_TENANT]
    # Invoice-side data (here a client already linked to its Xero contact) is never touched.
    client = factories.company("Northwind Studio", xero_contact_id="0f6c5a9e-3b0f-4f9e-9d0a-2c7d8e1f4b35")
    factories.invoice(client)

    response = admin.post("/marketplace/xero/disconnect")
    assert response.headers["Location"] == "/settings/marketplace"
    page = admin.get("/settings/marketplace").get_data(as_text=True)
    assert "Disconnected from Demo Company (NZ)." in page and "Not connected" in page
    assert "Connect App" in page
    # Xero: the connection is gone and the token set is revoked (GET /connections refuses it).
    assert active_at_sandbox(xero.sandbox) == []
    assert sandbox_connections(xero.sandbox, tokens["access"]).status_code == 401
    # Bridge: the tokens are erased; the settings and the cache stay for a reconnect.
    assert db.session.execute(db.text("SELECT count(*) FROM xero_connections")).scalar() == 0
    assert db.session.get(XeroSettings, 1).default_revenue_account_code == "200"
    assert count(XeroAccount) > 0
    db.session.expire_all()
    assert count(Invoice) == 1
    assert db.session.scalar(select(Company.xero_contact_id)) == "0f6c5a9e-3b0f-4f9e-9d0a-2c7d8e1f4b35"


def test_disconnect_when_xero_already_ended_the_access(xero, admin):
    xero.connect(tick=[NZ])
    revoke_at_sandbox(xero.sandbox, stored_tokens(admin.application)["refresh"])
    response = admin.post("/marketplace/xero/disconnect")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Disconnected from Demo Company (NZ)." in page
    assert "Xero had already ended Bridge&#39;s access to Demo Company (NZ)." in page
    assert count(XeroConnection) == 0


def test_disconnect_of_a_connection_needing_reconnect(xero, admin):
    xero.connect(tick=[NZ])
    row = db.session.scalar(select(XeroConnection))
    row.status = "needs_reconnect"
    db.session.commit()
    admin.post("/marketplace/xero/disconnect")
    assert count(XeroConnection) == 0


def test_xero_unreachable_on_disconnect_changes_nothing(xero, admin):
    xero.connect(tick=[NZ])
    xero.control("faults", kind="429", count=1, method="DELETE", path_prefix="/connections",
                 problem="day", retry_after=3600)
    response = admin.post("/marketplace/xero/disconnect")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was changed; please try again." in page
    assert count(XeroConnection) == 1 and active_at_sandbox(xero.sandbox) == [NZ_TENANT]
    # The second try goes through.
    admin.post("/marketplace/xero/disconnect")
    assert count(XeroConnection) == 0 and active_at_sandbox(xero.sandbox) == []


def test_disconnect_without_a_connection(admin, sandbox):
    response = admin.post("/marketplace/xero/disconnect")
    assert "Xero is not connected." in admin.get(response.headers["Location"]).get_data(as_text=True)
