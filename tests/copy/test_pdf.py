"""The PDF of a copied invoice: Xero's (fetched once per copy or update, kept on the copy,
never fetched per download) or Bridge's own, per the setting."""
from bridge.extensions import db
from bridge.models import XeroActivity
from tests.copy.conftest import configure, copies, northwind, post_copy, recorded, text
from tests.copy.test_update import change_lines
from tests.invoicing.test_show_and_pdf import pdf_strings

SANDBOX_MARK = "Rendered by the Xero sandbox"


def pdf_fetches(sandbox, xero_id: str) -> int:
    return sum(1 for r in recorded(sandbox, "GET", f"/Invoices/{xero_id}") if r["accept"] == "application/pdf")


def test_xeros_pdf_is_fetched_once_per_copy_and_update(connected, admin, invoice, workspace, sandbox):
    configure(pdfs_by="xero")
    assert post_copy(admin, invoice, contact=northwind()).status_code == 200
    (row,) = copies()
    assert row.pdf.startswith(b"%PDF") and row.pdf_fetched_at is not None
    assert pdf_fetches(sandbox, row.xero_id) == 1
    for _ in range(3):
        download = admin.get(f"/invoices/{invoice.id}/pdf")
        assert download.status_code == 200 and download.mimetype == "application/pdf"
        drawn = pdf_strings(download.data)
        assert SANDBOX_MARK in drawn and invoice.number in drawn
    assert pdf_fetches(sandbox, row.xero_id) == 1  # downloads never call Xero

    change_lines(invoice, workspace)
    assert post_copy(admin, invoice, contact=northwind(), action="update").status_code == 200
    assert pdf_fetches(sandbox, row.xero_id) == 2  # one more for the update
    assert "Support" in pdf_strings(admin.get(f"/invoices/{invoice.id}/pdf").data)
    assert pdf_fetches(sandbox, row.xero_id) == 2


def test_bridges_pdf_when_bridge_makes_pdfs(connected, admin, invoice, sandbox):
    post_copy(admin, invoice, contact=northwind())
    (row,) = copies()
    download = admin.get(f"/invoices/{invoice.id}/pdf")
    drawn = pdf_strings(download.data)
    assert download.status_code == 200 and invoice.number in drawn and SANDBOX_MARK not in drawn
    assert row.pdf is None and pdf_fetches(sandbox, row.xero_id) == 0


def test_a_pdf_xero_could_not_give_at_copy_time_is_fetched_at_the_first_download(connected, admin, invoice, sandbox):
    configure(pdfs_by="xero")
    sandbox.control("faults", kind="503", count=4, method="GET", path_prefix="/api.xro/2.0/Invoices/")
    response = post_copy(admin, invoice, contact=northwind())
    assert response.status_code == 200
    assert "Xero's PDF could not be fetched now" in text(response)
    (row,) = copies()
    assert row.pdf is None
    first = admin.get(f"/invoices/{invoice.id}/pdf")
    assert first.status_code == 200 and SANDBOX_MARK in pdf_strings(first.data)
    admin.get(f"/invoices/{invoice.id}/pdf")
    assert pdf_fetches(sandbox, row.xero_id) == 4 + 1  # the refused ones, then one that worked
    operations = [(a.operation, a.outcome) for a in db.session.scalars(
        db.select(XeroActivity).order_by(XeroActivity.id))]
    assert operations == [("copy", "ok"), ("pdf", "error"), ("pdf", "ok")]


def test_no_copy_yet_gives_bridges_pdf(connected, admin, invoice):
    configure(pdfs_by="xero")
    download = admin.get(f"/invoices/{invoice.id}/pdf")
    assert download.status_code == 200 and SANDBOX_MARK not in pdf_strings(download.data)
