"""The Tracking categories and Branding theme cards of the Xero setup wizard (issue 19).

Each Xero tracking category read from Xero (the active ones, and any other that still carries a
mapping, flagged) gets a row of fields: its Bridge source (`tracking_<n>_source`) and, for each
of the source's values, the Xero option it sends (`tracking_<n>_value_<i>`). The value fields
follow the source chosen in this request (a POST that changes the source re-renders the card
with the new source's values), else the saved one. A saved option archived in Xero since is
kept as a choice and flagged, as stale accounts are (XeroSetupForm.stale).
"""
from dataclasses import dataclass, field

from flask import request
from sqlalchemy import or_, select
from wtforms import SelectChoice, SelectField

from bridge.extensions import db
from bridge.invoicing.forms import options
from bridge.models import CustomField
from bridge.xero.settings import tracking
from bridge.xero.settings.tracking import TrackingChoice
from bridge.workspace.forms import choose

NONE_OPTION = "No option (not tracked)"
SOURCE_LABELS = {"service_type": "Service type (invoice lines and bills)",
                 "client": "Client (an invoice's; a bill's budget's client)",
                 "budget": "Budget (bills only)"}


@dataclass
class TrackingRow:
    """One Xero category of the card: its source field and one option field per Bridge value."""

    index: int
    category_id: str
    name: str
    status: str
    source: str
    values: list = field(default_factory=list)  # [(bridge value, label, field name)]
    problem: str | None = None


def rows(tenant_id: str, stored: list[TrackingChoice]) -> list[TrackingRow]:
    """The categories the card shows, with the source each follows in this request."""
    saved = {choice.category_id: choice for choice in stored}
    cached = tracking.categories(tenant_id)
    shown = [(c.category_id, c.name, c.status) for c in cached if c.status == tracking.ACTIVE]
    shown += [(c.category_id, c.name, c.status) for c in cached
              if c.status != tracking.ACTIVE and c.category_id in saved]
    known = {c.category_id for c in cached}
    shown += [(choice.category_id, choice.category_name, "GONE") for choice in stored if choice.category_id not in known]
    found = []
    for index, (category_id, name, status) in enumerate(shown):
        choice = saved.get(category_id)
        source = _source_key(choice) if choice else ""
        if request.method == "POST" and f"tracking_{index}_source" in request.form:
            source = request.form[f"tracking_{index}_source"]
        problem = None
        if status != tracking.ACTIVE:
            state = "no longer in Xero" if status == "GONE" else f"{status.lower()} in Xero"
            problem = f"{name} is {state}: Xero would refuse its options. Choose None to remove its mapping."
        row = TrackingRow(index, category_id, name, status, source, problem=problem)
        keep = tuple(choice.options) if choice else ()
        for i, (value, label) in enumerate(tracking.source_values(*_source_args(source), keep=keep)):
            row.values.append((value, label, f"tracking_{index}_value_{i}"))
        found.append(row)
    return found


def add_fields(fields: dict, tracking_rows: list[TrackingRow]) -> None:
    """The rows' fields, for the form class setup_form() builds."""
    for row in tracking_rows:
        fields[f"tracking_{row.index}_source"] = SelectField(f"{row.name} follows", validate_choice=False,
                                                             **choose("what it follows"))
        for _value, label, name in row.values:
            fields[name] = SelectField(label, validate_choice=False, **choose("an option"))


def initial_data(tracking_rows: list[TrackingRow], stored: list[TrackingChoice]) -> dict:
    """The saved sources and options as the fields' data."""
    saved = {choice.category_id: choice for choice in stored}
    data = {}
    for row in tracking_rows:
        choice = saved.get(row.category_id)
        data[f"tracking_{row.index}_source"] = _source_key(choice) if choice else ""
        same = choice is not None and _source_key(choice) == row.source
        for value, _label, name in row.values:
            data[name] = (choice.options.get(value) or "") if same else ""
    return data


