"""The billing entity a marketplace URL names (/marketplace/xero/<entity_id>/…; none: the first)."""
from flask import abort

from bridge.billing.entities import all_entities, first_entity
from bridge.extensions import db
from bridge.models import BillingEntity


def entities() -> list[BillingEntity]:
    """Every billing entity, the first made (and kept) when the workspace has none yet."""
    first_entity()
    db.session.commit()
    return all_entities()


def entity_or_404(entity_id: int | None) -> BillingEntity:
    """The entity of the URL; the first when the URL names none."""
    if entity_id is None:
        entity = first_entity()
        db.session.commit()
        return entity
    entity = db.session.get(BillingEntity, entity_id)
    if entity is None:
        abort(404)
    return entity


def suffix(entity: BillingEntity) -> str:
    """What the ids of the entity's card end with: nothing for the first entity (links point at
    #app-xero and #xero-sync), "-<id>" for the others."""
    return "" if entity.id == first_entity().id else f"-{entity.id}"
