"""The Expenses page (/expenses): every budget's expenses in one table, the filters (query string,
kept in the form and in page links; a bad value is left out and says why, never a 500), the
empty state, pages, the Xero column without Xero connected, and the main navigation."""
import datetime as dt
import html
import re

import pytest

from bridge.extensions import db
from bridge.models import XeroCopy, XeroDocument
from tests.conftest import counting_queries
from tests.workspace.conftest import add, make_budget, make_company, make_expense

HX = {"HX-Request": "true"}


def page_text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))).strip()


def table(response) -> str:
    """The table's body as text."""
    body = response.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def rows(response) -> list[str]:
    """The descriptions in the table, in order."""
    body = response.get_data(as_text=True).split("<tbody>")[1]
    return [html.unescape(d) for d in re.findall(r'<a href="/expenses/\d+">([^<]+)</a>', body)]


def selected(response, name: str) -> str:
    """The value of the select's selected option."""
    select = re.search(r'<select[^>]*name="%s".*?</select>' % name, response.get_data(as_text=True), re.S).group(0)
    found = re.search(r'<option selected value="([^"]*)"', select)
    return found.group(1) if found else ""


def mark_sent(expense, number: str, status: str = "AUTHORISED") -> None:
    """What a successful send leaves: its XeroCopy row, and the ledger's row of the bill."""
    db.session.add(XeroCopy(expense_id=expense.id, tenant_id="t-1", attempt_key=f"key-{expense.id}",
                            action="create", state="done", xero_id=f"bill-{expense.id}", xero_number=number,
                            xero_status=status, completed_at=dt.datetime(2026, 3, 5, tzinfo=dt.timezone.utc)))
    db.session.add(XeroDocument(tenant_id="t-1", xero_id=f"bill-{expense.id}", expense_id=expense.id,
                                number=number, status=status))
    expense.xero_status = status
    db.session.commit()


@pytest.fixture
def books(app):
    """Two budgets, two suppliers, five expenses; one paid, one sent to Xero."""
    website, launch = make_budget("Website"), make_budget("Launch party", currency="NZD")
    photos, caterer = make_company("Photo Stock Inc"), make_company("Fine Food Ltd")
    expenses = {
        "stock": make_expense(website, description="Stock photos", supplier=photos, date=dt.date(2026, 3, 1)),
        "fonts": make_expense(website, description="Font licence", supplier=photos, date=dt.date(2026, 3, 9),
                              reference="FL-77"),
        "hosting": make_expense(website, description="Hosting", date=dt.date(2026, 2, 1)),
        "food": make_expense(launch, amount="1234.50", description="Canapés", supplier=caterer,
                             date=dt.date(2026, 3, 20)),
        "drinks": make_expense(launch, description="Drinks", supplier=caterer, date=dt.date(2026, 3, 15)),
    }
    expenses["drinks"].payment_status = "paid"
    db.session.commit()
    mark_sent(expenses["fonts"], "FL-77")
    return {"website": website, "launch": launch, "photos": photos, "caterer": caterer, **expenses}


def test_every_budgets_expenses_newest_first(member, books):
    response = member.get("/expenses")
    assert response.status_code == 200
    assert rows(response) == ["Canapés", "Drinks", "Font licence", "Stock photos", "Hosting"]
    body = table(response)
    assert "Launch party" in body and "Website" in body and "Fine Food Ltd" in body
    assert "NZ$1,234.50" in body and "Mar 20, 2026" in body
    page = response.get_data(as_text=True)
    assert f'href="/budgets/{books["launch"].id}"' in page
    assert "5 expenses" in page_text(response)


def test_the_main_navigation_has_expenses_between_budgets_and_clients(member, books):
    page = member.get("/expenses").get_data(as_text=True)
    nav = page.split('<nav class="mainnav"')[1].split("</nav>")[0]
    assert nav.index(">Budgets<") < nav.index(">Expenses<") < nav.index(">Clients<")
    assert re.search(r'href="/expenses" aria-current="page">Expenses<', nav)
    other = member.get("/budgets").get_data(as_text=True).split('<nav class="mainnav"')[1].split("</nav>")[0]
    assert not re.search(r'href="/expenses" aria-current', other)


@pytest.mark.parametrize("query, expected", [
    ("budget={website}", ["Font licence", "Stock photos", "Hosting"]),
    ("supplier={caterer}", ["Canapés", "Drinks"]),
    ("payment=paid", ["Drinks"]),
    ("payment=unpaid", ["Canapés", "Font licence", "Stock photos", "Hosting"]),
    ("xero=sent", ["Font licence"]),
    ("xero=not_sent", ["Canapés", "Drinks", "Stock photos", "Hosting"]),
    ("budget={website}&supplier={photos}&xero=not_sent", ["Stock photos"]),
])
def test_each_filter_narrows_and_keeps_its_value(member, books, query, expected):
    ids = {"website": books["website"].id, "caterer": books["caterer"].id, "photos": books["photos"].id}
    query = query.format(**ids)
    response = member.get(f"/expenses?{query}")
    assert response.status_code == 200 and rows(response) == expected
    for name, value in (pair.split("=") for pair in query.split("&")):
        assert selected(response, name) == value
    assert "Clear filters" in page_text(response) and "Some filters were not used" not in page_text(response)


