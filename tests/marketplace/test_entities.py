"""Several billing entities, one Xero organisation each, against the sandbox over real HTTP: one
consent assigns NZ and AU to two entities; the refusals (two organisations for one entity, an
organisation another entity uses); each entity's wizard, card and bin; disconnecting one entity
leaves the other's access (and its token set) working."""
import re

import pytest
import requests
from sqlalchemy import select

from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.models import (
    BillingEntity,
    ServiceTypeAccount,
    XeroConnection,
    XeroPendingConsent,
    XeroSettings,
)
from bridge.xero.api.client import XeroClient
from bridge.xero.api.tokens import TokenCipher
from tests.live import SANDBOX_CLIENT
from tests.marketplace.conftest import AU, AU_TENANT, NZ, NZ_TENANT, sandbox_connections
from tests.workspace.conftest import count, make_service_type


@pytest.fixture
def studio(app) -> BillingEntity:
    """A second billing entity (the first, "My agency", has id 1)."""
    first_entity()
    entity = BillingEntity(name="Studio AU", base_currency="AUD")
    db.session.add(entity)
    db.session.commit()
    return entity


def rows() -> dict[int, XeroConnection]:
    db.session.expire_all()
    return {row.entity_id: row for row in db.session.scalars(select(XeroConnection))}


def tokens_of(app, row: XeroConnection) -> dict:
    cipher = TokenCipher(app.config["XERO_TOKEN_KEY"])
    return {"access": cipher.decrypt(row.access_token_encrypted),
            "refresh": cipher.decrypt(row.refresh_token_encrypted)}


def connect_both(xero, studio):
    """One consent ticking NZ and AU, started on the studio's card: NZ for My agency, AU for the studio."""
    response = xero.connect(tick=[NZ, AU], entity=studio.id)
    assert response.status_code == 302
    answer = xero.assign({NZ: 1, AU: studio.id})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer


def test_one_consent_connects_two_entities_with_one_token_set(xero, admin, studio, app):
    response = xero.connect(tick=[NZ, AU], entity=studio.id)
    pending = db.session.scalar(select(XeroPendingConsent))
    assert response.headers["Location"] == f"/marketplace/xero/organisations/{pending.id}?entity={studio.id}"
    screen = admin.get(response.headers["Location"]).get_data(as_text=True)
    # One select per organisation; the first new one is preselected for the card's entity.
    selects = dict(re.findall(r'<select id="use-([0-9a-f-]+)".*?<option selected value="([^"]*)"', screen, re.S))
    first_listed = pending.tenants[0]["tenant_id"]
    assert selects == {first_listed: str(studio.id),
                       ({NZ_TENANT, AU_TENANT} - {first_listed}).pop(): ""}
    assert "Use for My agency" in screen and "Use for Studio AU" in screen and "Don&#39;t use" in screen

    answer = xero.assign({NZ: 1, AU: studio.id})
    assert answer.headers["Location"] == "/settings/marketplace"
    page = admin.get("/settings/marketplace").get_data(as_text=True)
    assert "Connected to Demo Company (NZ) for My agency." in page
    assert "Connected to Demo Company (AU) for Studio AU." in page
    stored = rows()
    assert {e: r.tenant_id for e, r in stored.items()} == {1: NZ_TENANT, studio.id: AU_TENANT}
    assert stored[1].auth_event_id == stored[studio.id].auth_event_id is not None
    assert tokens_of(app, stored[1])["refresh"] == tokens_of(app, stored[studio.id])["refresh"]
    settings = {s.entity_id: s.tenant_id for s in db.session.scalars(select(XeroSettings))}
    assert settings == {1: NZ_TENANT, studio.id: AU_TENANT}
    assert count(XeroPendingConsent) == 0
    # Both stay connected at Xero (nothing "unused" to disconnect).
    listed = sandbox_connections(xero.sandbox, tokens_of(app, stored[1])["access"]).json()
    assert {c["tenantId"] for c in listed} == {NZ_TENANT, AU_TENANT}

    # Two cards, each with its own organisation and its own URLs.
    assert page.count('class="card app-card"') == 2
    assert "Xero <span class=\"app-entity\">· My agency</span>" in page
    assert "Xero <span class=\"app-entity\">· Studio AU</span>" in page
    assert "Connected to “Demo Company (NZ)”" in page and "Connected to “Demo Company (AU)”" in page
    assert f'href="/marketplace/xero/{studio.id}/setup"' in page and 'href="/marketplace/xero/1/setup"' in page
    assert f'hx-get="/marketplace/xero/{studio.id}/disconnect"' in page
    assert 'id="app-xero"' in page and f'id="app-xero-{studio.id}"' in page


