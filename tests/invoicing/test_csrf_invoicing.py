"""CSRF stays on here: the editor form carries its token, HTMX posts send the header."""

from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import CustomFieldValue, Invoice
from tests.conftest import form_token, header_token
from tests.invoicing import factories


def test_editor_form_posts_with_its_token(csrf_admin, app):
    acme = factories.company()
    page = csrf_admin.get("/invoices/new").get_data(as_text=True)
    token = form_token(page)
    data = {"client_id": str(acme.id), "subject": "S", "issue_date": "2026-03-01", "due_date": "2026-03-01",
            "lines-0-description": "d", "lines-0-quantity": "1", "lines-0-unit_price": "1"}
    assert csrf_admin.post("/invoices/new", data=data).status_code == 400
    assert csrf_admin.post("/invoices/new", data={**data, "csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_htmx_cell_save_needs_the_header(csrf_admin, app):
    invoice = factories.invoice(factories.company())
    field = factories.custom_field("Note")
    url = f"/invoices/{invoice.id}/fields/{field.id}"
    refused = csrf_admin.post(url, data={"value": "x"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    accepted = csrf_admin.post(url, data={"value": "x"},
                                headers={"HX-Request": "true", "X-CSRFToken": header_token(csrf_admin)})
    assert accepted.status_code == 200
    assert db.session.scalar(select(CustomFieldValue.value)) == "x"
