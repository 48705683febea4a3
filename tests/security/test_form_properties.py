"""Property tests of every form: whatever text lands in its fields (numbers, dates, choices,
markup, control characters, huge or malformed values), the answer is a save (2xx/3xx) or a
422 that says what is wrong, never a 500, and a refused post leaves every table as it was.

The fields are read from the form as the page renders it, so a field added later is
fuzzed too."""
import html
import re

import pytest
from hypothesis import given, strategies as st

from bridge.extensions import db
from bridge.models import Company, Invoice
from tests.invoicing import factories
from tests.security.conftest import snapshot

# (page that shows the form, where it posts); {names} are filled from the workspace's ids.
FORMS = [
    ("/clients/new", "/clients/new"),
    ("/clients/{company_id}/edit", "/clients/{company_id}/edit"),
    ("/settings/service-types", "/settings/service-types/new"),
    ("/settings/tax-rates", "/settings/tax-rates/new"),
    ("/settings/custom-fields", "/settings/custom-fields/new"),
    ("/settings/entities/new", "/settings/entities/new"),
    ("/settings/language", "/settings/language"),
    ("/budgets/new", "/budgets/new"),
    ("/budgets/{budget_id}/expenses/new", "/budgets/{budget_id}/expenses/new"),
    ("/expenses/{expense_id}/edit", "/expenses/{expense_id}/edit"),
    ("/invoices/new", "/invoices/new"),
    ("/invoices/{invoice_id}/edit", "/invoices/{invoice_id}/edit"),
    ("/invoices/{invoice_id}", "/invoices/{invoice_id}/payments"),
    ("/expenses/{expense_id}", "/expenses/{expense_id}/payments"),
    ("/invoices/{invoice_id}/fields/{number_field}/edit", "/invoices/{invoice_id}/fields/{number_field}"),
    ("/invoices/{invoice_id}/fields/{date_field}/edit", "/invoices/{invoice_id}/fields/{date_field}"),
    ("/invoices/{invoice_id}/fields/{select_field}/edit", "/invoices/{invoice_id}/fields/{select_field}"),
]

numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["", " ", "0", "-0", "1,5", "1.005", "1e3", "1E-7", "1_000", "١٢٣", "NaN", "-Infinity",
                     "100.00001", "99999999999999999999.99", "0x10", "12abc", "٣.٥"]),
)
dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(["", "2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "31/12/2026", "2026-1-1",
                     "today", "2026-03-01T10:00", "１２０２６-01-01"]),
)
texts = st.text(max_size=300) | st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40)


def form_html(html: str, page: str, action: str) -> str:
    """The <form> of `page` that posts to `action` (a form without action posts to its page)."""
    for form in re.findall(r"<form\b.*?</form>", html, flags=re.S):
        opening = form.split(">", 1)[0]
        if 'method="post"' not in opening and "hx-post" not in opening:
            continue
        targets = (re.findall(r'action="([^"]*)"', opening) or [page]) + re.findall(r'hx-post="([^"]*)"', opening)
        if action in targets:
            return form
    raise AssertionError(f"no form posts to {action}")


def field_values(form: str) -> dict[str, list[str]]:
    """Each named field of the form with the values the page offers: its current value
    first (the selected option, the input's value, the textarea's text), then the options."""
    fields = {}
    for name, rest in re.findall(r'<input\b[^>]*?name="([^"]+)"([^>]*)', form):
        current = re.search(r'value="([^"]*)"', rest)
        fields[name] = [html.unescape(current.group(1))] if current else [""]
    for name, text in re.findall(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, flags=re.S):
        fields[name] = [html.unescape(text.strip())]
    for name, options in re.findall(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, flags=re.S):
        values = re.findall(r'<option([^>]*)value="([^"]*)"([^>]*)>', options)
        chosen = [v for before, v, after in values if "selected" in before + after]
        fields[name] = [html.unescape(v) for v in chosen + [v for _, v, _ in values]] or [""]
    return {name: offered for name, offered in fields.items() if not name.endswith("csrf_token")}


