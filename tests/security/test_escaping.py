"""Templates autoescape: with markup typed into every free-text column (client, invoice
subject, lines, custom field value, service type, tax rate, budget, expense), no page or
HTMX partial that shows it, and no form that echoes it back, serves it as markup; the PDF
of such an invoice still renders."""
import pytest
from markupsafe import escape

from tests.security.conftest import RAW_MARKERS, XSS, build_workspace
from tests.security.routes import all_routes, url

ESCAPED = str(escape(XSS))  # as Jinja writes it


@pytest.fixture
def hostile(admin, users):
    return build_workspace(XSS)


def assert_inert(response, where):
    if response.mimetype != "text/html" and not response.mimetype.startswith("text/"):
        return
    body = response.get_data(as_text=True)
    for marker in RAW_MARKERS:
        assert marker not in body, f"{where} serves markup it was given"


def test_every_page_and_partial_shows_typed_markup_as_text(admin, hostile, hx):
    shown = {}
    for route in all_routes(admin.application):
        if route.method != "GET" or route.endpoint in ("static", "marketplace.xero_callback"):
            continue
        for headers in ({}, hx):
            response = admin.get(url(route.rule, hostile), headers=headers)
            assert response.status_code < 500, f"{route}: {response.status_code}"
            assert_inert(response, f"{route} {headers}")
            if response.mimetype == "text/html":
                shown[(route.endpoint, bool(headers))] = response.get_data(as_text=True)
    # The pages that show these values do show them, escaped (so the sweep saw them).
    for endpoint, values in {
        "invoicing.index": ["subject", "client", "value"],
        "invoicing.show": ["subject", "client", "line", "value"],
        "invoicing.edit": ["line"],
        "workspace.clients": ["client"],
        "workspace.budget": ["budget", "expense"],
        "workspace.expense": ["expense"],
        "workspace.settings_service_types": ["service"],
        "workspace.settings_tax_rates": ["tax"],
        "workspace.settings_custom_fields": ["field"],
    }.items():
        for value in values:
            assert f"{ESCAPED} {value}" in shown[(endpoint, False)], f"{endpoint} shows the {value}"


def test_the_pdf_of_such_an_invoice_renders(admin, hostile):
    response = admin.get(f"/invoices/{hostile['invoice_id']}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    # The number (markup and quotes included) is made safe for the header and a file system.
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoice-script-alert-1-script-b-onclick-x-1.pdf"'



@pytest.mark.parametrize("path, data", [
    ("/clients/new", {"name": XSS, "email": XSS, "default_currency": XSS}),
    ("/budgets/new", {"name": XSS, "currency": XSS}),
    ("/settings/service-types/new", {"new-name": XSS * 4}),
    ("/settings/tax-rates/new", {"new-name": XSS, "new-percentage": XSS}),
    ("/settings/custom-fields/new", {"new-name": XSS, "new-field_type": "select", "new-options_text": ""}),
    ("/invoices/new", {"subject": XSS, "issue_date": XSS, "lines-0-description": XSS, "lines-0-quantity": XSS}),
    ("/invoices/preview", {"lines-0-description": XSS, "lines-0-quantity": "1", "lines-0-unit_price": XSS}),
    ("/invoices/lines", {"lines-0-description": XSS}),
])
def test_forms_echo_bad_input_back_as_text(admin, hostile, hx, path, data):
    for headers in ({}, hx):
        response = admin.post(path, data=data, headers=headers)
        assert response.status_code < 500
        assert_inert(response, f"{path} {headers}")


def test_edited_cells_and_rows_come_back_as_text(admin, hostile, hx):
    cell = f"/invoices/{hostile['invoice_id']}/fields/{hostile['field_id']}"
    saved = admin.post(cell, data={"value": XSS}, headers=hx)
    assert saved.status_code == 200 and ESCAPED in saved.get_data(as_text=True)
    assert_inert(saved, "saved cell")
    for key, path in [(("workspace.settings_service_type", "item_id"), "service-types"),
                      (("workspace.settings_tax_rate", "item_id"), "tax-rates")]:
        item = hostile[key]
        edited = admin.post(f"/settings/{path}/{item}/edit", data={f"edit-{item}-name": XSS + " edited",
                                                                  f"edit-{item}-percentage": "5"}, headers=hx)
        assert edited.status_code in (200, 422), edited.status_code
        assert_inert(edited, path)
