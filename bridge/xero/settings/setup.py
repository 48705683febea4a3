"""The Xero integration settings of each billing entity: read them, save the wizard's answers,
start them afresh.

Every billing entity has at most one connected organisation, its own settings row and its own
mappings; `entity_id=None` means the first entity (a workspace with one entity never says).
Copies and syncs read these settings when they run, so a change applies from the next
copy or sync on.
"""
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.xero.settings import reference, tracking
from bridge.xero.settings.tracking import TrackingChoice
from bridge.xero.settings.state import sync_state
from bridge.models import (
    XERO_SETTINGS_DEFAULTS,
    ServiceTypeAccount,
    TaxRateMapping,
    XeroConnection,
    XeroSettings,
    utcnow,
)

@dataclass
class Setup:
    """The wizard's answers; per-row mappings are keyed by service type / tax rate id."""

    invoice_numbers_by: str = XERO_SETTINGS_DEFAULTS["invoice_numbers_by"]
    pdfs_by: str = XERO_SETTINGS_DEFAULTS["pdfs_by"]
    sync_payments: bool = False
    initial_status: str = XERO_SETTINGS_DEFAULTS["initial_status"]
    reference_from: str = XERO_SETTINGS_DEFAULTS["reference_from"]
    notes_custom_field_id: int | None = None
    default_revenue_account_code: str | None = None
    export_expenses: bool = False
    default_expense_account_code: str | None = None
    expense_tax_type: str | None = None
    branding_theme_id: str | None = None
    revenue_accounts: dict[int, str | None] = field(default_factory=dict)
    expense_accounts: dict[int, str | None] = field(default_factory=dict)
    tax_types: dict[int, str | None] = field(default_factory=dict)
    # At most two Xero tracking categories, each fed from one Bridge source.
    tracking: list[TrackingChoice] = field(default_factory=list)
    # A one-off request, not a setting: fetch payments from before sync was turned on.
    backfill_payments: bool = False

    SCALARS = ("invoice_numbers_by", "pdfs_by", "sync_payments", "initial_status", "reference_from",
               "notes_custom_field_id", "default_revenue_account_code", "export_expenses",
               "default_expense_account_code", "expense_tax_type", "branding_theme_id")


def entity_key(entity_id: int | None) -> int:
    """The entity meant: the one given, else the first."""
    return entity_id if entity_id is not None else first_entity().id


def connection(entity_id: int | None = None) -> XeroConnection | None:
    """The organisation connected for this billing entity, if any."""
    return db.session.scalar(select(XeroConnection).where(XeroConnection.entity_id == entity_key(entity_id)))


def connections() -> list[XeroConnection]:
    """Every connected organisation, in the order of their entities."""
    return list(db.session.scalars(select(XeroConnection).order_by(XeroConnection.entity_id)))


def settings_row(entity_id: int | None = None) -> XeroSettings | None:
    return db.session.scalar(select(XeroSettings).where(XeroSettings.entity_id == entity_key(entity_id)))


def is_configured(tenant_id: str, entity_id: int | None = None) -> bool:
    """Whether the entity's wizard was saved for this organisation."""
    row = settings_row(entity_id)
    return row is not None and row.tenant_id == tenant_id and row.configured_at is not None


def load(entity_id: int | None = None) -> Setup:
    """The entity's saved answers (the defaults where nothing was saved)."""
    entity_id = entity_key(entity_id)
    row = settings_row(entity_id)
    setup = Setup(**{name: getattr(row, name) for name in Setup.SCALARS}) if row else Setup()
    for mapping in db.session.scalars(select(ServiceTypeAccount).where(ServiceTypeAccount.entity_id == entity_id)):
        setup.revenue_accounts[mapping.service_type_id] = mapping.revenue_account_code
        setup.expense_accounts[mapping.service_type_id] = mapping.expense_account_code
    for mapping in db.session.scalars(select(TaxRateMapping).where(TaxRateMapping.entity_id == entity_id)):
        setup.tax_types[mapping.tax_rate_id] = mapping.xero_tax_type
    setup.tracking = tracking.load(entity_id)
    return setup