def posts(fields: dict[str, list[str]]):
    """The form as the page filled it, with up to three fields given a number, a date, text,
    another offered value, or left out."""
    def fuzzed(offered):
        return st.one_of(numbers, dates, texts, st.sampled_from(offered), st.none())

    @st.composite
    def post(draw):
        data = {name: offered[0] for name, offered in fields.items()}
        for name in draw(st.sets(st.sampled_from(sorted(fields)), min_size=1, max_size=3)):
            data[name] = draw(fuzzed(fields[name]))
        return {name: value for name, value in data.items() if value is not None}

    return post()


def invoices_add_up() -> None:
    """Every invoice's totals are the sums of its lines (no half-saved invoice)."""
    db.session.expire_all()
    for invoice in db.session.scalars(db.select(Invoice)):
        assert invoice.subtotal == sum(line.net_amount for line in invoice.lines)
        assert invoice.total == invoice.subtotal + invoice.tax_total


@pytest.fixture
def form_ids(ids):
    invoice = db.session.get(Invoice, ids["invoice_id"])
    for name, kind, options in [("number_field", "number", None), ("date_field", "date", None),
                                ("select_field", "select", ["North", "South"])]:
        ids[name] = factories.custom_field(f"Fuzz {kind}", kind, options).id
    assert invoice is not None
    return ids


@pytest.mark.parametrize("page, action", FORMS, ids=[action for _, action in FORMS])
def test_any_input_is_saved_or_refused_with_a_message(admin, form_ids, page, action, hx):
    page, action = page.format(**form_ids), action.format(**form_ids)
    html = admin.get(page, headers=hx if "/fields/" in page else {}).get_data(as_text=True)
    fields = field_values(form_html(html, page, action))
    assert fields, f"{action}: no fields found"
    seen = set()

    @given(data=posts(fields), htmx=st.booleans())
    def check(data, htmx):
        before = snapshot()
        response = admin.post(action, data=data, headers=hx if htmx else {})
        seen.add(response.status_code)
        assert response.status_code < 500, f"{action} {data!r}"
        if response.status_code >= 400:
            assert response.status_code == 422, f"{action} {data!r}: {response.status_code}"
            body = response.get_data(as_text=True)
            assert 'class="error' in body or "alert" in body, f"{action} {data!r}: no message"
            assert snapshot() == before, f"{action} {data!r}: refused but saved"
        invoices_add_up()

    check()
    print(action, sorted(seen))


@pytest.mark.parametrize("service_type_id", [" ", "1.5"])
@pytest.mark.parametrize("path", ["/invoices/new", "/invoices/{invoice_id}/edit", "/invoices/preview"])
def test_a_line_with_a_service_type_that_is_no_id_is_refused_not_a_500(admin, ids, path, service_type_id):
    """Found by the property test above: the totals preview read the id before checking it."""
    before = snapshot()
    response = admin.post(path.format(**ids), data={
        "client_id": str(ids["company_id"]), "subject": "S", "currency": "EUR", "issue_date": "2026-03-01",
        "due_date": "2026-03-31", "lines-0-description": "L", "lines-0-quantity": "2",
        "lines-0-unit_price": "50", "lines-0-service_type_id": service_type_id})
    assert response.status_code in (200, 422)
    if path != "/invoices/preview":
        assert response.status_code == 422 and "Pick a service type from the list." in response.get_data(as_text=True)
    assert snapshot() == before


def test_nul_characters_are_dropped_from_what_is_posted_or_searched(admin, ids):
    """Found on PostgreSQL by the property test above: its text columns refuse NUL, so a NUL
    in any field gave a 500. No one types one; Bridge drops them from every form and query."""
    saved = admin.post("/clients/new", data={"name": "Nul\x00 Ltd", "default_currency": "EUR"})
    assert saved.status_code == 302
    assert db.session.scalar(db.select(Company.name).where(Company.name.like("Nul%"))) == "Nul Ltd"
    assert admin.get("/clients", query_string={"q": "Nul\x00"}).status_code == 200
    assert admin.get("/", query_string={"q": "\x00"}).status_code == 200
    assert admin.post("/settings/service-types/new", data={"new-name": "\x00"}).status_code == 422
    assert admin.get("/marketplace/xero/organisations/a%00b").status_code == 404
