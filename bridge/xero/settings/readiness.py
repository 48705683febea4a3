"""Whether Bridge can send to Xero now, and what it shows of Xero's cached words and links:
the connection and settings as one Readiness, a cached tax rate's percentage, the URL of a
document in Xero's UI, Xero's names for its statuses."""
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import BillingEntity, XeroConnection, XeroSettings, XeroTaxRate
from bridge.xero.settings import reference, setup

# Xero's own words for its statuses (XERO_API_NOTES.md §10.3).
XERO_STATUS_LABELS = {"DRAFT": "Draft", "SUBMITTED": "Awaiting Approval",
                      "AUTHORISED": "Awaiting Payment", "PAID": "Paid", "VOIDED": "Voided",
                      "DELETED": "Deleted"}


@dataclass(frozen=True)
class Readiness:
    """Whether one billing entity's documents can be copied now: its organisation connected and
    active, and its wizard saved."""

    entity_id: int | None = None
    tenant_id: str | None = None
    tenant_name: str | None = None
    connected: bool = False
    needs_reconnect: bool = False
    configured: bool = False
    settings: XeroSettings | None = None

    @property
    def ready(self) -> bool:
        return self.connected and self.configured


def readiness(entity_id: int | None = None) -> Readiness:
    """The entity's connection and settings as they are now (a few small queries); the first
    entity's when entity_id is None."""
    entity_id = setup.entity_key(entity_id)
    connection = setup.connection(entity_id)
    if connection is None:
        return Readiness(entity_id=entity_id)
    return _of(entity_id, connection, setup.settings_row(entity_id))


def every_readiness() -> list[Readiness]:
    """Every billing entity's readiness, in the order of the entities (the first first), in
    three queries however many entities there are."""
    entity_ids = list(db.session.scalars(select(BillingEntity.id).order_by(BillingEntity.id)))
    if not entity_ids:
        return [readiness()]  # makes the first entity
    connections = {row.entity_id: row for row in db.session.scalars(select(XeroConnection))}
    rows = {row.entity_id: row for row in db.session.scalars(select(XeroSettings))} if connections else {}
    return [_of(entity_id, connections[entity_id], rows.get(entity_id)) if entity_id in connections
            else Readiness(entity_id=entity_id) for entity_id in entity_ids]


def _of(entity_id: int, connection: XeroConnection, settings: XeroSettings | None) -> Readiness:
    configured = bool(settings and settings.tenant_id == connection.tenant_id and settings.configured_at)
    return Readiness(entity_id=entity_id, tenant_id=connection.tenant_id, tenant_name=connection.tenant_name, connected=not connection.needs_reconnect,
                     needs_reconnect=connection.needs_reconnect, configured=configured,
                     settings=settings)


def xero_invoice_url(tenant_id: str, xero_id: str | None, setting: str = "XERO_INVOICE_URL") -> str | None:
    """Where people open a copied invoice (or, with XERO_BILL_URL, a bill) in Xero's UI."""
    if not xero_id:
        return None
    return current_app.config[setting].format(tenant_id=tenant_id, invoice_id=xero_id)


def tax_percent(tenant_id: str, tax_type: str) -> Decimal | None:
    """A cached tax rate's percentage, if Xero accepts it on sales; None otherwise."""
    row = db.session.scalar(select(XeroTaxRate).where(
        XeroTaxRate.tenant_id == tenant_id, XeroTaxRate.tax_type == tax_type,
        XeroTaxRate.status == reference.ACTIVE, XeroTaxRate.can_apply_to_revenue.is_(True)))
    if row is None:
        return None
    return row.effective_rate if row.effective_rate is not None else Decimal("0")


def xero_status_label(status: str | None) -> str:
    """A Xero status as Xero's UI says it (template filter xero_status)."""
    return XERO_STATUS_LABELS.get(status or "", (status or "").title())
