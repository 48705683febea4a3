"""Settings > Language and region (admins only): how money and dates are written, workspace-wide.
The old Settings > Organisation URLs lead to the billing entities, which now hold those details."""
import datetime as dt
from decimal import Decimal

from flask import flash, redirect, render_template, url_for

from bridge.auth.roles import admin_required
from bridge.billing.entities import first_entity
from bridge.extensions import db
from bridge.fields import base_currency
from bridge.models import WorkspaceSettings
from bridge.workspace import bp
from bridge.workspace.organisation_forms import LocaleForm
from bridge.workspace.settings import first_entity_settings


@bp.route("/settings/language", methods=["GET", "POST"])
@admin_required
def settings_language():
    """Choose the locale money and dates are written in."""
    workspace = db.session.get(WorkspaceSettings, 1) or WorkspaceSettings(id=1)
    form = LocaleForm(locale=workspace.locale or "en")
    if form.validate_on_submit():
        workspace.locale = form.locale.data
        db.session.add(workspace)
        db.session.commit()
        flash("Language and region saved.", "success")
        return redirect(url_for("workspace.settings_language"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "workspace/settings/language.html", form=form,
        example_amount=Decimal("1234.5"), example_currency=base_currency(), example_date=dt.date.today(),
    ), status


@bp.get("/settings/organisation")
@admin_required
def settings_organisation():
    """The organisation's details are a billing entity's now: its form, or the list when there are several."""
    return first_entity_settings()


@bp.get("/settings/organisation/logo")
@admin_required
def settings_organisation_logo():
    """The first entity's logo (its address before billing entities)."""
    return redirect(url_for("workspace.settings_entity_logo", entity_id=first_entity().id))
