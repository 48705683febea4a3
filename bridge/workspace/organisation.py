"""Settings > Organisation (admins only): the first billing entity's details and logo, and the locale."""
import datetime as dt
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, url_for

from bridge.auth.roles import admin_required
from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.models import WorkspaceSettings
from bridge.workspace import bp
from bridge.fields import base_currency
from bridge.workspace.organisation_forms import OrganisationForm

DETAILS = ("name", "address", "tax_number", "bank_details", "payment_terms")


@bp.route("/settings/organisation", methods=["GET", "POST"])
@admin_required
def settings_organisation():
    """Edit the name, address, tax number, bank details, payment terms, logo and locale."""
    row = first_entity()
    workspace = db.session.get(WorkspaceSettings, 1) or WorkspaceSettings(id=1)
    form = OrganisationForm(obj=row, locale=workspace.locale or "en")
    if form.validate_on_submit():
        for name in DETAILS:
            setattr(row, name, getattr(form, name).data)
        if form.logo_upload:
            row.logo, row.logo_type = form.logo_upload
        elif form.remove_logo.data:
            row.logo, row.logo_type = None, None
        workspace.locale = form.locale.data
        db.session.add_all([row, workspace])
        db.session.commit()
        flash("Organisation saved.", "success")
        return redirect(url_for("workspace.settings_organisation"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "workspace/settings/organisation.html", form=form, has_logo=row.logo_type is not None,
        example_amount=Decimal("1234.5"), example_currency=base_currency(), example_date=dt.date.today(),
    ), status


@bp.get("/settings/organisation/logo")
@admin_required
def settings_organisation_logo():
    """The stored logo, for the preview on the settings page."""
    row = first_entity()
    if row.logo is None:
        abort(404)
    return Response(row.logo, mimetype=row.logo_type, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
    })
