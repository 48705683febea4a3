"""The settings index, and that settings are for admins only (billing entities: test_entities.py)."""
import pytest

from bridge.extensions import db
from bridge.models import WorkspaceSettings
from tests.workspace.conftest import make_custom_field, make_service_type, make_tax_rate

SETTINGS_PAGES = [
    ("get", "/settings"),
    ("get", "/settings/invoices"),
    ("get", "/settings/invoices/example?invoice_number_pattern=x"),
    ("get", "/settings/entities/new"),
    ("post", "/settings/entities/new"),
    ("get", "/settings/entities/1/edit"),
    ("post", "/settings/entities/1/edit"),
    ("post", "/settings/entities/1/delete"),
    ("get", "/settings/language"),
    ("post", "/settings/language"),
    ("get", "/settings/service-types"),
    ("post", "/settings/service-types/new"),
    ("get", "/settings/service-types/1"),
    ("get", "/settings/service-types/1/edit"),
    ("post", "/settings/service-types/1/edit"),
    ("post", "/settings/service-types/1/archive"),
    ("post", "/settings/service-types/1/unarchive"),
    ("get", "/settings/tax-rates"),
    ("post", "/settings/tax-rates/new"),
    ("post", "/settings/tax-rates/1/edit"),
    ("post", "/settings/tax-rates/1/archive"),
    ("get", "/settings/custom-fields"),
    ("post", "/settings/custom-fields/new"),
    ("post", "/settings/custom-fields/1/edit"),
    ("post", "/settings/custom-fields/1/archive"),
]


@pytest.mark.parametrize("method, url", SETTINGS_PAGES)
def test_members_get_403_on_every_settings_page(member, method, url):
    make_service_type("Design")
    make_tax_rate("VAT")
    make_custom_field("Note")
    response = getattr(member, method)(url, data={"new-name": "Sneaky"} if method == "post" else None)
    assert response.status_code == 403
    assert db.session.get(WorkspaceSettings, 1) is None


def test_members_change_nothing(member):
    item = make_service_type("Design")
    member.post(f"/settings/service-types/{item.id}/archive")
    member.post("/settings/service-types/new", data={"new-name": "Sneaky"})
    db.session.expire_all()
    assert [(s.name, s.archived) for s in db.session.scalars(db.select(type(item)))] == [("Design", False)]


def test_settings_pages_need_a_login(client, users):
    response = client.get("/settings/service-types")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_index_links_every_section(admin):
    page = admin.get("/settings").get_data(as_text=True)
    for href, title in [("/settings/entities", "Billing entities"), ("/settings/language", "Language and region"),
                        ("/settings/service-types", "Service types"), ("/settings/tax-rates", "Tax rates"),
                        ("/settings/custom-fields", "Custom fields"),
                        ("/settings/marketplace", "App Marketplace")]:
        assert f'<a href="{href}">{title}</a>' in page
    assert page.count('<section class="card">') == 6
