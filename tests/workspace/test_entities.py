"""Settings > Billing entities: the list (members too), add, edit (details, logo, currency,
numbering with its live example), the checks at the field, and deleting an unused entity."""
import datetime as dt
import re
from io import BytesIO

import pytest
from PIL import Image

from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.models import BillingEntity, Budget, Company, XeroConnection, XeroSettings, utcnow
from bridge.workspace.organisation_forms import MAX_LOGO_BYTES
from tests.workspace.conftest import add, count, field_errors, make_company

YEAR = dt.date.today().year
UK = {
    "name": "Harbour & Pine Ltd", "address": "4 Mill Lane\nBristol BS1 4DJ", "tax_number": "GB 987 6543 21",
    "bank_details": "Sort code 20-00-00, account 12345678", "payment_terms": "Payment within 14 days.",
    "base_currency": "GBP", "invoice_number_pattern": "UK-{year}-{seq:04}",
    "credit_note_number_pattern": "UK-CN-{year}-{seq:04}",
}


def image_bytes(kind: str = "PNG", size=(120, 40)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (37, 99, 235)).save(buffer, kind)
    return buffer.getvalue()


def post(client, url="/settings/entities/new", logo: bytes | None = None, filename="logo.png", **values):
    data = {**UK, **values}
    if logo is not None:
        data["logo"] = (BytesIO(logo), filename)
    return client.post(url, data=data, content_type="multipart/form-data")


def edit_url(entity) -> str:
    return f"/settings/entities/{entity.id}/edit"


def make_entity(name="Harbour & Pine Ltd", **values) -> BillingEntity:
    return add(BillingEntity(name=name, base_currency=values.pop("base_currency", "GBP"),
                             invoice_number_pattern=values.pop("invoice_number_pattern", "UK-{year}-{seq:04}"),
                             credit_note_number_pattern=values.pop("credit_note_number_pattern", "UK-CN-{year}-{seq:04}"),
                             **values))


@pytest.fixture
def first():
    entity = first_entity()
    db.session.commit()
    return entity


def test_the_settings_index_links_to_the_list(admin):
    page = admin.get("/settings").get_data(as_text=True)
    assert '<a href="/settings/entities">Billing entities</a>' in page


def test_the_list_shows_currency_first_numbers_and_xero_organisation(admin, first):
    uk = make_entity()
    add(XeroConnection(tenant_id="t-uk", tenant_name="Harbour UK (Xero)", entity_id=uk.id, connection_id="c-1",
                       access_token_encrypted="x", refresh_token_encrypted="x", access_token_expires_at=utcnow()))
    page = admin.get("/settings/entities").get_data(as_text=True)
    assert f'<a href="/settings/entities/{first.id}/edit">My agency</a>' in page
    assert f"{YEAR}-0001" in page and f"CN-{YEAR}-0001" in page
    assert f"UK-{YEAR}-0001" in page and f"UK-CN-{YEAR}-0001" in page and "<td>GBP</td>" in page
    assert "Harbour UK (Xero)" in page and page.count("Not connected") == 1
    assert 'href="/settings/entities/new"' in page


def test_members_see_the_list_but_change_nothing(member, first):
    page = member.get("/settings/entities").get_data(as_text=True)
    assert member.get("/settings/entities").status_code == 200 and "My agency" in page
    assert "/settings/entities/new" not in page and f"{edit_url(first)}" not in page
    assert member.get("/settings/entities/new").status_code == 403
    assert post(member).status_code == 403
    assert member.get(edit_url(first)).status_code == 403
    assert post(member, edit_url(first)).status_code == 403
    assert member.post(f"/settings/entities/{first.id}/delete").status_code == 403
    assert member.get(f"/settings/entities/{first.id}/logo").status_code == 403
    assert count(BillingEntity) == 1 and first_entity().name == "My agency"


