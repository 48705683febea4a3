"""The invoice table: columns, search, filters, pagination, HTMX partials, constant query count."""
import datetime as dt
import html

import pytest

from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.models import BillingEntity, Invoice
from tests.conftest import counting_queries
from tests.invoicing import factories


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def book(app):
    """Three clients' invoices across dates and statuses."""
    acme, globex, umbrella = (factories.company(n) for n in ("Acme Ltd", "Globex", "Umbrella 100%"))
    invoices = {
        "web": factories.invoice(acme, "Website redesign", dt.date(2026, 1, 10)),
        "seo": factories.invoice(acme, "SEO audit", dt.date(2026, 2, 10)),
        "app": factories.invoice(globex, "Mobile app", dt.date(2026, 3, 10), currency="USD"),
        "ads": factories.invoice(umbrella, "Ad campaign", dt.date(2025, 12, 1)),
    }
    invoices["seo"].status = "sent"
    invoices["app"].status = "sent"
    invoices["app"].payment_status = "paid"
    db.session.commit()
    return {"clients": (acme, globex, umbrella), **invoices}


def subjects(response) -> list[str]:
    page = text(response)
    return [s for s in ("Website redesign", "SEO audit", "Mobile app", "Ad campaign") if s in page]


def test_table_lists_invoices_newest_first_with_their_columns(client, auth, book):
    auth.login("member")
    response = client.get("/")
    page = text(response)
    assert response.status_code == 200
    assert page.index("Mobile app") < page.index("SEO audit") < page.index("Website redesign") < page.index("Ad campaign")
    assert "2026-0001" in page and "Globex" in page and "$100.00" in page
    assert "badge-sent" in page and "badge-paid" in page and "Partially paid" not in page.split("<table")[1]
    assert '<a class="button primary" href="/invoices/new">' in page


def test_custom_field_columns_follow_position_and_skip_archived(client, auth, book):
    factories.custom_field("Second", position=2)
    factories.custom_field("First", position=1)
    factories.custom_field("Hidden", position=0, archived=True)
    auth.login()
    head = text(client.get("/")).split("<thead>")[1].split("</thead>")[0]
    assert head.index("First") < head.index("Second") and "Hidden" not in head


def test_empty_table(client, auth):
    auth.login()
    assert "No invoices match." in text(client.get("/"))


@pytest.mark.parametrize("q, expected", [
    ("website", ["Website redesign"]),
    ("GLOBEX", ["Mobile app"]),
    ("acme", ["Website redesign", "SEO audit"]),
    ("2026-0003", ["Mobile app"]),
    ("100%", ["Ad campaign"]),   # % is a literal here, not a wildcard
    ("_", []),
])
def test_search_number_subject_client_case_insensitive(client, auth, book, q, expected):
    auth.login()
    assert sorted(subjects(client.get("/", query_string={"q": q}))) == sorted(expected)


def test_filters_combine(client, auth, book):
    auth.login()
    acme = book["clients"][0]
    assert subjects(client.get("/", query_string={"client": acme.id})) == ["Website redesign", "SEO audit"]
    assert subjects(client.get("/", query_string={"client": acme.id, "status": "sent"})) == ["SEO audit"]
    assert subjects(client.get("/", query_string={"payment": "paid"})) == ["Mobile app"]
    dates = {"issued_from": "2026-01-01", "issued_to": "2026-02-28"}
    assert subjects(client.get("/", query_string=dates)) == ["Website redesign", "SEO audit"]
    assert subjects(client.get("/", query_string={"issued_to": "2025-12-01"})) == ["Ad campaign"]


