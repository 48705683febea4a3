"""Getting started against the Xero sandbox over real HTTP: the steps tick as the real services
leave the database (consent, the wizard's settings, a copy, a payment recorded in Xero and
brought back by Sync now from the home page)."""
import re
from uuid import uuid4

from bridge.extensions import db
from bridge.models import Invoice
from bridge.xero.settings import reference
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.conftest import GST, configure, invoice, no_waiting, workspace  # noqa: F401  (fixtures)
from tests.copy.conftest import northwind, post_copy
from tests.invoicing.test_home import text
from tests.marketplace.conftest import NZ, fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin, member  # noqa: F401  (fixtures)


def states(page: str) -> dict[str, str]:
    return dict((key, state) for state, key in re.findall(r'<li class="step step-(\w+)" data-step="(\w+)"', page))


def test_the_steps_tick_through_to_a_payment_back_from_xero(xero, workspace, invoice, admin):
    assert states(text(admin.get("/")))["connect"] == "current"
    xero.connect(tick=[NZ])
    assert states(text(admin.get("/")))["settings"] == "current"

    reference.refresh(NZ_TENANT)  # what opening the wizard does
    configure(sync_payments=True, initial_status="AUTHORISED")
    page = text(admin.get("/"))
    assert states(page)["copy"] == "current" and f"/invoices/{invoice.id}?xero=copy" in page

    answer = post_copy(admin, invoice, contact=northwind(), tax_type=GST)
    assert answer.status_code == 200, text(answer)
    db.session.expire_all()
    copied = db.session.get(Invoice, invoice.id)
    page = text(admin.get("/"))
    assert states(page) == {"connect": "done", "settings": "done", "copy": "done", "pay": "current", "back": "later"}
    in_xero = re.search(r'<a class="button primary" href="([^"]+)" target="_blank"', page).group(1)
    assert in_xero.startswith(xero.sandbox.url + f"/_ui/{NZ_TENANT}/invoices/")

    # A payment recorded in Xero, then Sync now from the home page brings it back and comes home.
    xero_id = in_xero.rsplit("/", 1)[1]
    xero.control(f"organisations/{NZ_TENANT}/payments", invoice=xero_id, amount="25.00", reference=str(uuid4()))
    response = admin.post("/marketplace/xero/sync", data={"back": "home"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = text(admin.get("/"))
    assert "1 payment added" in page
    assert "Get started with Xero" not in page and "Nothing needs your attention." in page
    assert copied.number in text(admin.get("/?xero=copied"))
