"""Billing entities: which one a document belongs to, and the first one every workspace has.

    entity = first_entity()          # the workspace's first entity, made when there is none
    watch(db.session)                # new rows without an entity get one on flush
    why_not_delete(entity)           # what still belongs to it, else delete_entity(entity)

An invoice or budget made without an entity belongs to its client's default entity, else to the
first one; Xero settings, mappings and a connection made without one belong to the first entity.
So a workspace with one entity never has to choose, and every row still has its entity.
"""
from flask import current_app
from sqlalchemy import delete, event, func, insert, select, update

from bridge.extensions import db
from bridge.models import (
    BillingEntity, Budget, Company, Invoice, ServiceTypeAccount, TaxRateMapping, TrackingMapping, XeroConnection,
    XeroSettings, utcnow,
)

FIRST_ENTITY_NAME = "My agency"
# Rows of one entity that, made without one, belong to the first entity.
_FIRST_ENTITY_ROWS = (XeroConnection, XeroSettings, ServiceTypeAccount, TaxRateMapping, TrackingMapping)


def first_entity() -> BillingEntity:
    """The entity with the lowest id; made when the workspace has none yet."""
    return _first(db.session)


def all_entities() -> list[BillingEntity]:
    return list(db.session.scalars(select(BillingEntity).order_by(BillingEntity.id)))


def entity_for_client(client: Company | None) -> BillingEntity:
    """The entity a new document for this client belongs to unless the person picks another."""
    return _for_client(db.session, client)


def why_not_delete(entity: BillingEntity) -> list[str]:
    """What keeps the entity from being deleted (its documents, its Xero organisation, being the
    last one), each as a short phrase; empty when it can go."""
    reasons = []
    if db.session.scalar(select(func.count(BillingEntity.id))) <= 1:
        reasons.append("it is the workspace's only billing entity")
    invoices = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.entity_id == entity.id))
    if invoices:
        reasons.append(f"{invoices} invoice{'s' if invoices != 1 else ''} belong{'s' if invoices == 1 else ''} to it")
    budgets = db.session.scalar(select(func.count(Budget.id)).where(Budget.entity_id == entity.id))
    if budgets:
        reasons.append(f"{budgets} budget{'s' if budgets != 1 else ''} belong{'s' if budgets == 1 else ''} to it")
    connection = db.session.scalar(select(XeroConnection.tenant_name).where(XeroConnection.entity_id == entity.id))
    if connection is not None:
        reasons.append(f"its Xero organisation {connection} is connected")
    return reasons


def delete_entity(entity: BillingEntity) -> None:
    """Delete an entity nothing belongs to (check why_not_delete first) with its Xero settings and
    mappings; its clients fall back to the first entity. The caller commits."""
    for model in _FIRST_ENTITY_ROWS:
        if model is not XeroConnection:
            db.session.execute(delete(model).where(model.entity_id == entity.id))
    db.session.execute(update(Company).where(Company.default_entity_id == entity.id).values(default_entity_id=None))
    db.session.delete(entity)
    db.session.flush()


def watch(session) -> None:
    """Give new rows their entity on every flush of `session`, as above (create_app calls it)."""
    if not event.contains(session, "before_flush", _give_entities):
        event.listen(session, "before_flush", _give_entities)


def _first(session) -> BillingEntity:
    with session.no_autoflush:
        entity = session.scalar(select(BillingEntity).order_by(BillingEntity.id).limit(1))
    if entity is None:
        # Written at once (not added for the next flush): this may run inside a flush.
        session.execute(insert(BillingEntity).values(
            name=FIRST_ENTITY_NAME, base_currency=current_app.config["BRIDGE_BASE_CURRENCY"],
            invoice_number_pattern="{year}-{seq:04}", credit_note_number_pattern="CN-{year}-{seq:04}",
            created_at=utcnow(), updated_at=utcnow()))
        with session.no_autoflush:
            entity = session.scalar(select(BillingEntity).order_by(BillingEntity.id).limit(1))
    return entity


def _for_client(session, client: Company | None) -> BillingEntity:
    if client is not None and client.default_entity_id is not None:
        entity = session.get(BillingEntity, client.default_entity_id)
        if entity is not None:
            return entity
    return _first(session)


def _give_entities(session, _flush_context, _instances) -> None:
    for row in list(session.new):
        if isinstance(row, (Invoice, Budget)) and row.entity_id is None and row.entity is None:
            with session.no_autoflush:
                client = row.client or (session.get(Company, row.client_id) if row.client_id else None)
                row.entity = _for_client(session, client)
        elif isinstance(row, _FIRST_ENTITY_ROWS) and row.entity_id is None:
            row.entity_id = _first(session).id
