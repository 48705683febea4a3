"""Tracking categories: GET /TrackingCategories[/{id}], and the check of a line's `Tracking`.

Shapes follow the spec (schemas TrackingCategory {TrackingCategoryID, Name, Status, Options}
and TrackingOption {TrackingOptionID, Name, Status}; on a line, LineItemTracking
{TrackingCategoryID, Name, TrackingOptionID, Option}, as the spec's examples answer it).
Where the spec and the notes (§19) differ, the spec is followed: a line may name its category
and option by names (the notes' form) or by ids (the spec's createInvoices example); both work.
"""
from flask import g

from bridge.xero_sandbox import wire
from bridge.xero_sandbox.accounting import bp, query
from bridge.xero_sandbox.db import db
from bridge.xero_sandbox.db_settings import TrackingCategory, TrackingOption

# At most two categories on a line (the spec's LineItem.Tracking description).
MAX_PER_LINE = 2
# The notes' wording for an unknown or archived option (reported, UNCONFIRMED exact text); the
# category and count messages are the sandbox's own in the same style (UNCONFIRMED).
OPTION_INVALID = "The TrackingOption '{option}' does not exist or is archived"
CATEGORY_INVALID = "The TrackingCategory '{name}' does not exist or is archived"
TOO_MANY = "A line item can have at most 2 tracking categories"
CATEGORY_TWICE = "The TrackingCategory '{name}' can only be used once on a line item"


def category_json(category: TrackingCategory, archived: bool) -> dict:
    """A category with its options (archived options only when asked for); DELETED never shows."""
    shown = {"ACTIVE", "ARCHIVED"} if archived else {"ACTIVE"}
    return {
        "Name": category.name, "Status": category.status, "TrackingCategoryID": category.id,
        "Options": [{"TrackingOptionID": o.id, "Name": o.name, "Status": o.status}
                    for o in category.options if o.status in shown],
    }


def category_view(category: TrackingCategory) -> dict:
    """Fields a `where`/`order` on TrackingCategories may name."""
    return {"TrackingCategoryID": category.id, "Name": category.name, "Status": category.status}


def categories(org_id: str) -> list[TrackingCategory]:
    """The organisation's categories (any status), memoised for the request."""
    store = g.setdefault("_sandbox_cache", {})
    key = f"tracking:{org_id}"
    if key not in store:
        store[key] = list(db.session.scalars(db.select(TrackingCategory).filter_by(org_id=org_id)))
    return store[key]


@bp.get("/TrackingCategories")
def list_tracking_categories():
    """Active categories with their active options; includeArchived=true adds archived ones."""
    archived = query.flag("includeArchived")
    shown = {"ACTIVE", "ARCHIVED"} if archived else {"ACTIVE"}
    records = [c for c in categories(g.org.id) if c.status in shown]
    records = query.where_filter(records, category_view, "TrackingCategory")
    # UNCONFIRMED default order: by name, as Xero's UI lists them.
    records = query.order(records, category_view, "Name ASC")
    return wire.ok("TrackingCategories", [category_json(c, archived) for c in records])


@bp.get("/TrackingCategories/<category_id>")
def get_tracking_category(category_id):
    """One category asked for by id, shown whole: archived options included (UNCONFIRMED)."""
    found = next((c for c in categories(g.org.id)
                  if c.id == category_id.lower() and c.status != "DELETED"), None)
    if found is None:
        return wire.not_found()
    return wire.ok("TrackingCategories", [category_json(found, archived=True)])


def _same(a, b) -> bool:
    """Names match ignoring case and outer spaces (UNCONFIRMED: Xero's case rule)."""
    return str(a or "").strip().lower() == str(b or "").strip().lower()


def _category(org_id: str, entry: dict) -> TrackingCategory | None:
    """The active category an entry names, by TrackingCategoryID first, else by Name."""
    live = [c for c in categories(org_id) if c.status == "ACTIVE"]
    if entry.get("TrackingCategoryID"):
        return next((c for c in live if c.id == str(entry["TrackingCategoryID"]).strip().lower()), None)
    return next((c for c in live if _same(c.name, entry.get("Name"))), None)


def _option(category: TrackingCategory, entry: dict) -> TrackingOption | None:
    """The active option an entry names, by TrackingOptionID first, else by Option."""
    live = [o for o in category.options if o.status == "ACTIVE"]
    if entry.get("TrackingOptionID"):
        return next((o for o in live if o.id == str(entry["TrackingOptionID"]).strip().lower()), None)
    return next((o for o in live if _same(o.name, entry.get("Option"))), None)


def resolve_line_tracking(org_id: str, sent) -> tuple[list[dict], list[str]]:
    """A line's Tracking as stored and answered (ids and names), and the messages why not.

    When anything is wrong the entries are kept as sent, so the refused element echoes them.
    """
    if sent in (None, ""):
        return [], []
    if not isinstance(sent, list) or not all(isinstance(e, dict) for e in sent):
        raise wire.BadValue("Tracking must be an array of objects")
    for entry in sent:
        for key in ("TrackingCategoryID", "TrackingOptionID"):
            if entry.get(key) and not wire.GUID.match(str(entry[key]).strip()):
                # Unreadable, as Xero's deserialiser refuses it (UNCONFIRMED wording).
                raise wire.BadValue(f"{key} '{entry[key]}' is not a GUID")
    resolved, errors, seen = [], [], set()
    if len(sent) > MAX_PER_LINE:
        errors.append(TOO_MANY)
    for entry in sent:
        label = entry.get("Name") or entry.get("TrackingCategoryID") or ""
        category = _category(org_id, entry)
        if category is None:
            errors.append(CATEGORY_INVALID.format(name=label))
            continue
        if category.id in seen:
            errors.append(CATEGORY_TWICE.format(name=category.name))
            continue
        seen.add(category.id)
        option = _option(category, entry)
        if option is None:
            errors.append(OPTION_INVALID.format(option=entry.get("Option") or entry.get("TrackingOptionID") or ""))
            continue
        resolved.append({"TrackingCategoryID": category.id, "Name": category.name,
                         "TrackingOptionID": option.id, "Option": option.name})
    return (list(sent), errors) if errors else (resolved, [])
