"""The demo works on first use: connected to the organisation the consent screen suggests, every
demo invoice of the first billing entity (the one connected) opens its copy modal without a
difference and copies to Xero, in bulk, without a refusal. The demo's UK entity has no
organisation connected here."""
import pytest
from sqlalchemy import select

from bridge.billing.entities import first_entity
from bridge.demo import seed_demo
from bridge.extensions import db
from bridge.xero.settings import reference, setup
from bridge.models import Invoice, TaxRate, XeroConnection, XeroCopy
from bridge.xero.invoices.bulk.jobs import run_job
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.db import Organisation
from bridge.xero_sandbox.db import db as sandbox_db
from bridge.xero_sandbox.seed import NZ_TENANT, SUGGESTED_TENANT
from tests.copy.bulk import bulk_sleeps, queued_job  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("bulk_sleeps")


@pytest.fixture
def demo(xero, users):
    """The demo workspace, connected to the pre-ticked organisation, the wizard saved as it opens."""
    seed_demo()
    answer = xero.connect(tick=None)  # the consent screen's own suggestion
    assert answer.status_code == 302, answer.get_data(as_text=True)
    reference.refresh(SUGGESTED_TENANT)
    answers = setup.load()
    answers.default_revenue_account_code = "200"
    setup.save(answers, users["admin"].id)
    return xero


def test_the_suggested_organisation_enables_every_demo_currency_and_has_the_demo_rates(demo):
    assert [c.tenant_id for c in db.session.scalars(select(XeroConnection))] == [NZ_TENANT]
    with demo.sandbox.app.app_context():
        enabled = set(sandbox_db.session.get(Organisation, NZ_TENANT).currencies.split(","))
    with XeroClient(NZ_TENANT) as client:
        xero_rates = {r["TaxType"]: r for r in client.get_tax_rates()}
    assert set(db.session.scalars(select(Invoice.currency))) <= enabled
    mapped = setup.load().tax_types
    for rate in db.session.scalars(select(TaxRate)):
        xero_rate = xero_rates[mapped[rate.id]]
        assert xero_rate["Status"] == "ACTIVE" and xero_rate["CanApplyToRevenue"]
        assert float(xero_rate["EffectiveRate"]) == float(rate.percentage)


def test_every_demo_invoice_opens_its_copy_modal_without_a_difference(demo, hx):
    for invoice in db.session.scalars(select(Invoice).where(Invoice.entity_id == first_entity().id)):
        modal = demo.client.get(f"/invoices/{invoice.id}/xero/copy", headers=hx).get_data(as_text=True)
        assert "Matches Bridge's totals to the cent." in modal, (invoice.number, modal)
        assert "a difference of" not in modal


def test_every_demo_invoice_copies_in_bulk(demo, users):
    ids = list(db.session.scalars(select(Invoice.id).where(Invoice.entity_id == first_entity().id).order_by(Invoice.id)))
    assert len(ids) == 20
    progress = run_job(queued_job(ids, users["admin"].id))
    rows = list(db.session.scalars(select(XeroCopy)))
    assert [(row.invoice_id, row.messages) for row in rows if row.state != "done"] == []
    assert (progress.state, progress.total, progress.done, progress.failed) == ("done", 20, 20, 0)
