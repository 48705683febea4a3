"""Xero's tracking categories and branding themes, cached per organisation with the accounts
(reference.refresh reads them and calls store()), and the tracking mappings of the settings.

rules(tenant_id, kind) turns the mappings and the cache into the pure rules that say each
line's tracking (bridge.xero.settings.tracking_rules): names from the cache as last read,
archived options and categories flagged so sending refuses them before calling Xero.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from bridge.extensions import db
from bridge.models import (
    Budget, Company, CustomField, ServiceType, TrackingMapping, TrackingOptionMapping, XeroBrandingTheme,
    XeroTrackingCategory, XeroTrackingOption,
)
from bridge.xero.settings.tracking_rules import SOURCE_WORDS, WHERE, CategoryRule, OptionTarget, TrackingRules

ACTIVE = "ACTIVE"
# At most two active categories in an organisation, and two on a line (XERO_API_NOTES.md §19).
MAX_CATEGORIES = 2
# The sources that apply to each kind of document: custom fields are on invoices, budgets on bills.
SOURCES_FOR = {"invoice": ("custom_field", "service_type", "client"),
               "bill": ("service_type", "client", "budget")}
CACHED = (XeroTrackingOption, XeroTrackingCategory, XeroBrandingTheme)


@dataclass
class TrackingChoice:
    """One category's mapping as the settings save it: its source and value -> Xero option id."""

    category_id: str
    category_name: str
    source: str
    custom_field_id: int | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Theme:
    value: str
    label: str


# --- the cache --------------------------------------------------------------------------

def store(tenant_id: str, categories: list[dict], themes: list[dict], now: datetime) -> None:
    """Replace the organisation's cached categories, options and themes (the caller commits)."""
    forget(tenant_id)
    for item in categories:
        category_id = str(item.get("TrackingCategoryID") or "")
        if not category_id:
            continue
        db.session.add(XeroTrackingCategory(tenant_id=tenant_id, category_id=category_id, read_at=now,
                                            name=(item.get("Name") or "")[:150], status=item.get("Status") or ACTIVE))
        db.session.add_all(
            XeroTrackingOption(tenant_id=tenant_id, category_id=category_id, option_id=str(option["TrackingOptionID"]),
                               name=(option.get("Name") or "")[:150], status=option.get("Status") or ACTIVE,
                               read_at=now)
            for option in item.get("Options") or [] if option.get("TrackingOptionID"))
    db.session.add_all(
        XeroBrandingTheme(tenant_id=tenant_id, theme_id=str(item["BrandingThemeID"]), read_at=now,
                          name=(item.get("Name") or "")[:150], sort_order=int(item.get("SortOrder") or 0))
        for item in themes if item.get("BrandingThemeID"))


def forget(tenant_id: str) -> None:
    """Drop one organisation's cached categories, options and themes."""
    for model in CACHED:
        db.session.execute(delete(model).where(model.tenant_id == tenant_id))


def categories(tenant_id: str) -> list[XeroTrackingCategory]:
    """The cached categories, active ones first, by name."""
    return list(db.session.scalars(select(XeroTrackingCategory).where(XeroTrackingCategory.tenant_id == tenant_id)
                                   .order_by(XeroTrackingCategory.status != ACTIVE, XeroTrackingCategory.name)))


def options(tenant_id: str) -> dict[str, list[XeroTrackingOption]]:
    """Every cached option, by category id, in Xero's order (as read)."""
    found: dict[str, list[XeroTrackingOption]] = {}
    for row in db.session.scalars(select(XeroTrackingOption).where(XeroTrackingOption.tenant_id == tenant_id)
                                  .order_by(XeroTrackingOption.id)):
        found.setdefault(row.category_id, []).append(row)
    return found


def themes(tenant_id: str) -> list[Theme]:
    """The organisation's branding themes, Xero's default (SortOrder 0) first."""
    rows = db.session.scalars(select(XeroBrandingTheme).where(XeroBrandingTheme.tenant_id == tenant_id)
                              .order_by(XeroBrandingTheme.sort_order, XeroBrandingTheme.name))
    return [Theme(row.theme_id, row.name) for row in rows]


def theme_name(tenant_id: str, theme_id: str | None) -> str | None:
    """The cached name of a theme, or None (no theme, or not in the cache)."""
    if not theme_id:
        return None
    return db.session.scalar(select(XeroBrandingTheme.name).where(
        XeroBrandingTheme.tenant_id == tenant_id, XeroBrandingTheme.theme_id == theme_id))