def test_an_entity_is_added_with_all_its_details_and_logo(admin, first):
    logo = image_bytes()
    response = post(admin, logo=logo)
    assert response.status_code == 302 and response.headers["Location"] == "/settings/entities"
    uk = db.session.scalar(db.select(BillingEntity).filter_by(name="Harbour & Pine Ltd"))
    assert (uk.address, uk.tax_number, uk.base_currency) == ("4 Mill Lane\nBristol BS1 4DJ", "GB 987 6543 21", "GBP")
    assert (uk.bank_details, uk.payment_terms) == ("Sort code 20-00-00, account 12345678", "Payment within 14 days.")
    assert (uk.invoice_number_pattern, uk.credit_note_number_pattern) == ("UK-{year}-{seq:04}", "UK-CN-{year}-{seq:04}")
    assert (uk.logo, uk.logo_type) == (logo, "image/png")
    page = admin.get(edit_url(uk)).get_data(as_text=True)
    assert f'src="/settings/entities/{uk.id}/logo"' in page and "Harbour &amp; Pine Ltd" in page
    served = admin.get(f"/settings/entities/{uk.id}/logo")
    assert served.data == logo and served.mimetype == "image/png"


def test_the_new_form_offers_defaults_and_the_live_examples(admin, first):
    page = admin.get("/settings/entities/new").get_data(as_text=True)
    assert 'value="{year}-{seq:04}"' in page and 'value="CN-{year}-{seq:04}"' in page
    assert 'hx-get="/settings/invoices/example"' in page
    assert 'hx-target="#number-example"' in page and 'hx-target="#credit-note-number-example"' in page
    assert '<option selected value="EUR">' in page  # the configured base currency


def test_editing_changes_the_same_entity(admin, first):
    response = post(admin, edit_url(first), name="Harbour & Pine Studio", invoice_number_pattern=" INV-{year}/{seq:05} ",
                    credit_note_number_pattern="CR-{seq}", base_currency="NZD")
    assert response.status_code == 302
    db.session.expire_all()
    rows = db.session.scalars(db.select(BillingEntity)).all()
    assert [(r.id, r.name, r.invoice_number_pattern, r.credit_note_number_pattern, r.base_currency) for r in rows] == [
        (first.id, "Harbour & Pine Studio", "INV-{year}/{seq:05}", "CR-{seq}", "NZD")]
    assert f"INV-{YEAR}/00001" in admin.get(edit_url(first)).get_data(as_text=True)


def test_saving_without_a_file_keeps_the_logo_and_remove_drops_it(admin, first):
    post(admin, edit_url(first), logo=image_bytes("JPEG"), filename="logo.jpg")
    assert first_entity().logo_type == "image/jpeg"
    post(admin, edit_url(first), name="Renamed")
    db.session.expire_all()
    assert first_entity().logo_type == "image/jpeg"
    post(admin, edit_url(first), remove_logo="y")
    db.session.expire_all()
    assert first_entity().logo is None and first_entity().logo_type is None
    assert admin.get(f"/settings/entities/{first.id}/logo").status_code == 404


@pytest.mark.parametrize("logo, filename, message", [
    (b"x" * (MAX_LOGO_BYTES + 1), "big.png", "The logo is larger than 512 KB"),
    (b"%PDF-1.4 not an image", "logo.png", "That file is not a PNG or JPEG image."),
    (image_bytes("GIF"), "logo.gif", "That is a GIF image: upload a PNG or JPEG."),
    (image_bytes("PNG", (5000, 10)), "wide.png", "The logo is 5000 x 10 pixels"),
])
def test_a_bad_logo_is_refused_at_the_field(admin, first, logo, filename, message):
    response = post(admin, edit_url(first), logo=logo, filename=filename)
    assert response.status_code == 422
    assert any(error.startswith(message) for error in field_errors(response)), field_errors(response)
    db.session.expire_all()
    assert first_entity().logo is None and first_entity().name == "My agency"  # nothing saved
    assert 'value="Harbour &amp; Pine Ltd"' in response.get_data(as_text=True)  # what was typed stays


