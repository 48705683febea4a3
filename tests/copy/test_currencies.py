"""A currency the Xero organisation has not enabled is refused before Xero is called: in the
copy modal (a warning as it opens), on sending the copy, and in the bulk copy plan. Against
the sandbox over real HTTP (Demo Company (NZ) enables NZD, USD, AUD, EUR and GBP; not JPY).

"No Xero call" is Bridge's own count of the calls its client made (ratelimit.call_counts),
reset once the fixtures have connected and read the reference data."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroCopyJob, XeroCurrency
from bridge.xero.api.ratelimit import call_counts, reset_call_counts
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.bulk import many_invoices
from tests.copy.conftest import copies, forget_currencies, make_invoice, northwind, post_copy, recorded, text

NOT_ENABLED = "The Xero organisation has not enabled JPY"
HOW = "Enable it in Xero (Settings > Currencies), then use Refresh from Xero in Settings > App Marketplace > Xero."


def test_refresh_caches_the_organisations_currencies(connected, sandbox):
    cached = dict(db.session.execute(select(XeroCurrency.code, XeroCurrency.description)
                                     .where(XeroCurrency.tenant_id == NZ_TENANT)).all())
    assert cached == {"AUD": "Australian Dollar", "EUR": "Euro", "GBP": "British Pound",
                      "NZD": "New Zealand Dollar", "USD": "United States Dollar"}
    assert len(recorded(sandbox, "GET", "/Currencies")) == 1


def test_the_modal_warns_as_it_opens_without_calling_xero(connected, admin, workspace, hx):
    yen = make_invoice(workspace, currency="JPY")
    reset_call_counts()
    modal = admin.get(f"/invoices/{yen.id}/xero/copy", headers=hx)
    assert modal.status_code == 200
    assert NOT_ENABLED in text(modal) and HOW in text(modal)
    assert call_counts() == {}


def test_copying_an_invoice_in_a_currency_not_enabled_is_refused_without_calling_xero(
        connected, admin, workspace, sandbox):
    yen = make_invoice(workspace, currency="JPY")
    contact = northwind()
    reset_call_counts()
    response = post_copy(admin, yen, contact=contact)
    assert response.status_code == 422
    assert NOT_ENABLED in text(response) and HOW in text(response)
    assert call_counts() == {}
    assert copies() == [] and recorded(sandbox, "PUT", "/Invoices") == []


def test_an_enabled_currency_other_than_the_base_is_copied(connected, admin, workspace, hx):
    dollars = make_invoice(workspace, currency="USD")
    assert "has not enabled" not in text(admin.get(f"/invoices/{dollars.id}/xero/copy", headers=hx))
    response = post_copy(admin, dollars, contact=northwind())
    assert response.status_code == 200, text(response)
    assert [row.state for row in copies()] == ["done"]


def test_currencies_never_read_refuse_nothing_and_say_nothing(connected, admin, workspace, hx, sandbox):
    forget_currencies()
    yen = make_invoice(workspace, currency="JPY")
    assert "has not enabled" not in text(admin.get(f"/invoices/{yen.id}/xero/copy", headers=hx))
    response = post_copy(admin, yen, contact=northwind())
    # Bridge did not know: Xero was asked, and its own refusal is shown.
    assert "Organisation is not subscribed to currency JPY" in text(response)
    assert len(recorded(sandbox, "PUT", "/Invoices")) == 1


def test_the_bulk_plan_lists_them_as_cannot_go_with_the_fix(connected, admin, workspace, hx, users):
    ids = many_invoices(workspace, 2)
    yen = make_invoice(workspace, currency="JPY")
    reset_call_counts()
    modal = admin.post("/invoices/xero/bulk", headers=hx, data={"invoice_ids": [*map(str, ids), str(yen.id)]})
    assert modal.status_code == 200
    words = text(modal)
    assert "2 new copies in Xero" in words and "1 cannot be copied" in words
    assert f"{yen.number} {NOT_ENABLED}" in words and HOW in words and "Fix in the Xero setup" in words
    job = db.session.scalar(select(XeroCopyJob).order_by(XeroCopyJob.id.desc()))
    plan = bulk_plan.plan_job(job.id)
    assert [(b.invoice.id, b.fix) for b in plan.blocked] == [(yen.id, "setup")]
    bulk_plan.queue_job(job.id, None)
    assert db.session.get(XeroCopyJob, job.id).invoice_ids == ids
    assert call_counts() == {}
