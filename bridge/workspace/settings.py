"""Workspace settings (admins only): the index, the in-place lists, the old Invoices page (now a
billing entity's numbering) and the live example of a number pattern."""
import datetime as dt
from typing import NamedTuple

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select

from bridge.auth.roles import admin_required
from bridge.extensions import db
from bridge.billing.entities import all_entities
from bridge.billing.numbering import pattern_error, render
from bridge.models import CustomField, ServiceType, TaxRate
from bridge.workspace import bp
from bridge.workspace.common import is_htmx
from bridge.workspace.forms import PATTERN_REQUIRED, CustomFieldForm, ServiceTypeForm, TaxRateForm
from bridge.workspace.inline import InlineList


class Section(NamedTuple):
    """A card on the settings index."""

    title: str
    text: str
    endpoint: str


# One card each on /settings. More areas add their own entry here.
SECTIONS = [
    Section("Billing entities", "The companies that issue your invoices: legal name, address, tax number, "
            "bank details, logo, base currency and numbering of each.", "workspace.settings_entities"),
    Section("Language and region", "How money and dates are written in Bridge and on its PDFs.",
            "workspace.settings_language"),
    Section("Service types", "Kinds of work put on invoice lines and expenses.", "workspace.settings_service_types"),
    Section("Tax rates", "Rates applied per invoice line; archived rates are no longer offered.",
            "workspace.settings_tax_rates"),
    Section("Custom fields", "Extra fields on invoices, edited in the invoice table view.",
            "workspace.settings_custom_fields"),
    Section("App Marketplace", "Connect Xero and decide how invoices, expenses and payments travel.",
            "marketplace.index"),
]


@bp.get("/settings")
@admin_required
def settings():
    """The settings sections, as cards."""
    return render_template("workspace/settings.html", sections=SECTIONS)


def put_last(field: CustomField) -> None:
    """New custom fields go after the existing ones."""
    last = db.session.scalar(select(func.max(CustomField.position)))
    field.position = 0 if last is None else last + 1


SERVICE_TYPES = InlineList(
    model=ServiceType, form=ServiceTypeForm, key="service_type", plural="service_types",
    title="Service types", columns=("Name",), edit_label="Rename",
    order_by=(ServiceType.archived, func.lower(ServiceType.name)),
    intro="workspace/settings/_service_types_intro.html",
)
TAX_RATES = InlineList(
    model=TaxRate, form=TaxRateForm, key="tax_rate", plural="tax_rates",
    title="Tax rates", columns=("Name", "Percentage"),
    order_by=(TaxRate.archived, func.lower(TaxRate.name)),
    intro="workspace/settings/_tax_rates_intro.html",
)
CUSTOM_FIELDS = InlineList(
    model=CustomField, form=CustomFieldForm, key="custom_field", plural="custom_fields",
    title="Custom fields on invoices", columns=("Name", "Type", "Options"),
    order_by=(CustomField.position, CustomField.id), on_create=put_last,
    intro="workspace/settings/_custom_fields_intro.html",
)
for inline_list in (SERVICE_TYPES, TAX_RATES, CUSTOM_FIELDS):
    inline_list.register(bp)


def number_example(pattern: str, kind: str = "invoice") -> dict:
    """The first number of this year under the pattern, or why the pattern is unusable."""
    year = dt.date.today().year
    error = pattern_error(pattern) if pattern else PATTERN_REQUIRED
    example = None if error else render(pattern, year, 1)
    return {"example": example, "example_error": error, "example_year": year, "kind": kind}


def first_entity_settings():
    """Where a single entity's settings are (its form), or the list of entities when there are several."""
    entities = all_entities()
    if len(entities) == 1:
        return redirect(url_for("workspace.settings_entity_edit", entity_id=entities[0].id))
    return redirect(url_for("workspace.settings_entities"))


@bp.get("/settings/invoices")
@admin_required
def settings_invoices():
    """Numbering moved to each billing entity's form (the table view is the invoice list)."""
    return first_entity_settings()


@bp.get("/settings/invoices/example")
@admin_required
def settings_invoice_number_example():
    """The example number for an invoice or credit note pattern being typed (HTMX)."""
    if not is_htmx():
        return redirect(url_for("workspace.settings_entities"))
    if "credit_note_number_pattern" in request.args:
        pattern = request.args.get("credit_note_number_pattern", "").strip()
        return render_template("workspace/settings/_number_example.html",
                               **number_example(pattern, kind="credit_note"))
    pattern = request.args.get("invoice_number_pattern", "").strip()
    return render_template("workspace/settings/_number_example.html", **number_example(pattern))
