"""Settings > Billing entities: every member sees the list; admins add, edit and delete entities
(details, logo, base currency, numbering). Xero connections are read here, managed in the Marketplace."""
import datetime as dt

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from bridge.auth.roles import admin_required
from bridge.billing.entities import all_entities, delete_entity, why_not_delete
from bridge.billing.numbering import render
from bridge.extensions import db
from bridge.forms import EmptyForm
from bridge.models import BillingEntity, Invoice, XeroConnection
from bridge.workspace import bp
from bridge.workspace.common import commit_unique
from bridge.workspace.entity_forms import EntityForm
from bridge.workspace.settings import number_example

DETAILS = ("name", "address", "tax_number", "bank_details", "payment_terms", "base_currency",
           "invoice_number_pattern", "credit_note_number_pattern")


@bp.get("/settings/entities")
def settings_entities():
    """Every billing entity with its currency, first number of the year and Xero organisation."""
    entities = all_entities()
    connections = dict(db.session.execute(select(XeroConnection.entity_id, XeroConnection.tenant_name)).all())
    invoices = dict(db.session.execute(
        select(Invoice.entity_id, func.count(Invoice.id)).group_by(Invoice.entity_id)).all())
    year = dt.date.today().year
    rows = [{"entity": e, "connection": connections.get(e.id), "invoices": invoices.get(e.id, 0),
             "example": render(e.invoice_number_pattern, year, 1),
             "credit_note_example": render(e.credit_note_number_pattern, year, 1)} for e in entities]
    return render_template("workspace/settings/entities.html", rows=rows,
                           is_admin=current_user.is_admin)


@bp.route("/settings/entities/new", methods=["GET", "POST"])
@admin_required
def settings_entity_new():
    """Add a billing entity."""
    return _save(EntityForm(), BillingEntity())


@bp.route("/settings/entities/<int:entity_id>/edit", methods=["GET", "POST"])
@admin_required
def settings_entity_edit(entity_id: int):
    """Change an entity's details, logo, base currency or numbering."""
    entity = db.get_or_404(BillingEntity, entity_id)
    return _save(EntityForm(obj=entity), entity)


def _save(form: EntityForm, entity: BillingEntity):
    """Show the form, or save it and go back to the list; 422 with the errors when refused."""
    if form.validate_on_submit():
        for name in DETAILS:
            setattr(entity, name, getattr(form, name).data)
        if form.logo_upload:
            entity.logo, entity.logo_type = form.logo_upload
        elif form.remove_logo.data:
            entity.logo, entity.logo_type = None, None
        db.session.add(entity)
        if commit_unique(form):
            flash(f"Billing entity {entity.name} saved.", "success")
            return redirect(url_for("workspace.settings_entities"))
    status = 422 if form.is_submitted() else 200
    _live_examples(form)
    invoice_example = number_example(form.invoice_number_pattern.data or "")
    credit_note_example = number_example(form.credit_note_number_pattern.data or "", kind="credit_note")
    # A refused pattern's message is at its field; no example of numbers it will not give.
    for field, example in ((form.invoice_number_pattern, invoice_example),
                           (form.credit_note_number_pattern, credit_note_example)):
        if field.errors:
            example.update(example=None, example_error=None)
    blockers = why_not_delete(entity) if entity.id else []
    return render_template(
        "workspace/settings/entity_form.html", form=form, entity=entity,
        has_logo=entity.id is not None and entity.logo_type is not None,
        invoice_example=invoice_example, credit_note_example=credit_note_example,
        blockers=blockers, delete_form=EmptyForm(),
    ), status


def _live_examples(form: EntityForm) -> None:
    """Each pattern field asks for its example number as it is typed (HTMX)."""
    for field, target in ((form.invoice_number_pattern, "#number-example"),
                          (form.credit_note_number_pattern, "#credit-note-number-example")):
        field.render_kw = {"hx-get": url_for("workspace.settings_invoice_number_example"),
                           "hx-trigger": "input changed delay:300ms", "hx-target": target,
                           "hx-swap": "outerHTML", "autocomplete": "off"}


@bp.post("/settings/entities/<int:entity_id>/delete")
@admin_required
def settings_entity_delete(entity_id: int):
    """Delete an entity nothing belongs to; otherwise say what still does."""
    entity = db.get_or_404(BillingEntity, entity_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    blockers = why_not_delete(entity)
    if blockers:
        flash(f"{entity.name} cannot be deleted: {'; '.join(blockers)}.", "error")
        return redirect(url_for("workspace.settings_entity_edit", entity_id=entity.id))
    name = entity.name
    delete_entity(entity)
    db.session.commit()
    flash(f"Billing entity {name} deleted.", "success")
    return redirect(url_for("workspace.settings_entities"))


@bp.get("/settings/entities/<int:entity_id>/logo")
@admin_required
def settings_entity_logo(entity_id: int):
    """The entity's stored logo, for the preview on its form."""
    entity = db.get_or_404(BillingEntity, entity_id)
    if entity.logo is None:
        abort(404)
    return Response(entity.logo, mimetype=entity.logo_type, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
    })
