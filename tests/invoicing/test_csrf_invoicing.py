"""CSRF stays on here: the editor form carries its token, HTMX posts send the header."""
import re

import pytest
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import CustomFieldValue, Invoice
from tests.conftest import ADMIN, make_app
from tests.invoicing import factories


@pytest.fixture
def csrf_client(database_url, users):
    client = make_app(database_url, WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"], "csrf_token": token})
    return client


def header_token(client) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)


def test_editor_form_posts_with_its_token(csrf_client, app):
    acme = factories.company()
    page = csrf_client.get("/invoices/new").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"client_id": str(acme.id), "subject": "S", "issue_date": "2026-03-01", "due_date": "2026-03-01",
            "lines-0-description": "d", "lines-0-quantity": "1", "lines-0-unit_price": "1"}
    assert csrf_client.post("/invoices/new", data=data).status_code == 400
    assert csrf_client.post("/invoices/new", data={**data, "csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_htmx_cell_save_needs_the_header(csrf_client, app):
    invoice = factories.invoice(factories.company())
    field = factories.custom_field("Note")
    url = f"/invoices/{invoice.id}/fields/{field.id}"
    refused = csrf_client.post(url, data={"value": "x"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    accepted = csrf_client.post(url, data={"value": "x"},
                                headers={"HX-Request": "true", "X-CSRFToken": header_token(csrf_client)})
    assert accepted.status_code == 200
    assert db.session.scalar(select(CustomFieldValue.value)) == "x"
