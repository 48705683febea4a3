"""Settings > Language and region (the locale, workspace-wide), and the old Settings > Organisation
URLs, which lead to the billing entities that now hold the organisation's details."""
from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.models import BillingEntity, WorkspaceSettings
from tests.workspace.conftest import add, field_errors


def test_the_settings_index_links_to_it(admin):
    page = admin.get("/settings").get_data(as_text=True)
    assert '<a href="/settings/language">Language and region</a>' in page
    assert 'href="/settings/organisation"' not in page


def test_members_may_not_see_or_change_it(member):
    assert member.get("/settings/language").status_code == 403
    assert member.post("/settings/language", data={"locale": "en_GB"}).status_code == 403
    assert member.get("/settings/organisation").status_code == 403
    assert member.get("/settings/organisation/logo").status_code == 403
    assert db.session.get(WorkspaceSettings, 1) is None


def test_the_locale_is_saved(admin):
    response = admin.post("/settings/language", data={"locale": "en_GB"})
    assert response.status_code == 302 and response.headers["Location"] == "/settings/language"
    assert db.session.get(WorkspaceSettings, 1).locale == "en_GB"
    page = admin.get("/settings/language").get_data(as_text=True)
    assert '<option selected value="en_GB">' in page


def test_an_unknown_locale_is_refused_at_the_field(admin):
    response = admin.post("/settings/language", data={"locale": "xx_NOPE"})
    assert response.status_code == 422
    assert field_errors(response) == ["Choose a language and region from the list."]
    assert db.session.get(WorkspaceSettings, 1) is None


def test_the_old_organisation_page_opens_the_only_entity_or_the_list(admin):
    entity = first_entity()
    db.session.commit()
    response = admin.get("/settings/organisation")
    assert response.status_code == 302 and response.headers["Location"] == f"/settings/entities/{entity.id}/edit"
    add(BillingEntity(name="Harbour & Pine Ltd", base_currency="GBP", invoice_number_pattern="UK-{year}-{seq:04}",
                      credit_note_number_pattern="UK-CN-{year}-{seq:04}"))
    assert admin.get("/settings/organisation").headers["Location"] == "/settings/entities"
    assert admin.get("/settings/invoices").headers["Location"] == "/settings/entities"


def test_the_old_logo_url_leads_to_the_first_entitys_logo(admin):
    entity = first_entity()
    db.session.commit()
    response = admin.get("/settings/organisation/logo")
    assert response.status_code == 302 and response.headers["Location"] == f"/settings/entities/{entity.id}/logo"
