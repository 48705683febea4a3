"""Budgets: list with totals in one query, create, edit, detail with its expenses."""
from decimal import Decimal

import pytest

from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.models import BillingEntity, Budget
from tests.conftest import counting_queries
from tests.workspace.conftest import count, field_errors, make_budget, make_company, make_expense


def make_budgets(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        budget = make_budget(f"Budget {i}", client=make_company(f"Client {i}"))
        make_expense(budget, "10.00")
        make_expense(budget, "5.50", supplier=make_company(f"Supplier {i}"))


def test_list_shows_client_currency_count_and_total(admin):
    acme = make_company("Acme Ltd")
    website = make_budget("Website", client=acme, currency="EUR")
    make_expense(website, "100.00")
    make_expense(website, "0.10")
    make_expense(website, "0.20")
    make_expense(website, "999.00", currency="USD")
    make_budget("Empty", currency="GBP")
    page = admin.get("/budgets").get_data(as_text=True)
    website_row = page.split(f'href="/budgets/{website.id}"')[1].split("</tr>")[0]
    assert "Acme Ltd" in website_row and ">EUR<" in website_row
    assert '<td class="num">4</td>' in website_row
    assert "€100.30" in website_row  # exact decimals, USD left out of a EUR total
    assert "1 in other currencies not included" in website_row
    empty_row = page.split(">Empty</a>")[1].split("</tr>")[0]
    assert '<td class="num">0</td>' in empty_row and "£0.00" in empty_row


def test_with_several_entities_the_list_names_each_budgets_entity(admin):
    website = make_budget("Website", client=make_company("Acme Ltd"))
    assert 'data-entity' not in admin.get("/budgets").get_data(as_text=True)  # one entity: no column
    sydney = BillingEntity(name="Harbour & Pine Pty Ltd", base_currency="AUD")
    db.session.add(sydney)
    db.session.commit()
    launch = make_budget("Launch", client=make_company("Kookaburra Media"))
    launch.entity_id = sydney.id
    db.session.commit()
    page = admin.get("/budgets").get_data(as_text=True)
    assert ">Entity</th>" in page
    row = lambda budget: page.split(f'href="/budgets/{budget.id}"')[1].split("</tr>")[0]  # noqa: E731
    assert '<td data-entity>Harbour &amp; Pine Pty Ltd</td>' in row(launch)
    assert f'<td data-entity>{first_entity().name}</td>' in row(website)


def test_totals_are_computed_in_one_query_whatever_the_number_of_budgets(admin):
    make_budgets(1)
    with counting_queries() as few:
        assert admin.get("/budgets").status_code == 200
    make_budgets(6, start=1)
    with counting_queries() as many:
        page = admin.get("/budgets").get_data(as_text=True)
    assert page.count("€15.50") == 7
    assert len(many) == len(few)
    assert sum("GROUP BY" in s for s in many) == 1


def test_totals_query_returns_decimals(app):
    budget = make_budget()
    make_expense(budget, "0.10")
    make_expense(budget, "0.20")
    from bridge.workspace.budgets import budgets_with_totals
    [row] = budgets_with_totals()
    assert row.total == Decimal("0.30") and isinstance(row.total, Decimal)


def test_create_budget_with_base_currency_default(app, admin):
    app.config["BRIDGE_BASE_CURRENCY"] = "NZD"
    assert '<option selected value="NZD">' in admin.get("/budgets/new").get_data(as_text=True)
    acme = make_company("Acme Ltd")
    response = admin.post("/budgets/new", data={"name": "Rebrand", "client_id": str(acme.id), "currency": "NZD"})
    budget = db.session.scalar(db.select(Budget))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/budgets/{budget.id}"
    assert (budget.name, budget.client_id, budget.currency) == ("Rebrand", acme.id, "NZD")


def test_create_budget_without_client(admin):
    admin.post("/budgets/new", data={"name": "Internal", "client_id": "", "currency": "EUR"})
    assert db.session.scalar(db.select(Budget)).client_id is None


@pytest.mark.parametrize("values, message", [
    ({"name": ""}, "Enter the budget's name."),
    ({"client_id": "999"}, "Choose a client from the list."),
    ({"client_id": "abc"}, "Choose a client from the list."),
    ({"currency": "EURO"}, "EURO is not an ISO 4217 currency: choose one from the list, e.g. EUR, USD or GBP."),
])
def test_bad_budget_input_is_refused(admin, values, message):
    response = admin.post("/budgets/new", data={"name": "Rebrand", "client_id": "", "currency": "EUR", **values})
    assert response.status_code == 422
    assert field_errors(response) == [message]
    assert count(Budget) == 0


def test_edit_budget(admin):
    budget = make_budget("Website")
    acme = make_company("Acme Ltd")
    assert 'value="Website"' in admin.get(f"/budgets/{budget.id}/edit").get_data(as_text=True)
    response = admin.post(f"/budgets/{budget.id}/edit", data={"name": "Web shop", "client_id": str(acme.id), "currency": "USD"})
    assert response.status_code == 302
    db.session.expire_all()
    budget = db.session.get(Budget, budget.id)
    assert (budget.name, budget.client_id, budget.currency) == ("Web shop", acme.id, "USD")


def test_edit_refused_changes_nothing(admin):
    budget = make_budget("Website")
    response = admin.post(f"/budgets/{budget.id}/edit", data={"name": " ", "client_id": "", "currency": "EUR"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Budget, budget.id).name == "Website"


def test_budget_page_lists_its_expenses(admin):
    budget = make_budget("Website", client=make_company("Acme Ltd"))
    supplier = make_company("Photo Stock Inc")
    make_expense(budget, "1234.50", description="Photos", supplier=supplier, reference="BILL-7",
                 quantity=Decimal("3"), markup_percent=Decimal("15"))
    make_expense(budget, "20.00", currency="USD", description="Fonts", payment_status="partially_paid")
    page = admin.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "Photos" in page and "BILL-7" in page and "Photo Stock Inc" in page
    assert "€1,234.50" in page and "$20.00" in page
    assert "Mar 1, 2026" in page
    assert '<span class="badge badge-unpaid">Unpaid</span>' in page
    assert '<span class="badge badge-partially_paid">Partially paid</span>' in page
    assert '<td class="num">3</td>' in page and "15 %" in page
    assert "Total in EUR" in page and "Total in USD" in page


def test_budget_pages_are_open_to_members(member):
    budget = make_budget()
    assert member.get("/budgets").status_code == 200
    assert member.get(f"/budgets/{budget.id}").status_code == 200


@pytest.mark.parametrize("url", ["/budgets/999", "/budgets/999/edit", "/budgets/999/expenses/new"])
def test_unknown_budget_is_404(admin, url):
    assert admin.get(url).status_code == 404
