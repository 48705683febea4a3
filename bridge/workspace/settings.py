"""Workspace settings (admins only): the index, the in-place lists and invoice numbering."""
import datetime as dt
from typing import NamedTuple

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from bridge.auth.roles import admin_required
from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.billing.numbering import pattern_error, render
from bridge.models import CustomField, ServiceType, TaxRate
from bridge.workspace import bp
from bridge.workspace.common import is_htmx
from bridge.workspace.forms import (
    PATTERN_REQUIRED,
    CustomFieldForm,
    InvoiceNumberingForm,
    ServiceTypeForm,
    TaxRateForm,
)
from bridge.workspace.inline import InlineList


class Section(NamedTuple):
    """A card on the settings index."""

    title: str
    text: str
    endpoint: str


# One card each on /settings. More areas add their own entry here.
SECTIONS = [
    Section("Organisation", "Your name, address, tax number, bank details and logo, as invoices show them; "
            "how money and dates are written.", "workspace.settings_organisation"),
    Section("Service types", "Kinds of work put on invoice lines and expenses.", "workspace.settings_service_types"),
    Section("Tax rates", "Rates applied per invoice line; archived rates are no longer offered.",
            "workspace.settings_tax_rates"),
    Section("Custom fields", "Extra fields on invoices, edited in the invoice table view.",
            "workspace.settings_custom_fields"),
    Section("Invoices", "Invoice numbering, and the table view for custom field values.",
            "workspace.settings_invoices"),
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


def number_example(pattern: str) -> dict:
    """The first number of this year under the pattern, or why the pattern is unusable."""
    year = dt.date.today().year
    error = pattern_error(pattern) if pattern else PATTERN_REQUIRED
    example = None if error else render(pattern, year, 1)
    return {"example": example, "example_error": error, "example_year": year}


@bp.route("/settings/invoices", methods=["GET", "POST"])
@admin_required
def settings_invoices():
    """The invoice number pattern, with an example, and the way to the table view."""
    row = first_entity()
    form = InvoiceNumberingForm(invoice_number_pattern=row.invoice_number_pattern,
                                credit_note_number_pattern=row.credit_note_number_pattern)
    if form.validate_on_submit():
        row.invoice_number_pattern = form.invoice_number_pattern.data
        # Left empty (or not sent): the credit note pattern stays as it was.
        row.credit_note_number_pattern = form.credit_note_number_pattern.data or row.credit_note_number_pattern
        db.session.commit()
        flash("Invoice numbering saved.", "success")
        return redirect(url_for("workspace.settings_invoices"))
    status = 422 if form.is_submitted() else 200
    form.invoice_number_pattern.render_kw = {
        "hx-get": url_for("workspace.settings_invoice_number_example"),
        "hx-trigger": "input changed delay:300ms",
        "hx-target": "#number-example",
        "hx-swap": "outerHTML",
        "autocomplete": "off",
    }
    example = number_example(form.invoice_number_pattern.data or "")
    if form.errors:
        example["example_error"] = None  # already shown at the field
    return render_template("workspace/settings/invoices.html", form=form, **example), status


@bp.get("/settings/invoices/example")
@admin_required
def settings_invoice_number_example():
    """The example number for a pattern being typed (HTMX)."""
    if not is_htmx():
        return redirect(url_for("workspace.settings_invoices"))
    pattern = request.args.get("invoice_number_pattern", "").strip()
    return render_template("workspace/settings/_number_example.html", **number_example(pattern))
