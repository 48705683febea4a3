"""Xero's accounts, tax rates, enabled currencies, tracking categories and branding themes, read
once per organisation and cached with their read time (tracking and themes: tracking.py).

The wizard offers only what Xero allows (XERO_API_NOTES.md §7-§8): ACTIVE accounts with a
code, of class REVENUE for sales and EXPENSE for expenses, and ACTIVE tax rates that apply
to revenue. The whole chart is cached (archived accounts and deleted rates included) so a
mapping to something archived since can be named and flagged. The enabled currencies
(GET /Currencies) let sending refuse, before calling Xero, a document Xero would refuse with
"Organisation is not subscribed to currency X". Tracking categories are read with their archived
ones (includeArchived=true) so a mapping to an option archived since is flagged, not lost.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, select

from bridge.extensions import db
from bridge.models import XeroAccount, XeroCurrency, XeroTaxRate, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.settings import tracking

ACTIVE = "ACTIVE"
# Where the currencies are enabled in Xero, and where Bridge reads them again.
ENABLE_CURRENCY = ("Enable it in Xero (Settings > Currencies), then use Refresh from Xero in "
                   "Settings > App Marketplace > Xero.")


@dataclass(frozen=True)
class Option:
    """One choice in a select: the value sent to Xero and what people read."""

    value: str
    label: str


def refresh(tenant_id: str) -> datetime:
    """Read the chart of accounts, the tax rates, the currencies, the tracking categories and the
    branding themes from Xero; replace the cache.

    Raises the client's XeroError when Xero refuses or cannot be reached; the cache is
    then left as it was.
    """
    with XeroClient(tenant_id) as client:
        accounts = client.get_accounts()
        tax_rates = client.get_tax_rates()
        currencies = client.get_currencies()
        categories = client.get_tracking_categories(include_archived=True)
        themes = client.get_branding_themes()
    now = utcnow()
    for model in (XeroAccount, XeroTaxRate, XeroCurrency):
        db.session.execute(delete(model).where(model.tenant_id == tenant_id))
    db.session.add_all(_account(tenant_id, item, now) for item in accounts
                       if item.get("AccountID") and not item.get("SystemAccount"))
    db.session.add_all(_tax_rate(tenant_id, item, now) for item in tax_rates if item.get("TaxType"))
    codes = {str(item["Code"]).upper(): item for item in currencies if item.get("Code")}
    db.session.add_all(XeroCurrency(tenant_id=tenant_id, code=code[:3], read_at=now,
                                    description=(item.get("Description") or code)[:150])
                       for code, item in codes.items())
    tracking.store(tenant_id, categories, themes, now)
    db.session.commit()
    return now


def ensure_loaded(tenant_id: str) -> None:
    """Read from Xero unless this organisation's accounts are cached already."""
    if read_at(tenant_id) is None:
        refresh(tenant_id)


def read_at(tenant_id: str) -> datetime | None:
    """When the cached accounts of this organisation were read from Xero (None: never)."""
    return db.session.scalar(select(func.max(XeroAccount.read_at))
                             .where(XeroAccount.tenant_id == tenant_id))


def forget(tenant_id: str | None) -> None:
    """Drop one organisation's cache, when it serves no entity any more (the caller commits)."""
    if not tenant_id:
        return
    for model in (XeroAccount, XeroTaxRate, XeroCurrency):
        db.session.execute(delete(model).where(model.tenant_id == tenant_id))
    tracking.forget(tenant_id)


def accounts(tenant_id: str, account_class: str) -> list[Option]:
    """The accounts people may pick for a class (REVENUE or EXPENSE), by code."""
    rows = db.session.scalars(
        select(XeroAccount)
        .where(XeroAccount.tenant_id == tenant_id, XeroAccount.account_class == account_class,
               XeroAccount.status == ACTIVE, XeroAccount.code.is_not(None), XeroAccount.code != "")
        .order_by(XeroAccount.code)
    )
    return [Option(row.code, f"{row.code} · {row.name}") for row in rows]


def revenue_tax_rates(tenant_id: str) -> list[Option]:
    """The tax rates Xero accepts on sales lines, by name."""
    return _tax_rates(tenant_id, XeroTaxRate.can_apply_to_revenue)