@pytest.mark.parametrize("args, message", [
    ({"issued_from": "2026-02-30"}, "Issued from: Enter a real date as YYYY-MM-DD."),
    ({"issued_to": "yesterday"}, "Issued to: Enter a real date as YYYY-MM-DD."),
    ({"issued_from": "2026-03-01", "issued_to": "2026-01-01"}, "The end date cannot be before the start date."),
    ({"client": "abc"}, "Pick a client from the list."),
    ({"status": "lost"}, "Pick a status from the list."),
])
def test_bad_filters_get_a_clear_message(client, auth, book, args, message):
    auth.login()
    response = client.get("/", query_string=args)
    assert response.status_code == 422
    assert message in text(response)
    assert "Website redesign" not in text(response)


def test_pagination_keeps_the_filters(client, auth, app, book):
    app.config["INVOICES_PER_PAGE"] = 1
    auth.login()
    first = text(client.get("/", query_string={"client": book["clients"][0].id}))
    assert "Page 1 of 2" in first and "SEO audit" in first and "Website redesign" not in first
    assert f'href="/?page=2&client={book["clients"][0].id}"' in first
    second = text(client.get("/", query_string={"client": book["clients"][0].id, "page": 2}))
    assert "Website redesign" in second and "SEO audit" not in second and 'rel="prev"' in second


def test_page_out_of_range_or_not_a_number(client, auth, app, book):
    app.config["INVOICES_PER_PAGE"] = 2
    auth.login()
    assert "No invoices match." in text(client.get("/?page=99"))
    assert "Mobile app" in text(client.get("/?page=abc"))


def test_htmx_gets_only_the_table(client, auth, book, hx):
    auth.login()
    response = client.get("/", query_string={"q": "web"}, headers=hx)
    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page and page.lstrip().startswith('<section id="invoice-table"')
    assert "Website redesign" in page and "HX-Request" in response.headers["Vary"]


def test_htmx_bad_filter_swaps_the_message(client, auth, book, hx):
    auth.login()
    response = client.get("/?issued_from=2026-13-01", headers=hx)
    assert response.status_code == 422 and "<html" not in text(response)
    assert "Enter a real date" in text(response)


def test_history_restore_gets_the_full_page(client, auth, book, hx):
    auth.login()
    response = client.get("/", headers={**hx, "HX-History-Restore-Request": "true"})
    assert "<html" in text(response)


def test_filter_form_works_without_js(client, auth, book):
    auth.login()
    page = text(client.get("/"))
    assert '<form class="filters" method="get" action="/"' in page
    assert 'hx-get="/"' in page and 'hx-push-url="true"' in page


@pytest.mark.parametrize("entities", [1, 2])
def test_query_count_does_not_grow_with_the_page_size(client, auth, app, entities):
    if entities == 2:  # the Entity column and filter cost no query of their own
        first_entity()
        db.session.add(BillingEntity(name="Harbour & Pine Ltd", base_currency="GBP",
                                     invoice_number_pattern="UK-{seq}", credit_note_number_pattern="UK-CN-{seq}"))
        db.session.commit()
    clients = [factories.company(f"Client {i}") for i in range(5)]
    region = factories.custom_field("Region", "select", ["North", "South"], position=1)
    score = factories.custom_field("Score", "number", position=2)
    rows = [Invoice(number=f"N-{i:03}", subject=f"Job {i}", client=clients[i % 5], currency="EUR",
                    issue_date=dt.date(2026, 1, 1) + dt.timedelta(days=i), due_date=dt.date(2026, 12, 31))
            for i in range(60)]
    db.session.add_all(rows)
    db.session.commit()
    for invoice in rows:
        factories.custom_value(invoice, region, "North")
        factories.custom_value(invoice, score, "7")
    auth.login()
    counts = {}
    for per_page in (10, 60):
        app.config["INVOICES_PER_PAGE"] = per_page
        db.session.expunge_all()
        with counting_queries() as statements:
            response = client.get("/")
        assert response.status_code == 200 and text(response).count("North") >= per_page
        assert ("<th>Entity</th>" in text(response)) == (entities == 2)
        counts[per_page] = len(statements)
    assert counts[10] == counts[60]
    # The table (8) and, on the home page, Getting started (2 with nothing connected).
    assert counts[60] <= 10, counts
