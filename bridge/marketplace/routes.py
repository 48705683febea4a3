"""The App Marketplace page, with one Xero card per billing entity, and each entity's setup
wizard (also behind the pencil, with its Tracking card re-rendered when a source changes),
"Refresh from Xero" and disconnect (the bin). Connecting is bridge.marketplace.consent's.

Every Xero URL names its entity (/marketplace/xero/<entity_id>/setup); the URLs without one
(/marketplace/xero/setup) still work and mean the first entity.
"""
from typing import NamedTuple

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from bridge.auth.roles import admin_required
from bridge.extensions import db
from bridge.forms import EmptyForm
from bridge.invoicing.responses import go_to, is_htmx, page_or_partial
from bridge.marketplace import bp, sync
from bridge.marketplace.entity import entities, entity_or_404, suffix
from bridge.xero.settings import connect as connection
from bridge.xero.settings import reference
from bridge.xero.settings import setup
from bridge.xero.settings.connect import ConnectError
from bridge.marketplace.forms import setup_form
from bridge.models import BillingEntity, User
from bridge.xero.api.errors import XeroError


class App(NamedTuple):
    """A card on the App Marketplace page; more apps add their own entry and partial."""

    key: str
    name: str
    card: str


APPS = [App("xero", "Xero", "marketplace/_xero_card.html")]


# Members see the cards (which organisation each entity uses, its health); everything else,
# connecting, the wizard, the bin, "Sync now", Activity and Reconcile, is for admins (403).


@bp.get("/settings/marketplace")
def index():
    """The apps; Xero with a card per billing entity, each with its state (not connected /
    connected to … / needs reconnecting)."""
    every = entities()
    cards = [xero_card_context(entity) for entity in every]
    return render_template("marketplace/index.html", apps=APPS, xero_cards=cards,
                           several_entities=len(every) > 1)


def xero_card_context(entity: BillingEntity) -> dict:
    """What one entity's Xero card shows: its connection's health and whether setup was finished."""
    xero = setup.connection(entity.id)
    connected_by = db.session.get(User, xero.connected_by_id) if xero and xero.connected_by_id else None
    return {
        "entity": entity,
        # The first card keeps the ids #app-xero and #xero-sync that links point at.
        "suffix": suffix(entity),
        "xero": xero,
        "xero_connected_by": connected_by,
        "xero_configured": bool(xero and setup.is_configured(xero.tenant_id, entity.id)),
        "xero_jobs": recent_copy_jobs(xero.tenant_id) if xero else [],
        **sync.sync_context(xero, entity=entity),
    }


@bp.route("/marketplace/xero/disconnect", methods=["GET", "POST"], defaults={"entity_id": None})
@bp.route("/marketplace/xero/<int:entity_id>/disconnect", methods=["GET", "POST"])
@admin_required
def xero_disconnect(entity_id: int | None):
    """The bin: a confirmation (a modal for HTMX, else a page), then the disconnect of this
    entity's organisation only."""
    entity = entity_or_404(entity_id)
    xero = setup.connection(entity.id)
    if xero is None:
        flash(f"{entity.name}: Xero is not connected.", "info")
        return go_to(url_for("marketplace.index"))
    if EmptyForm().validate_on_submit():
        try:
            result = connection.disconnect(entity.id)
        except ConnectError as error:
            flash(error.message, "error")
            return redirect(url_for("marketplace.index"))
        flash(f"Disconnected from {result.tenant_name}. Bridge's access for {result.entity_name} was ended "
              "at Xero and forgotten; what was copied to Xero stays recorded in Bridge.", "success")
        for note in result.notes:
            flash(note, "warning")
        return redirect(url_for("marketplace.index"))
    return page_or_partial("marketplace/disconnect.html", "marketplace/_disconnect_dialog.html",
                           xero=xero, entity=entity)