def expense_tax_rates(tenant_id: str) -> list[Option]:
    """The tax rates Xero accepts on bill (purchase) lines, by name."""
    return _tax_rates(tenant_id, XeroTaxRate.can_apply_to_expenses)


def _tax_rates(tenant_id: str, applies) -> list[Option]:
    rows = db.session.scalars(
        select(XeroTaxRate)
        .where(XeroTaxRate.tenant_id == tenant_id, XeroTaxRate.status == ACTIVE, applies.is_(True))
        .order_by(XeroTaxRate.name)
    )
    return [Option(row.tax_type, _tax_label(row)) for row in rows]


def account_problem(tenant_id: str, code: str, account_class: str) -> tuple[str, str] | None:
    """Why a mapped account code can no longer be picked, as (option label, message); None if it can."""
    row = db.session.scalar(select(XeroAccount).where(XeroAccount.tenant_id == tenant_id,
                                                      XeroAccount.code == code))
    if row is None:
        return f"{code} · not in Xero", f"Account {code} is no longer in Xero's chart — pick another."
    label = f"{row.code} · {row.name}"
    if row.status != ACTIVE:
        state = row.status.lower()
        return f"{label} ({state})", f"{label} is {state} in Xero — pick another."
    if row.account_class != account_class:
        return label, f"{label} is not a {account_class.lower()} account in Xero — pick another."
    return None


def tax_rate_problem(tenant_id: str, tax_type: str, on: str = "sales") -> tuple[str, str] | None:
    """Why a mapped Xero tax type can no longer be picked, as (option label, message); None if it can."""
    row = db.session.scalar(select(XeroTaxRate).where(XeroTaxRate.tenant_id == tenant_id,
                                                      XeroTaxRate.tax_type == tax_type))
    if row is None:
        return f"{tax_type} · not in Xero", f"Tax rate {tax_type} is no longer in Xero — pick another."
    label = _tax_label(row)
    if row.status != ACTIVE:
        state = row.status.lower()
        return f"{label} ({state})", f"{label} is {state} in Xero — pick another."
    applies = row.can_apply_to_expenses if on == "bills" else row.can_apply_to_revenue
    if not applies:
        return label, f"{label} cannot be used on {on} in Xero — pick another."
    return None


def currency_problem(tenant_id: str, code: str | None) -> str | None:
    """Why Xero will refuse a document in this currency (not enabled there), or None.

    None too when no currencies are cached for the organisation yet (read before Bridge read
    them): unknown is allowed, and Xero's own answer still explains a refusal.
    """
    enabled = set(db.session.scalars(select(XeroCurrency.code).where(XeroCurrency.tenant_id == tenant_id)))
    if not enabled or not code or code.upper() in enabled:
        return None
    return (f"The Xero organisation has not enabled {code.upper()} (it uses "
            f"{', '.join(sorted(enabled))}): Xero would refuse it. {ENABLE_CURRENCY}")


def _tax_label(row: XeroTaxRate) -> str:
    if row.effective_rate is None:
        return f"{row.name} ({row.tax_type})"
    rate = f"{row.effective_rate.normalize():f}"
    return f"{row.name} · {rate}% ({row.tax_type})"


def _account(tenant_id: str, item: dict, now: datetime) -> XeroAccount:
    return XeroAccount(
        tenant_id=tenant_id, account_id=str(item["AccountID"]), code=item.get("Code") or None,
        name=(item.get("Name") or "")[:150], type=item.get("Type") or "",
        account_class=item.get("Class") or None, status=item.get("Status") or ACTIVE, read_at=now,
    )


def _tax_rate(tenant_id: str, item: dict, now: datetime) -> XeroTaxRate:
    return XeroTaxRate(
        tenant_id=tenant_id, tax_type=item["TaxType"], name=(item.get("Name") or item["TaxType"])[:150],
        effective_rate=_decimal(item.get("EffectiveRate")),
        can_apply_to_revenue=bool(item.get("CanApplyToRevenue")),
        can_apply_to_expenses=bool(item.get("CanApplyToExpenses")),
        status=item.get("Status") or ACTIVE, read_at=now,
    )


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