def test_two_organisations_for_one_entity_are_refused_at_the_field_keeping_the_choices(xero, admin, studio):
    xero.connect(tick=[NZ, AU], entity=studio.id)
    answer = xero.assign({NZ: studio.id, AU: studio.id})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Studio AU is chosen for" in page and "an entity uses one organisation." in page
    # Both selects still say what was chosen; nothing was stored and the consent waits.
    assert len(re.findall(rf'<option selected value="{studio.id}">Use for Studio AU</option>', page)) == 2
    assert 'aria-invalid="true"' in page
    assert count(XeroConnection) == 0 and count(XeroSettings) == 0 and count(XeroPendingConsent) == 1
    # Fixed, the same consent connects.
    assert xero.assign({NZ: 1, AU: studio.id}).status_code == 302
    assert set(rows()) == {1, studio.id}


def test_an_organisation_another_entity_uses_is_refused(xero, admin, studio, app):
    xero.connect(tick=[NZ])  # My agency: NZ
    before = tokens_of(app, rows()[1])

    # The studio's card, consenting to NZ alone: refused, nothing stored or changed.
    response = xero.connect(tick=[NZ], entity=studio.id)
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Demo Company (NZ) is already connected to My agency." in page
    assert "Nothing was connected." in page
    assert set(rows()) == {1} and tokens_of(app, rows()[1]) == before
    assert db.session.scalar(select(XeroSettings).where(XeroSettings.entity_id == studio.id)) is None

    # In a consent of several: refused at NZ's field.
    xero.connect(tick=[NZ, AU], entity=studio.id)
    screen = admin.get(f"/marketplace/xero/organisations/{db.session.scalar(select(XeroPendingConsent)).id}")
    # NZ is preselected for the entity it serves, AU (new) for the studio.
    assert '<option selected value="1">Use for My agency</option>' in screen.get_data(as_text=True)
    answer = xero.assign({NZ: studio.id, AU: None})
    assert answer.status_code == 422
    assert "Demo Company (NZ) is already connected to My agency." in answer.get_data(as_text=True)
    assert set(rows()) == {1} and count(XeroPendingConsent) == 1


def test_an_organisation_left_unused_is_disconnected_at_xero_unless_another_entity_uses_it(xero, admin, studio, app):
    xero.connect(tick=[NZ])  # My agency: NZ, from an earlier consent
    nz_tokens = tokens_of(app, rows()[1])
    xero.connect(tick=[NZ, AU], entity=studio.id)
    # AU for the studio; NZ not used by this consent: My agency's NZ connection must survive.
    assert xero.assign({AU: studio.id}).status_code == 302
    stored = rows()
    assert {e: r.tenant_id for e, r in stored.items()} == {1: NZ_TENANT, studio.id: AU_TENANT}
    assert tokens_of(app, stored[1]) == nz_tokens
    with XeroClient(NZ_TENANT) as client:
        assert client.get_organisation()["Name"] == NZ


def test_disconnecting_one_entity_leaves_the_other_working_and_its_tokens_unrevoked(xero, admin, studio, app):
    connect_both(xero, studio)
    au_tokens = tokens_of(app, rows()[studio.id])

    response = admin.post("/marketplace/xero/1/disconnect")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Disconnected from Demo Company (NZ). Bridge&#39;s access for My agency was ended" in page
    stored = rows()
    assert set(stored) == {studio.id} and tokens_of(app, stored[studio.id]) == au_tokens
    revocations = requests.get(f"{xero.sandbox.url}/_sandbox/requests", timeout=10,
                               params={"path_prefix": "/connect/revocation"}).json()["requests"]
    assert revocations == []  # the studio still uses the token set
    # A real call for the studio still works, and Xero lists AU (only) for the token set.
    with XeroClient(AU_TENANT) as client:
        assert client.get_organisation()["Name"] == AU
    listed = sandbox_connections(xero.sandbox, au_tokens["access"]).json()
    assert [c["tenantId"] for c in listed] == [AU_TENANT]
    # The refresh token is alive: Xero still trades it.
    refreshed = requests.post(f"{xero.sandbox.url}/connect/token", timeout=10,
                              data={"grant_type": "refresh_token", "refresh_token": au_tokens["refresh"]},
                              auth=(SANDBOX_CLIENT["id"], SANDBOX_CLIENT["secret"]))
    assert refreshed.status_code == 200, refreshed.text
    card = admin.get("/settings/marketplace").get_data(as_text=True)
    assert "Connected to “Demo Company (AU)”" in card and "Connected to “Demo Company (NZ)”" not in card
    # My agency keeps its settings for a reconnect to NZ.
    assert db.session.scalar(select(XeroSettings.tenant_id).where(XeroSettings.entity_id == 1)) == NZ_TENANT