@pytest.mark.parametrize("field, value, message", [
    ("name", "  ", "Give the name invoices are issued under."),
    ("name", "my AGENCY", "A billing entity named my AGENCY already exists."),
    ("base_currency", "XYZ", None),
    ("invoice_number_pattern", "", "Enter a pattern, e.g. {year}-{seq:04}."),
    ("invoice_number_pattern", "INV-{year}", "The pattern must contain {seq} (or {seq:04} to pad to four digits)."),
    ("invoice_number_pattern", "{seq}-{month}", "Only {year} and {seq} (optionally {seq:04}) may appear in braces."),
    ("invoice_number_pattern", "{seq}" + "x" * 56, "Field cannot be longer than 60 characters."),
    ("invoice_number_pattern", "{year}-{seq:04}",
     "My agency already numbers with this pattern: give each entity its own, e.g. HPL-{year}-{seq:04}"),
    ("invoice_number_pattern", "{year}-{seq:4}",  # the same numbers, written differently
     "My agency already numbers with this pattern: give each entity its own, e.g. HPL-{year}-{seq:04}"),
    ("credit_note_number_pattern", "", "Enter a pattern, e.g. CN-{year}-{seq:04}."),
    ("credit_note_number_pattern", "CN-{year}-{seq:04}",
     "My agency already numbers with this pattern: give each entity its own, e.g. HPL-CN-{year}-{seq:04}"),
])
def test_bad_input_is_refused_at_the_field_and_kept(admin, first, field, value, message):
    response = post(admin, **{field: value})
    assert response.status_code == 422
    errors = field_errors(response)
    assert len(errors) == 1 and (message is None or errors == [message]), errors
    assert count(BillingEntity) == 1
    page = response.get_data(as_text=True)
    assert "4 Mill Lane" in page and "Sort code 20-00-00" in page  # the rest of what was typed stays
    if field.endswith("_pattern"):  # no example of numbers a refused pattern will not give
        kind = "invoice" if field.startswith("invoice") else "credit note"
        assert f"The first {kind} of" not in page


def test_an_entity_may_keep_its_own_pattern(admin, first):
    uk = make_entity()
    assert post(admin, edit_url(uk), address="New address").status_code == 302
    assert post(admin, edit_url(first), **{k: getattr(first, k) for k in
                                          ("name", "invoice_number_pattern", "credit_note_number_pattern")},
                base_currency="EUR").status_code == 302


def test_live_example_follows_the_typed_pattern(admin, hx):
    good = admin.get("/settings/invoices/example", query_string={"invoice_number_pattern": "X{seq:03}"}, headers=hx)
    text = good.get_data(as_text=True)
    assert good.status_code == 200 and "<html" not in text
    assert re.search(r'<p id="number-example"[^>]*>', text) and "<strong>X001</strong>" in text
    bad = admin.get("/settings/invoices/example", query_string={"invoice_number_pattern": "X"}, headers=hx)
    assert "The pattern must contain {seq}" in bad.get_data(as_text=True)
    credit = admin.get("/settings/invoices/example", query_string={"credit_note_number_pattern": "C{seq}"},
                       headers=hx).get_data(as_text=True)
    assert 'id="credit-note-number-example"' in credit and "first credit note" in credit and "<strong>C1</strong>" in credit
    assert admin.get("/settings/invoices/example").status_code == 302  # without HTMX