def save(setup: Setup, user_id: int | None, entity_id: int | None = None) -> XeroSettings:
    """Store the entity's answers and mappings in one transaction."""
    entity_id = entity_key(entity_id)
    row = settings_row(entity_id) or _new_row(entity_id)
    was_syncing = row.sync_payments
    for name in Setup.SCALARS:
        setattr(row, name, getattr(setup, name))
    now = utcnow()
    if setup.sync_payments and not was_syncing:
        row.payments_synced_since = now
    elif not setup.sync_payments:
        row.payments_synced_since = None
    row.configured_at = row.configured_at or now
    row.updated_at, row.updated_by_id = now, user_id
    if setup.sync_payments and setup.backfill_payments and row.tenant_id:
        state = sync_state(row.tenant_id)
        state.backfill_requested, state.sync_requested_at = True, now
    _save_service_type_accounts(setup, entity_id)
    _save_tax_types(setup.tax_types, entity_id)
    tracking.save(setup.tracking, entity_id)
    db.session.commit()
    return row


def adopt(tenant_id: str, entity_id: int | None = None) -> bool:
    """Make the entity's settings those of this organisation; True when they were reset for it.

    Settings made for another organisation (its account codes and tax types mean nothing
    here) go back to the defaults, with the entity's mappings and that organisation's cache
    (other entities' organisations keep theirs). The caller commits.
    """
    entity_id = entity_key(entity_id)
    row = settings_row(entity_id)
    if row is None:
        row = _new_row(entity_id)
    reset = row.tenant_id is not None and row.tenant_id != tenant_id
    if reset:
        for name, value in XERO_SETTINGS_DEFAULTS.items():
            setattr(row, name, value)
        db.session.execute(delete(ServiceTypeAccount).where(ServiceTypeAccount.entity_id == entity_id))
        db.session.execute(delete(TaxRateMapping).where(TaxRateMapping.entity_id == entity_id))
        tracking.clear(entity_id)
        # The old organisation's cache goes, unless another entity has connected it since.
        if db.session.scalar(select(XeroConnection.id).where(
                XeroConnection.tenant_id == row.tenant_id, XeroConnection.entity_id != entity_id)) is None:
            reference.forget(row.tenant_id)
    row.tenant_id = tenant_id
    return reset


def _new_row(entity_id: int) -> XeroSettings:
    row = XeroSettings(entity_id=entity_id, **XERO_SETTINGS_DEFAULTS)
    db.session.add(row)
    return row


def _save_service_type_accounts(setup: Setup, entity_id: int) -> None:
    existing = {m.service_type_id: m for m in db.session.scalars(
        select(ServiceTypeAccount).where(ServiceTypeAccount.entity_id == entity_id))}
    for service_type_id in set(setup.revenue_accounts) | set(setup.expense_accounts):
        revenue = setup.revenue_accounts.get(service_type_id)
        expense = setup.expense_accounts.get(service_type_id)
        mapping = existing.get(service_type_id)
        if revenue is None and expense is None:
            if mapping is not None:
                db.session.delete(mapping)
            continue
        if mapping is None:
            mapping = ServiceTypeAccount(entity_id=entity_id, service_type_id=service_type_id)
            db.session.add(mapping)
        mapping.revenue_account_code, mapping.expense_account_code = revenue, expense


def _save_tax_types(tax_types: dict[int, str | None], entity_id: int) -> None:
    existing = {m.tax_rate_id: m for m in db.session.scalars(
        select(TaxRateMapping).where(TaxRateMapping.entity_id == entity_id))}
    for tax_rate_id, tax_type in tax_types.items():
        mapping = existing.get(tax_rate_id)
        if tax_type is None:
            if mapping is not None:
                db.session.delete(mapping)
        elif mapping is None:
            db.session.add(TaxRateMapping(entity_id=entity_id, tax_rate_id=tax_rate_id, xero_tax_type=tax_type))
        else:
            mapping.xero_tax_type = tax_type
