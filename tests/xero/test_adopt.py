"""An entity that connects another organisation starts its settings afresh; the organisation it
leaves loses its cached chart only when no other entity has connected it since."""
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import BillingEntity, XeroAccount, XeroConnection, XeroSettings, utcnow
from bridge.xero.settings import setup

OLD, NEW = "0a0a0a0a-0000-4000-8000-000000000001", "0b0b0b0b-0000-4000-8000-000000000002"


def entity(name: str) -> BillingEntity:
    row = BillingEntity(name=name, base_currency="NZD")
    db.session.add(row)
    db.session.flush()
    return row


def cached_accounts(tenant_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(XeroAccount).where(XeroAccount.tenant_id == tenant_id))


def leaving(app, *, other_entity_connects_it: bool) -> int:
    """Entity A's settings were made for OLD; A now adopts NEW. OLD's cached accounts left after."""
    first, other = entity("A"), entity("C")
    db.session.add(XeroSettings(entity_id=first.id, tenant_id=OLD, **setup.XERO_SETTINGS_DEFAULTS))
    db.session.add(XeroAccount(tenant_id=OLD, name="Sales", status="ACTIVE", account_id="a1", code="200",
                               type="REVENUE", account_class="REVENUE"))
    if other_entity_connects_it:
        db.session.add(XeroConnection(entity_id=other.id, tenant_id=OLD, tenant_name="Old", connection_id="c1",
                                      access_token_encrypted="x", refresh_token_encrypted="y",
                                      access_token_expires_at=utcnow()))
    db.session.commit()
    assert setup.adopt(NEW, first.id) is True
    db.session.commit()
    return cached_accounts(OLD)


def test_the_left_organisations_cache_goes(app):
    assert leaving(app, other_entity_connects_it=False) == 0


def test_the_cache_stays_when_another_entity_connected_the_organisation_since(app):
    assert leaving(app, other_entity_connects_it=True) == 1