@bp.route("/marketplace/xero/setup", methods=["GET", "POST"], defaults={"entity_id": None})
@bp.route("/marketplace/xero/<int:entity_id>/setup", methods=["GET", "POST"])
@admin_required
def xero_setup(entity_id: int | None):
    """Every decision of the entity's integration in one form; saving applies from the next
    copy or sync."""
    entity = entity_or_404(entity_id)
    xero, form, problem = wizard(entity, reference.ensure_loaded)
    if xero is None:
        return connect_first(entity)
    if form.validate_on_submit():
        first_time = not setup.is_configured(xero.tenant_id, entity.id)
        setup.save(form.to_setup(), current_user.id, entity.id)
        flash("Xero is set up." if first_time else
              "Xero settings saved. They apply from the next copy or sync.", "success")
        return redirect(url_for("marketplace.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("marketplace/setup.html", **setup_context(entity, xero, form, problem)), status


@bp.post("/marketplace/xero/setup/refresh", defaults={"entity_id": None})
@bp.post("/marketplace/xero/<int:entity_id>/setup/refresh")
@admin_required
def xero_refresh(entity_id: int | None):
    """Read the accounts and tax rates from Xero again; the choices being made are kept."""
    entity = entity_or_404(entity_id)
    xero, form, problem = wizard(entity, reference.refresh)
    if xero is None:
        return connect_first(entity)
    context = setup_context(entity, xero, form, problem, refreshed=problem is None)
    if is_htmx():
        return render_template("marketplace/_reference.html", **context)
    return render_template("marketplace/setup.html", **context)


@bp.post("/marketplace/xero/setup/tracking", defaults={"entity_id": None})
@bp.post("/marketplace/xero/<int:entity_id>/setup/tracking")
@admin_required
def xero_tracking(entity_id: int | None):
    """The Tracking card again after a category's source changed: the new source's values, each
    with its Xero option; nothing is saved (and nothing asked of Xero) until the form is."""
    entity = entity_or_404(entity_id)
    xero = setup.connection(entity.id)
    if xero is None:
        return connect_first(entity)
    form = setup_form(xero.tenant_id, setup.load(entity.id))
    context = setup_context(entity, xero, form, None)
    if is_htmx():
        return render_template("marketplace/_tracking.html", **context)
    return render_template("marketplace/setup.html", **context)


def connect_first(entity: BillingEntity):
    flash(f"Connect Xero for {entity.name} first: the settings use its accounts and tax rates.", "info")
    return redirect(url_for("marketplace.index"))


def wizard(entity: BillingEntity, read):
    """The entity's connection, the wizard's form once Xero's accounts were read with `read`
    (ensure_loaded or refresh), and what went wrong reading them; (None, None, None) when the
    entity is not connected."""
    xero = setup.connection(entity.id)
    if xero is None:
        return None, None, None
    problem = read_reference(xero.tenant_id, read)
    return xero, setup_form(xero.tenant_id, setup.load(entity.id)), problem


def read_reference(tenant_id: str, read) -> str | None:
    """Read Xero's accounts and tax rates with `read`; what went wrong, for the page, or None."""
    try:
        read(tenant_id)
    except XeroError as error:
        return f"Bridge could not read the accounts and tax rates from Xero: {error}"
    return None


def setup_context(entity: BillingEntity, xero, form, problem: str | None, refreshed: bool = False) -> dict:
    row = setup.settings_row(entity.id)
    return {
        "entity": entity, "several_entities": len(entities()) > 1,
        "xero": xero, "form": form, "problem": problem, "refreshed": refreshed,
        "read_at": reference.read_at(xero.tenant_id),
        "configured": setup.is_configured(xero.tenant_id, entity.id),
        "synced_since": row.payments_synced_since if row else None,
    }


def recent_copy_jobs(tenant_id: str):
    # Imported here: the copy machinery imports this blueprint's reference data, so a
    # module-level import would be circular.
    from bridge.xero.invoices.bulk import jobs as bulk_copy  # registers the invoice kind
    from bridge.xero.credit_notes import bulk as _credit_notes  # noqa: F401  (registers its kind)

    return bulk_copy.recent_jobs(tenant_id=tenant_id)