def offer(form, tenant_id: str, stored: list[TrackingChoice]) -> None:
    """Set the sources and options offered; flag saved options and categories Xero would refuse."""
    saved = {choice.category_id: choice for choice in stored}
    custom_ids = [choice.custom_field_id for choice in stored if choice.custom_field_id]
    selects = db.session.scalars(select(CustomField).where(
        CustomField.field_type == "select", or_(CustomField.archived.is_(False), CustomField.id.in_(custom_ids)))
        .order_by(CustomField.position, CustomField.id))
    sources = [(f"custom_field:{f.id}", f"Custom field: {f.name} (invoices only)") for f in selects]
    sources += list(SOURCE_LABELS.items())
    by_category = tracking.options(tenant_id)
    for row in form.tracking_rows:
        source_field = form[f"tracking_{row.index}_source"]
        source_field.choices = options(sources, "None: not sent to Xero")
        if row.problem and row.category_id in saved:
            form.stale[source_field.name] = _source_key(saved[row.category_id])
            form.flags[source_field.name] = row.problem
        offered = [o for o in by_category.get(row.category_id, []) if o.status == tracking.ACTIVE]
        names = {o.option_id: o for rows_ in by_category.values() for o in rows_}
        choice = saved.get(row.category_id)
        for value, _label, name in row.values:
            option_field = form[name]
            option_field.choices = options([(o.option_id, o.name) for o in offered], NONE_OPTION)
            mapped = (choice.options.get(value) if choice and _source_key(choice) == row.source else None)
            if not mapped or mapped in {o.option_id for o in offered}:
                continue
            old = names.get(mapped)
            label = f"{old.name} (archived)" if old else "(no longer in Xero)"
            option_field.choices.append(SelectChoice(mapped, label))
            form.stale[name] = mapped
            form.flags[name] = (f"{old.name if old else 'This option'} is archived in Xero or no longer there: "
                                f"Xero would refuse it. Choose another option, or none.")
    themes = tracking.themes(tenant_id)
    form.branding_theme_id.choices = options([(t.value, t.label) for t in themes], "None: Xero's default theme")
    theme = form.branding_theme_id.object_data
    if theme and theme not in {t.value for t in themes}:
        form.branding_theme_id.choices.append(SelectChoice(theme, "(no longer in Xero)"))
        form.stale["branding_theme_id"] = theme
        form.flags["branding_theme_id"] = "This theme is no longer in Xero: choose another, or none."


def fields_in_order(form) -> list:
    """The card's fields as the page shows them (for the error summary)."""
    found = []
    for row in form.tracking_rows:
        found.append((form[f"tracking_{row.index}_source"], f"Tracking {row.name}"))
        found += [(form[name], f"{row.name}: {label}") for _value, label, name in row.values]
    return found


def to_choices(form) -> list[TrackingChoice]:
    """The card's answers, as the setup service saves them (categories following nothing left out)."""
    found = []
    for row in form.tracking_rows:
        source = form[f"tracking_{row.index}_source"].data or ""
        if not source:
            continue
        kind, _, field_id = source.partition(":")
        found.append(TrackingChoice(
            row.category_id, row.name, kind, int(field_id) if field_id else None,
            {value: form[name].data for value, _label, name in row.values if form[name].data}))
    return found


def validate(form) -> bool:
    """At most two categories mapped, each source known; errors go on the source fields."""
    valid = True
    mapped = [row for row in form.tracking_rows if form[f"tracking_{row.index}_source"].data]
    known = {choice.value for choice in form[f"tracking_{mapped[0].index}_source"].choices} if mapped else set()
    for row in mapped:
        source_field = form[f"tracking_{row.index}_source"]
        if source_field.data not in known:
            source_field.errors.append("Choose what this category follows from the list.")
            valid = False
    if len(mapped) > tracking.MAX_CATEGORIES:
        form[f"tracking_{mapped[-1].index}_source"].errors.append(
            f"Xero takes at most {tracking.MAX_CATEGORIES} tracking categories on a line: set the others to None.")
        valid = False
    return valid


def _source_key(choice: TrackingChoice) -> str:
    return f"custom_field:{choice.custom_field_id}" if choice.source == "custom_field" else choice.source


def _source_args(source: str) -> tuple:
    kind, _, field_id = source.partition(":")
    if kind == "custom_field":
        return kind, db.session.get(CustomField, int(field_id)) if field_id.isdigit() else None
    return kind, None
