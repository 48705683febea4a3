"""The settings index, invoice numbering, and that settings are for admins only."""
import datetime as dt
import re

import pytest

from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.models import BillingEntity, WorkspaceSettings
from tests.workspace.conftest import field_errors, make_custom_field, make_service_type, make_tax_rate

SETTINGS_PAGES = [
    ("get", "/settings"),
    ("get", "/settings/invoices"),
    ("post", "/settings/invoices"),
    ("get", "/settings/invoices/example?invoice_number_pattern=x"),
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
    for href, title in [("/settings/organisation", "Organisation"), ("/settings/service-types", "Service types"), ("/settings/tax-rates", "Tax rates"),
                        ("/settings/custom-fields", "Custom fields"), ("/settings/invoices", "Invoices"),
                        ("/settings/marketplace", "App Marketplace")]:
        assert f'<a href="{href}">{title}</a>' in page
    assert page.count('<section class="card">') == 6


def test_invoice_settings_show_the_default_pattern_and_its_example(admin):
    page = admin.get("/settings/invoices").get_data(as_text=True)
    year = dt.date.today().year
    assert 'value="{year}-{seq:04}"' in page
    assert f"<strong>{year}-0001</strong>" in page
    assert '>Table view</a>' in page and 'href="/"' in page
    assert db.session.get(WorkspaceSettings, 1) is None  # a GET writes nothing


def test_saving_the_pattern_sets_the_first_entitys(admin):
    response = admin.post("/settings/invoices", data={"invoice_number_pattern": " INV-{year}/{seq:05} "})
    assert response.status_code == 302 and response.headers["Location"] == "/settings/invoices"
    assert first_entity().invoice_number_pattern == "INV-{year}/{seq:05}"
    page = admin.get("/settings/invoices").get_data(as_text=True)
    assert f"INV-{dt.date.today().year}/00001" in page


def test_saving_again_updates_the_same_entity(admin):
    first_entity().invoice_number_pattern = "{seq}"
    db.session.commit()
    admin.post("/settings/invoices", data={"invoice_number_pattern": "B-{seq:03}"})
    db.session.expire_all()
    rows = db.session.scalars(db.select(BillingEntity)).all()
    assert [(r.id, r.invoice_number_pattern) for r in rows] == [(1, "B-{seq:03}")]


@pytest.mark.parametrize("pattern, message", [
    ("", "Enter a pattern, e.g. {year}-{seq:04}."),
    ("INV-{year}", "The pattern must contain {seq} (or {seq:04} to pad to four digits)."),
    ("{seq}-{month}", "Only {year} and {seq} (optionally {seq:04}) may appear in braces."),
    ("{seq}" + "x" * 56, "Field cannot be longer than 60 characters."),
])
def test_bad_patterns_are_refused_at_the_field(admin, pattern, message):
    response = admin.post("/settings/invoices", data={"invoice_number_pattern": pattern})
    assert response.status_code == 422
    assert field_errors(response) == [message]
    assert db.session.get(WorkspaceSettings, 1) is None


def test_live_example_follows_the_typed_pattern(admin, hx):
    good = admin.get("/settings/invoices/example", query_string={"invoice_number_pattern": "X{seq:03}"}, headers=hx)
    text = good.get_data(as_text=True)
    assert good.status_code == 200 and "<html" not in text
    assert re.search(r'<p id="number-example"[^>]*>', text) and "<strong>X001</strong>" in text
    bad = admin.get("/settings/invoices/example", query_string={"invoice_number_pattern": "X"}, headers=hx)
    assert "The pattern must contain {seq}" in bad.get_data(as_text=True)


def test_live_example_input_is_wired_with_htmx(admin):
    page = admin.get("/settings/invoices").get_data(as_text=True)
    assert 'hx-get="/settings/invoices/example"' in page and 'hx-target="#number-example"' in page