def test_a_filter_matching_nothing_says_so(member, books):
    response = member.get(f"/expenses?budget={books['launch'].id}&xero=sent")
    assert response.status_code == 200
    assert "No expenses match these filters. Show every expense" in page_text(response)


@pytest.mark.parametrize("query, field, message", [
    ("budget=abc", "Budget", "Choose a budget from the list."),
    ("budget=0", "Budget", "Choose a budget from the list."),
    ("budget=99999999999999999999", "Budget", "Choose a budget from the list."),
    ("budget=%D9%A1", "Budget", "Choose a budget from the list."),  # Arabic-Indic one is not an id
    ("budget=424242", "Budget", "Choose a budget from the list."),  # no such budget (a deleted one)
    ("supplier=-1", "Supplier", "Choose a supplier from the list."),
    ("payment=overdue", "Payment", "Choose a payment status from the list."),
    ("xero=maybe", "Xero", "Choose sent or not sent from the list."),
])
def test_a_bad_filter_is_left_out_and_says_why(member, books, query, field, message):
    response = member.get(f"/expenses?{query}&payment=paid" if "payment" not in query else f"/expenses?{query}")
    assert response.status_code == 200
    words = page_text(response)
    assert f"Some filters were not used: {field}: {message}" in words
    assert f'<small class="error">{message}</small>' in html.unescape(response.get_data(as_text=True))
    # The other filters still apply; the bad one is not carried into page links.
    assert rows(response) == (["Drinks"] if "payment" not in query else
                              ["Canapés", "Drinks", "Font licence", "Stock photos", "Hosting"])


def test_a_bad_page_number_is_the_first_page_or_a_404(member, books):
    assert rows(member.get("/expenses?page=abc")) == rows(member.get("/expenses"))
    assert member.get("/expenses?page=99999999").status_code == 404
    past = member.get("/expenses?page=7")
    assert past.status_code == 200 and "No expenses on this page. Go to the first page" in page_text(past)


def test_pages_carry_the_filters(app, member, books):
    app.config["EXPENSES_PER_PAGE"] = 2
    first = member.get(f"/expenses?budget={books['website'].id}")
    assert rows(first) == ["Font licence", "Stock photos"]
    assert "Page 1 of 2" in page_text(first)
    link = re.search(r'href="([^"]+)"[^>]*rel="next"', first.get_data(as_text=True)).group(1)
    assert html.unescape(link) == f"/expenses?page=2&budget={books['website'].id}"
    second = member.get(html.unescape(link))
    assert rows(second) == ["Hosting"] and selected(second, "budget") == str(books["website"].id)


def test_htmx_gets_the_table_alone(member, books):
    response = member.get("/expenses?payment=paid", headers=HX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.lstrip().startswith('<section id="expense-table"')
    assert "<html" not in page and rows(response) == ["Drinks"]
    assert "HX-Request" in response.headers.get("Vary", "")


def test_the_query_count_does_not_grow_with_the_rows(member, app):
    def queries() -> int:
        with counting_queries() as statements:
            assert member.get("/expenses").status_code == 200
        return len(statements)

    budget = make_budget("One")
    mark_sent(make_expense(budget, supplier=make_company("Supplier 0")), "B-0")
    few = queries()
    for n in range(1, 12):
        expense = make_expense(make_budget(f"Budget {n}"), supplier=make_company(f"Supplier {n}"))
        if n % 3 == 0:
            mark_sent(expense, f"B-{n}")
    assert queries() == few


def test_empty_state_without_budgets_says_to_start_one(member):
    response = member.get("/expenses")
    words = page_text(response)
    assert response.status_code == 200 and "No expenses yet" in words
    assert "open a budget and press Add expense" in words
    assert 'href="/budgets/new"' in response.get_data(as_text=True) and "<table" not in response.get_data(as_text=True)


def test_empty_state_with_a_budget_points_to_the_budgets(member):
    make_budget("Website")
    response = member.get("/expenses")
    assert "No expenses yet" in page_text(response)
    assert '<a class="button primary" href="/budgets">Open a budget</a>' in response.get_data(as_text=True)


def test_without_xero_the_column_shows_the_bills_sent_and_nothing_to_tick(member, books):
    response = member.get("/expenses")
    page = response.get_data(as_text=True)
    fonts = re.search(r'<tr id="expense-row-%d">.*?</tr>' % books["fonts"].id, page, re.S).group(0)
    assert "FL-77" in fonts and 'badge-xero-authorised' in fonts and "Awaiting Payment" in fonts
    stock = re.search(r'<tr id="expense-row-%d">.*?</tr>' % books["stock"].id, page, re.S).group(0)
    assert "Not sent" in stock and "Send to Xero" not in stock
    assert 'name="expense_ids"' not in page and "Send selected to Xero" not in page


def test_the_page_needs_a_login(client, books):
    response = client.get("/expenses")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_expense_without_supplier_or_reference_still_lists(member):
    budget = make_budget("Misc")
    add(make_expense(budget, description="Taxi"))
    response = member.get("/expenses")
    assert rows(response) == ["Taxi"]
