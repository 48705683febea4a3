"""Bulk Copy to Xero from the invoice table: select, see what will happen, confirm, watch the
progress (polled until the job is over), read each result; the Xero card reopens the job."""
import re
from decimal import Decimal

from sqlalchemy import select

from bridge.extensions import db
from bridge.billing.service import LineData
from bridge.models import TaxRate, XeroCopyJob
from bridge.xero.invoices.bulk.jobs import run_job
from tests.copy.bulk import bulk_sleeps, many_invoices  # noqa: F401  (fixture)
from tests.copy.conftest import configure, forget_currencies, make_invoice, text


def newest_job() -> XeroCopyJob:
    db.session.expire_all()
    return db.session.scalar(select(XeroCopyJob).order_by(XeroCopyJob.id.desc()).limit(1))


def test_the_table_offers_selection_only_when_xero_is_ready(admin, workspace, hx):
    many_invoices(workspace, 2)
    # The table (Getting started above it explains Copy to Xero in words).
    page = admin.get("/").get_data(as_text=True).split('<section id="invoice-table"')[1]
    assert 'name="invoice_ids"' not in page and "Copy to Xero" not in page


def test_ticked_invoices_show_what_will_happen_then_copy_with_progress(connected, admin, workspace, hx,
                                                                       bulk_sleeps):
    ids = many_invoices(workspace, 3)
    forget_currencies()  # Bridge does not know Xero's currencies: Xero refuses the JPY invoice
    bad = make_invoice(workspace, currency="JPY")
    page = admin.get("/").get_data(as_text=True)
    assert page.count('name="invoice_ids"') == 4 and 'form="bulk-copy"' in page

    modal = admin.post("/invoices/xero/bulk", headers=hx, data={"invoice_ids": [*map(str, ids), str(bad.id)]})
    assert modal.status_code == 200
    assert "4 invoices selected" in text(modal)
    assert "4 new copies in Xero" in text(modal) and "0 updates" in text(modal)
    assert "1 client without a Xero contact (Harbour Lights Ltd)" in text(modal)
    job = newest_job()
    assert job.state == "draft" and job.invoice_ids == [*ids, bad.id]

    started = admin.post(f"/invoices/xero/jobs/{job.id}/start", headers=hx)
    assert started.status_code == 200
    assert 'hx-trigger="every 1s"' in started.get_data(as_text=True)
    assert "0 of 4" in text(started)
    table = admin.get("/").get_data(as_text=True)
    assert table.count("copying…") == 4

    run_job(job.id)

    final = admin.get(f"/invoices/xero/jobs/{job.id}", headers=hx)
    body = final.get_data(as_text=True)
    assert "hx-trigger" not in body  # polling stops
    assert "100%" in text(final) and "3 copied, 1 not copied" in text(final)
    assert "Organisation is not subscribed to currency JPY" in text(final)
    assert len(re.findall(r'href="http://127\.0\.0\.1:\d+/_ui/[^"]+/invoices/[0-9a-f-]{36}"', body)) == 3
    assert "copying…" not in admin.get("/").get_data(as_text=True)
    card = admin.get("/settings/marketplace").get_data(as_text=True)
    assert f"/invoices/xero/jobs/{job.id}?on_page=1" in card and "Copy of 4 invoices" in card
    reopened = admin.get(f"/invoices/xero/jobs/{job.id}?on_page=1")
    assert reopened.status_code == 200 and "Copied to Xero" in text(reopened)


def test_select_all_matching_takes_the_filter_not_ids(connected, admin, workspace, hx):
    ids = many_invoices(workspace, 30)
    other = make_invoice(workspace, subject="Unrelated retainer")
    response = admin.post("/invoices/xero/bulk", headers=hx, data={"all_matching": "y", "q": "Month end"})
    assert response.status_code == 200 and "30 invoices selected" in text(response)
    assert sorted(newest_job().invoice_ids) == sorted(ids) and other.id not in newest_job().invoice_ids


def test_manual_status_is_asked_once_for_the_batch(connected, admin, workspace, hx):
    configure(initial_status="MANUAL")
    ids = many_invoices(workspace, 2)
    modal = admin.post("/invoices/xero/bulk", headers=hx, data={"invoice_ids": [str(i) for i in ids]})
    assert 'name="status"' in modal.get_data(as_text=True)
    job = newest_job()
    refused = admin.post(f"/invoices/xero/jobs/{job.id}/start", headers=hx, data={"status": ""})
    assert refused.status_code == 422 and "Choose the status the invoices get in Xero." in text(refused)
    assert newest_job().state == "draft"
    assert admin.post(f"/invoices/xero/jobs/{job.id}/start", headers=hx, data={"status": "SUBMITTED"}).status_code == 200
    assert (newest_job().state, newest_job().status) == ("queued", "SUBMITTED")


def test_an_empty_selection_gets_a_clear_message(connected, admin, hx):
    response = admin.post("/invoices/xero/bulk", headers=hx, data={})
    assert response.status_code == 422 and "Select at least one invoice." in text(response)


def test_invoices_that_cannot_go_are_listed_with_a_link_to_fix_them(connected, admin, workspace, hx):
    zero = TaxRate(name="Zero", percentage=Decimal("0"))
    db.session.add(zero)
    db.session.commit()
    unmapped = make_invoice(workspace, lines=(LineData("Export", Decimal("1"), Decimal("5"), tax_rate_id=zero.id),))
    ids = many_invoices(workspace, 2)
    modal = admin.post("/invoices/xero/bulk", headers=hx, data={"invoice_ids": [str(unmapped.id), *map(str, ids)]})
    body = modal.get_data(as_text=True)
    assert "1 cannot be copied" in text(modal)
    assert f"{unmapped.number} No Xero tax rate is mapped to the tax rate Zero. Fix in the Xero setup" in text(modal)
    assert 'href="/marketplace/xero/setup"' in body
    assert "Copy 2 invoices to Xero" in text(modal)
