"""The Xero integration settings: read them, save the wizard's answers, start them afresh.

Copies and syncs read these settings when they run, so a change applies from the next
copy or sync on.
"""
from dataclasses import dataclass, field

from sqlalchemy import delete, select

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

SETTINGS_ID = 1


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


def connection() -> XeroConnection | None:
    """The organisation this workspace is connected to (Bridge connects one at a time)."""
    return db.session.scalar(select(XeroConnection).order_by(XeroConnection.id).limit(1))


def settings_row() -> XeroSettings | None:
    return db.session.get(XeroSettings, SETTINGS_ID)


def is_configured(tenant_id: str) -> bool:
    """Whether the wizard was saved for this organisation."""
    row = settings_row()
    return row is not None and row.tenant_id == tenant_id and row.configured_at is not None


def load() -> Setup:
    """The saved answers (the defaults where nothing was saved)."""
    row = settings_row()
    setup = Setup(**{name: getattr(row, name) for name in Setup.SCALARS}) if row else Setup()
    for mapping in db.session.scalars(select(ServiceTypeAccount)):
        setup.revenue_accounts[mapping.service_type_id] = mapping.revenue_account_code
        setup.expense_accounts[mapping.service_type_id] = mapping.expense_account_code
    for mapping in db.session.scalars(select(TaxRateMapping)):
        setup.tax_types[mapping.tax_rate_id] = mapping.xero_tax_type
    setup.tracking = tracking.load()
    return setup


def save(setup: Setup, user_id: int | None) -> XeroSettings:
    """Store the answers and the mappings in one transaction."""
    row = settings_row() or _new_row()
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
    _save_service_type_accounts(setup)
    _save_tax_types(setup.tax_types)
    tracking.save(setup.tracking)
    db.session.commit()
    return row


def adopt(tenant_id: str) -> bool:
    """Make the settings those of this organisation; True when they were reset for it.

    Settings made for another organisation (its account codes and tax types mean nothing
    here) go back to the defaults, with the mappings and the other organisation's cache.
    The caller commits.
    """
    row = settings_row()
    if row is None:
        row = _new_row()
    reset = row.tenant_id is not None and row.tenant_id != tenant_id
    if reset:
        for name, value in XERO_SETTINGS_DEFAULTS.items():
            setattr(row, name, value)
        db.session.execute(delete(ServiceTypeAccount))
        db.session.execute(delete(TaxRateMapping))
        tracking.clear()
    reference.forget_all_but(tenant_id)
    row.tenant_id = tenant_id
    return reset


def _new_row() -> XeroSettings:
    row = XeroSettings(id=SETTINGS_ID, **XERO_SETTINGS_DEFAULTS)
    db.session.add(row)
    return row


def _save_service_type_accounts(setup: Setup) -> None:
    existing = {m.service_type_id: m for m in db.session.scalars(select(ServiceTypeAccount))}
    for service_type_id in set(setup.revenue_accounts) | set(setup.expense_accounts):
        revenue = setup.revenue_accounts.get(service_type_id)
        expense = setup.expense_accounts.get(service_type_id)
        mapping = existing.get(service_type_id)
        if revenue is None and expense is None:
            if mapping is not None:
                db.session.delete(mapping)
            continue
        if mapping is None:
            mapping = ServiceTypeAccount(service_type_id=service_type_id)
            db.session.add(mapping)
        mapping.revenue_account_code, mapping.expense_account_code = revenue, expense


def _save_tax_types(tax_types: dict[int, str | None]) -> None:
    existing = {m.tax_rate_id: m for m in db.session.scalars(select(TaxRateMapping))}
    for tax_rate_id, tax_type in tax_types.items():
        mapping = existing.get(tax_rate_id)
        if tax_type is None:
            if mapping is not None:
                db.session.delete(mapping)
        elif mapping is None:
            db.session.add(TaxRateMapping(tax_rate_id=tax_rate_id, xero_tax_type=tax_type))
        else:
            mapping.xero_tax_type = tax_type