def theme_problem(tenant_id: str, theme_id: str | None) -> str | None:
    """Why Xero would refuse this BrandingThemeID (not one of the cached themes), or None."""
    if not theme_id or theme_name(tenant_id, theme_id) is not None:
        return None
    return ("The branding theme chosen is no longer in Xero: choose another (Refresh from Xero in "
            "Settings > App Marketplace > Xero reads them again).")


# --- the mappings -----------------------------------------------------------------------

def _mappings(entity_id: int):
    return select(TrackingMapping).where(TrackingMapping.entity_id == entity_id).order_by(TrackingMapping.id)


def load(entity_id: int) -> list[TrackingChoice]:
    """The entity's saved mappings, in the order they were saved."""
    return [TrackingChoice(row.category_id, row.category_name, row.source, row.custom_field_id,
                           {o.bridge_value: o.option_id for o in row.options})
            for row in db.session.scalars(_mappings(entity_id))]


def save(choices: list[TrackingChoice], entity_id: int) -> None:
    """Replace the entity's mappings (the caller commits)."""
    clear(entity_id)
    for choice in choices[:MAX_CATEGORIES]:
        db.session.add(TrackingMapping(
            entity_id=entity_id, category_id=choice.category_id, category_name=choice.category_name[:150], source=choice.source,
            custom_field_id=choice.custom_field_id if choice.source == "custom_field" else None,
            options=[TrackingOptionMapping(bridge_value=value[:255], option_id=option_id)
                     for value, option_id in choice.options.items() if option_id]))


def clear(entity_id: int) -> None:
    """Forget the entity's mappings (it connected another organisation; the caller commits)."""
    for row in db.session.scalars(_mappings(entity_id)):
        db.session.delete(row)
    db.session.flush()


def source_values(source: str, custom_field: CustomField | None = None, keep: tuple = ()) -> list[tuple[str, str]]:
    """A source's values as (stored value, label): a select field's options, or the service types,
    clients or budgets (archived service types only when `keep` holds their mapping)."""
    if source == "custom_field":
        return [(option, option) for option in (custom_field.options if custom_field else [])]
    if source == "service_type":
        rows = db.session.execute(select(ServiceType.id, ServiceType.name, ServiceType.archived)
                                  .order_by(ServiceType.archived, ServiceType.name))
        return [(str(i), name) for i, name, archived in rows if not archived or str(i) in keep]
    model = {"client": Company, "budget": Budget}.get(source)
    if model is None:
        return []
    return [(str(i), name) for i, name in db.session.execute(select(model.id, model.name).order_by(model.name))]


def rules(tenant_id: str, kind: str, entity_id: int) -> TrackingRules:
    """The rules for the entity's invoices or bills from its saved mappings and its organisation's
    cache; empty when none apply."""
    mappings = list(db.session.scalars(_mappings(entity_id)))
    mappings = [m for m in mappings if m.source in SOURCES_FOR[kind]]
    if not mappings:
        return TrackingRules()
    cached = {row.category_id: row for row in categories(tenant_id)}
    by_id = {row.option_id: row for rows in options(tenant_id).values() for row in rows}
    found = []
    for mapping in mappings:
        category = cached.get(mapping.category_id)
        name = category.name if category else mapping.category_name
        problem = None
        if category is None or category.status != ACTIVE:
            state = "no longer in Xero" if category is None else f"{category.status.lower()} in Xero"
            problem = (f"The tracking category {name} is {state}: Xero would refuse it. Map another "
                       f"category, or none, under {WHERE}.")
        targets = {}
        for row in mapping.options:
            option = by_id.get(row.option_id)
            targets[row.bridge_value] = OptionTarget(
                option.name if option else "(no longer in Xero)",
                archived=option is None or option.status != ACTIVE or option.category_id != mapping.category_id)
        if mapping.source == "custom_field":
            field_row = db.session.get(CustomField, mapping.custom_field_id)
            key, label = f"custom_field:{mapping.custom_field_id}", field_row.name if field_row else "custom field"
        else:
            key, label = mapping.source, SOURCE_WORDS[mapping.source]
        found.append(CategoryRule(name, mapping.source, key, label, targets, problem))
    return TrackingRules(tuple(found))
