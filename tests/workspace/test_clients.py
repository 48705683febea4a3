"""Clients: list and search, create, edit, and every refusal at its field."""
import pytest

from bridge.extensions import db
from bridge.models import Company
from tests.workspace.conftest import count, field_errors, make_company

VALID = {"name": "Acme Ltd", "email": "billing@acme.example", "tax_number": "GB123", "address": "1 Road\nTown",
         "default_currency": "GBP"}


def test_list_shows_clients_sorted_by_name(admin):
    make_company("Zeta", email="z@zeta.example", tax_number="Z-1", default_currency="USD")
    make_company("alpha")
    page = admin.get("/clients").get_data(as_text=True)
    assert page.index("alpha") < page.index("Zeta")
    assert "z@zeta.example" in page and "Z-1" in page and "USD" in page
    assert "<html" in page


def test_search_filters_by_name_and_htmx_gets_the_table_alone(admin, hx):
    make_company("Acme Ltd")
    make_company("Globex")
    response = admin.get("/clients?q=acm", headers=hx)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in text and 'id="clients-table"' in text
    assert "Acme Ltd" in text and "Globex" not in text
    assert "HX-Request" in response.headers["Vary"]


def test_search_treats_wildcards_literally(admin):
    make_company("Acme Ltd")
    assert "Acme Ltd" not in admin.get("/clients?q=%25").get_data(as_text=True).split("<tbody>")[1]


def test_history_restore_gets_the_whole_page(admin, hx):
    response = admin.get("/clients", headers={**hx, "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_members_may_manage_clients(member):
    assert member.get("/clients").status_code == 200
    assert member.post("/clients/new", data={**VALID}).status_code == 302


def test_new_form_defaults_to_the_base_currency(app, admin):
    app.config["BRIDGE_BASE_CURRENCY"] = "CHF"
    page = admin.get("/clients/new").get_data(as_text=True)
    assert '<option selected value="CHF">' in page


def test_create_client(admin):
    response = admin.post("/clients/new", data=VALID)
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients"
    company = db.session.scalar(db.select(Company))
    assert (company.name, company.email, company.tax_number, company.default_currency) == (
        "Acme Ltd", "billing@acme.example", "GB123", "GBP")
    assert company.address == "1 Road\nTown"


def test_blank_optional_fields_are_stored_as_null(admin):
    admin.post("/clients/new", data={"name": "  Bare  ", "email": "", "tax_number": " ", "default_currency": "EUR"})
    company = db.session.scalar(db.select(Company))
    assert company.name == "Bare" and company.email is None and company.tax_number is None


def test_htmx_post_gets_hx_redirect_not_a_3xx(admin, hx):
    response = admin.post("/clients/new", data=VALID, headers=hx)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/clients"


def test_edit_client(admin):
    company = make_company("Acme Ltd")
    page = admin.get(f"/clients/{company.id}/edit").get_data(as_text=True)
    assert 'value="Acme Ltd"' in page
    response = admin.post(f"/clients/{company.id}/edit", data={**VALID, "name": "Acme Limited"})
    assert response.status_code == 302
    assert db.session.get(Company, company.id).name == "Acme Limited"


def test_edit_keeps_its_own_name_whatever_the_case(admin):
    company = make_company("Acme Ltd")
    response = admin.post(f"/clients/{company.id}/edit", data={**VALID, "name": "ACME LTD"})
    assert response.status_code == 302
    assert db.session.get(Company, company.id).name == "ACME LTD"


def test_unknown_client_is_404(admin):
    assert admin.get("/clients/999/edit").status_code == 404
    assert admin.post("/clients/999/edit", data=VALID).status_code == 404


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Enter the client's name."),
    ({"name": "   "}, "Enter the client's name."),
    ({"name": "acme LTD"}, "A client named acme LTD already exists."),
    ({"name": "x" * 256}, "Field cannot be longer than 255 characters."),
    ({"email": "not-an-email"}, "Enter a valid email address, like billing@example.com."),
    ({"tax_number": "9" * 51}, "Field cannot be longer than 50 characters."),
    ({"default_currency": "XYZ"}, "XYZ is not an ISO 4217 currency: choose one from the list, e.g. EUR, USD or GBP."),
    ({"default_currency": "ZZZ"}, "ZZZ is not an ISO 4217 currency: choose one from the list, e.g. EUR, USD or GBP."),
])
def test_bad_input_is_refused_at_the_field(admin, changes, message):
    make_company("Acme Ltd")
    response = admin.post("/clients/new", data={**VALID, "name": "Other", **changes})
    assert response.status_code == 422
    assert message in field_errors(response)
    assert count(Company) == 1


def test_rename_to_an_existing_name_changes_nothing(admin):
    make_company("Acme Ltd")
    other = make_company("Globex")
    response = admin.post(f"/clients/{other.id}/edit", data={**VALID, "name": "ACME ltd"})
    assert response.status_code == 422
    assert field_errors(response) == ["A client named ACME ltd already exists."]
    db.session.expire_all()
    assert db.session.get(Company, other.id).name == "Globex"