def test_disconnecting_the_last_entity_of_a_token_set_revokes_it(xero, admin, studio):
    connect_both(xero, studio)
    admin.post("/marketplace/xero/1/disconnect")
    admin.post(f"/marketplace/xero/{studio.id}/disconnect")
    assert count(XeroConnection) == 0
    revocations = requests.get(f"{xero.sandbox.url}/_sandbox/requests", timeout=10,
                               params={"path_prefix": "/connect/revocation"}).json()["requests"]
    assert len(revocations) == 1


def test_each_entity_has_its_own_wizard_and_mappings(xero, admin, studio):
    design = make_service_type("Design")
    connect_both(xero, studio)
    page = admin.get(f"/marketplace/xero/{studio.id}/setup").get_data(as_text=True)
    assert "Studio AU is connected to “Demo Company (AU)”" in page
    assert f'action="/marketplace/xero/{studio.id}/setup"' in page
    data = {"invoice_numbers_by": "xero", "pdfs_by": "xero", "initial_status": "AUTHORISED",
            "reference_from": "purchase_order_number", "default_revenue_account_code": "200",
            f"revenue_account_{design.id}": "200"}
    response = admin.post(f"/marketplace/xero/{studio.id}/setup", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    settings = {s.entity_id: s for s in db.session.scalars(select(XeroSettings))}
    assert settings[studio.id].configured_at is not None and settings[studio.id].initial_status == "AUTHORISED"
    assert settings[1].configured_at is None and settings[1].initial_status == "DRAFT"
    mappings = [(m.entity_id, m.service_type_id, m.revenue_account_code)
                for m in db.session.scalars(select(ServiceTypeAccount))]
    assert mappings == [(studio.id, design.id, "200")]
    card = admin.get("/settings/marketplace").get_data(as_text=True)
    # My agency's card still asks to finish its setup; the studio's does not.
    assert card.count("The setup is not finished") == 1
    assert 'href="/marketplace/xero/1/setup">Finish the setup</a>' in card


def test_reconnecting_an_entity_to_another_organisation_replaces_only_its_connection(xero, admin, studio):
    xero.connect(tick=[NZ])  # My agency: NZ
    xero.connect(tick=[AU], entity=studio.id)  # the studio: AU
    assert {e: r.tenant_id for e, r in rows().items()} == {1: NZ_TENANT, studio.id: AU_TENANT}
    admin.post(f"/marketplace/xero/{studio.id}/disconnect")
    admin.post("/marketplace/xero/1/disconnect")
    # My agency now takes AU: its settings start fresh; the studio's settings (for AU) stay put.
    response = xero.connect(tick=[AU], entity=1)
    assert response.headers["Location"] == "/marketplace/xero/1/setup"
    assert {e: r.tenant_id for e, r in rows().items()} == {1: AU_TENANT}
    settings = {s.entity_id: s.tenant_id for s in db.session.scalars(select(XeroSettings))}
    assert settings == {1: AU_TENANT, studio.id: AU_TENANT}


def test_an_unknown_entity_is_404(xero, admin):
    assert admin.get("/marketplace/xero/99/setup").status_code == 404
    assert admin.get("/marketplace/xero/99/connect").status_code == 404
    assert admin.post("/marketplace/xero/99/disconnect").status_code == 404
    assert admin.post("/marketplace/xero/99/sync").status_code == 404


def test_the_urls_without_an_entity_mean_the_first_one(xero, admin, studio):
    connect_both(xero, studio)
    page = admin.get("/marketplace/xero/setup").get_data(as_text=True)
    assert "My agency is connected to “Demo Company (NZ)”" in page
    assert 'action="/marketplace/xero/1/setup"' in page
    dialog = admin.get("/marketplace/xero/disconnect", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Disconnect Xero from My agency?" in dialog and "Demo Company (NZ)" in dialog
    admin.post("/marketplace/xero/disconnect")
    assert set(rows()) == {studio.id}


def test_members_see_every_entitys_card_without_its_controls(xero, admin, auth, studio):
    connect_both(xero, studio)
    admin.post(f"/marketplace/xero/{studio.id}/disconnect")
    auth.logout()
    auth.login("member")
    member = admin  # the same client, now the member's
    page = member.get("/settings/marketplace")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Xero <span class=\"app-entity\">· My agency</span>" in html
    assert "Connected to “Demo Company (NZ)”" in html and "Not connected" in html
    assert "An admin connects Studio AU's Xero organisation." in html
    # No control a member could not use: connect, pencil, bin, wizard, Sync now, Activity, Reconcile.
    for control in ("/marketplace/xero/", "Connect App", "Sync now", "/settings/marketplace/xero/",
                    'href="/settings"'):
        assert control not in html, control
    assert member.post("/marketplace/xero/1/sync").status_code == 403
    assert member.get(f"/marketplace/xero/{studio.id}/connect").status_code == 403