def test_an_unused_entity_is_deleted_and_its_clients_go_back_to_the_first(admin, first):
    uk = make_entity()
    add(XeroSettings(entity_id=uk.id))
    client = make_company("Kettle & Co", default_entity_id=uk.id)
    response = admin.post(f"/settings/entities/{uk.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/settings/entities"
    db.session.expire_all()
    assert count(BillingEntity) == 1 and count(XeroSettings) == 0
    assert db.session.get(Company, client.id).default_entity_id is None


def test_an_entity_with_documents_a_connection_or_alone_is_kept_with_the_reason(admin, first):
    page = admin.get(edit_url(first)).get_data(as_text=True)
    assert "it is the workspace&#39;s only billing entity" in page and "/delete" not in page
    admin.post(f"/settings/entities/{first.id}/delete")
    assert count(BillingEntity) == 1
    uk = make_entity()
    add(Budget(name="Bristol office", currency="GBP", entity_id=uk.id))
    add(XeroConnection(tenant_id="t-uk", tenant_name="Harbour UK", entity_id=uk.id, connection_id="c-1",
                       access_token_encrypted="x", refresh_token_encrypted="x", access_token_expires_at=utcnow()))
    response = admin.post(f"/settings/entities/{uk.id}/delete", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Harbour &amp; Pine Ltd cannot be deleted: 1 budget belongs to it; its Xero organisation Harbour UK is connected." in text
    assert count(BillingEntity) == 2
    page = admin.get(edit_url(first)).get_data(as_text=True)
    assert f'action="/settings/entities/{first.id}/delete"' in page  # nothing belongs to the first now


def test_client_form_offers_the_default_entity_only_when_there_are_several(admin, first):
    assert 'name="default_entity_id"' not in admin.get("/clients/new").get_data(as_text=True)
    uk = make_entity()
    page = admin.get("/clients/new").get_data(as_text=True)
    assert f'<option selected value="{first.id}">My agency</option>' in page
    assert f'<option value="{uk.id}">Harbour &amp; Pine Ltd</option>' in page
    response = admin.post("/clients/new", data={"name": "Kettle & Co", "default_currency": "GBP",
                                                "default_entity_id": str(uk.id)})
    assert response.status_code == 302
    kettle = db.session.scalar(db.select(Company).filter_by(name="Kettle & Co"))
    assert kettle.default_entity_id == uk.id
    page = admin.get(f"/clients/{kettle.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{uk.id}">Harbour &amp; Pine Ltd</option>' in page


def test_client_form_refuses_an_unknown_entity_and_keeps_the_rest(admin, first):
    make_entity()
    response = admin.post("/clients/new", data={"name": "Kettle & Co", "email": "ap@kettle.example",
                                                "default_currency": "GBP", "default_entity_id": "999"})
    assert response.status_code == 422
    assert field_errors(response) == ["Choose a billing entity from the list."]
    assert 'value="ap@kettle.example"' in response.get_data(as_text=True) and count(Company) == 0


def test_a_new_budget_takes_its_clients_entity_unless_another_is_picked(admin, first):
    uk = make_entity()
    kettle = make_company("Kettle & Co", default_currency="GBP", default_entity_id=uk.id)
    page = admin.get("/budgets/new").get_data(as_text=True)
    assert "The client&#39;s default entity" in page and f'<option value="{uk.id}">Harbour &amp; Pine Ltd</option>' in page
    admin.post("/budgets/new", data={"name": "Leeds office", "client_id": str(kettle.id), "currency": "GBP",
                                     "entity_id": ""})
    admin.post("/budgets/new", data={"name": "Internal", "client_id": "", "currency": "GBP",
                                     "entity_id": str(uk.id)})
    admin.post("/budgets/new", data={"name": "Wellington", "client_id": "", "currency": "NZD", "entity_id": ""})
    rows = db.session.scalars(db.select(Budget).order_by(Budget.id)).all()
    assert [(b.name, b.entity_id) for b in rows] == [("Leeds office", uk.id), ("Internal", uk.id),
                                                     ("Wellington", first.id)]


def test_a_budget_whose_bills_are_in_xero_stays_with_its_entity(admin, first):
    from tests.workspace.conftest import make_budget, make_expense
    uk = make_entity()
    budget = make_budget("Leeds office", currency="GBP")
    assert budget.entity_id == first.id
    page = admin.get(f"/budgets/{budget.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{first.id}">My agency</option>' in page and "default entity" not in page
    make_expense(budget, xero_status="AUTHORISED")
    response = admin.post(f"/budgets/{budget.id}/edit", data={"name": "Renamed", "currency": "GBP", "client_id": "",
                                                              "entity_id": str(uk.id)})
    assert response.status_code == 422
    assert field_errors(response) == ["1 of its expenses' bill lives in My agency's Xero organisation, "
                                      "so this budget stays with My agency."]
    assert 'value="Renamed"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(Budget, budget.id).name, db.session.get(Budget, budget.id).entity_id) == ("Leeds office", first.id)
    assert admin.post(f"/budgets/{budget.id}/edit", data={"name": "Renamed", "currency": "GBP", "client_id": "",
                                                          "entity_id": str(first.id)}).status_code == 302


def test_a_budget_without_bills_in_xero_moves_to_another_entity(admin, first):
    from tests.workspace.conftest import make_budget, make_expense
    uk = make_entity()
    budget = make_budget("Leeds office", currency="GBP")
    make_expense(budget, xero_status="VOIDED")  # its bill was voided in Xero
    response = admin.post(f"/budgets/{budget.id}/edit", data={"name": "Leeds office", "currency": "GBP",
                                                              "client_id": "", "entity_id": str(uk.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Budget, budget.id).entity_id == uk.id
    page = admin.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert '<span id="budget-entity">Harbour &amp; Pine Ltd</span>' in page
