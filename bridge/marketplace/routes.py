"""The App Marketplace page and Xero's connect, callback, organisation choice, setup wizard
(also behind the pencil, with its Tracking card re-rendered when a source changes), "Refresh
from Xero" and disconnect (the bin).

Connect App opens Xero's consent in a popup (static/js/marketplace.js); the callback
answers the popup with a tiny page that hands the next URL to the marketplace page and
closes itself, and answers a plain window with a redirect.
"""
from typing import NamedTuple

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from bridge.auth.roles import admins_only
from bridge.extensions import db
from bridge.forms import EmptyForm
from bridge.invoicing.forms import options
from bridge.invoicing.responses import go_to, is_htmx, page_or_partial
from bridge.marketplace import bp, sync
from bridge.xero.settings import connect as connection
from bridge.xero.settings import reference
from bridge.xero.settings import setup
from bridge.xero.settings.connect import ConnectError, Connected
from bridge.marketplace.forms import ChooseOrganisationForm, setup_form
from bridge.models import User
from bridge.xero.api.errors import XeroError

# The OAuth state (and whether the consent runs in a popup) between connect and callback.
OAUTH_SESSION_KEY = "xero_oauth"


class App(NamedTuple):
    """A card on the App Marketplace page; more apps add their own entry and partial."""

    key: str
    name: str
    card: str


APPS = [App("xero", "Xero", "marketplace/_xero_card.html")]


# Every page of the marketplace is for admins; members get 403.
bp.before_request(admins_only)


@bp.get("/settings/marketplace")
def index():
    """The apps, each with its state (not connected / connected to … / needs reconnecting)."""
    return render_template("marketplace/index.html", apps=APPS, **xero_card_context())


def xero_card_context() -> dict:
    """What the Xero card shows: the connection's health and whether setup was finished."""
    xero = setup.connection()
    connected_by = db.session.get(User, xero.connected_by_id) if xero and xero.connected_by_id else None
    return {
        "xero": xero,
        "xero_connected_by": connected_by,
        "xero_configured": bool(xero and setup.is_configured(xero.tenant_id)),
        "xero_jobs": recent_copy_jobs() if xero else [],
        **sync.sync_context(xero),
    }


def callback_url() -> str:
    """The redirect URI registered with Xero (XERO_REDIRECT_URI, else this host's callback)."""
    return current_app.config.get("XERO_REDIRECT_URI") or url_for(
        "marketplace.xero_callback", _external=True)


@bp.get("/marketplace/xero/connect")
def xero_connect():
    """Send the browser (the popup, with ?popup=1) to Xero's consent page."""
    url, state = connection.start(callback_url())
    session[OAUTH_SESSION_KEY] = {"state": state, "popup": request.args.get("popup") == "1"}
    return redirect(url)


@bp.get("/marketplace/xero/callback")
def xero_callback():
    """Xero's answer: connect, or ask which organisation, or say what went wrong."""
    oauth = session.pop(OAUTH_SESSION_KEY, None) or {}
    try:
        outcome = connection.finish(request.args, oauth.get("state"), callback_url(), current_user.id)
    except ConnectError as error:
        flash(error.message, "error")
        return finish_consent(url_for("marketplace.index"), oauth.get("popup"), 400)
    if isinstance(outcome, Connected):
        return finish_consent(after_connecting(outcome), oauth.get("popup"))
    return finish_consent(url_for("marketplace.xero_choose", pending_id=outcome.pending_id),
                          oauth.get("popup"))


def finish_consent(next_url: str, popup: bool, status: int = 200):
    """In the popup: a page whose script hands next_url to the marketplace page and closes
    the popup (or goes there itself without an opener). Otherwise: a redirect."""
    if not popup:
        return redirect(next_url)
    return render_template("marketplace/consent_done.html", next_url=next_url), status


def after_connecting(outcome: Connected) -> str:
    """Say what happened; the wizard comes next unless this organisation was set up before."""
    if outcome.settings_reset:
        flash(f"Connected to a different organisation ({outcome.tenant_name}): settings start fresh.",
              "warning")
    elif outcome.configured:
        flash(f"Reconnected to {outcome.tenant_name}. Your settings are kept.", "success")
    else:
        flash(f"Connected to {outcome.tenant_name}. Now decide how Bridge and Xero work together.",
              "success")
    for note in outcome.notes:
        flash(note, "warning")
    if outcome.configured:
        return url_for("marketplace.index")
    return url_for("marketplace.xero_setup")


@bp.route("/marketplace/xero/organisations/<pending_id>", methods=["GET", "POST"])
def xero_choose(pending_id: str):
    """Consent granted several organisations: which one does this workspace use?"""
    try:
        organisations = connection.pending_organisations(pending_id, current_user.id)
    except ConnectError as error:
        flash(error.message, "error")
        return redirect(url_for("marketplace.index"))
    form = ChooseOrganisationForm()
    form.tenant_id.choices = options([(o.tenant_id, o.tenant_name) for o in organisations])
    if form.validate_on_submit():
        try:
            outcome = connection.choose(pending_id, form.tenant_id.data, current_user.id)
        except ConnectError as error:
            flash(error.message, "error")
            return redirect(url_for("marketplace.index"))
        return redirect(after_connecting(outcome))
    status = 422 if form.is_submitted() else 200
    return render_template("marketplace/choose.html", form=form, pending_id=pending_id), status


@bp.post("/marketplace/xero/organisations/<pending_id>/cancel")
def xero_choose_cancel(pending_id: str):
    """Connect none of them: the consent and its tokens are forgotten."""
    if EmptyForm().validate_on_submit():
        try:
            connection.cancel(pending_id, current_user.id)
        except ConnectError:
            pass  # already gone: the outcome is the same
        flash("Nothing was connected. Xero may still list Bridge under the organisations you "
              "ticked; you can remove it there.", "info")
    return redirect(url_for("marketplace.index"))


@bp.route("/marketplace/xero/disconnect", methods=["GET", "POST"])
def xero_disconnect():
    """The bin: a confirmation (a modal for HTMX, else a page), then the disconnect."""
    xero = setup.connection()
    if xero is None:
        flash("Xero is not connected.", "info")
        return go_to(url_for("marketplace.index"))
    if EmptyForm().validate_on_submit():
        try:
            result = connection.disconnect()
        except ConnectError as error:
            flash(error.message, "error")
            return redirect(url_for("marketplace.index"))
        flash(f"Disconnected from {result.tenant_name}. Bridge's access was ended at Xero and forgotten; "
              "what was copied to Xero stays recorded in Bridge.", "success")
        for note in result.notes:
            flash(note, "warning")
        return redirect(url_for("marketplace.index"))
    return page_or_partial("marketplace/disconnect.html", "marketplace/_disconnect_dialog.html",
                           xero=xero)


@bp.route("/marketplace/xero/setup", methods=["GET", "POST"])
def xero_setup():
    """Every decision of the integration in one form; saving applies from the next copy or sync."""
    xero, form, problem = wizard(reference.ensure_loaded)
    if xero is None:
        return connect_first()
    if form.validate_on_submit():
        first_time = not setup.is_configured(xero.tenant_id)
        setup.save(form.to_setup(), current_user.id)
        flash("Xero is set up." if first_time else
              "Xero settings saved. They apply from the next copy or sync.", "success")
        return redirect(url_for("marketplace.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("marketplace/setup.html", **setup_context(xero, form, problem)), status


@bp.post("/marketplace/xero/setup/refresh")
def xero_refresh():
    """Read the accounts and tax rates from Xero again; the choices being made are kept."""
    xero, form, problem = wizard(reference.refresh)
    if xero is None:
        return connect_first()
    context = setup_context(xero, form, problem, refreshed=problem is None)
    if is_htmx():
        return render_template("marketplace/_reference.html", **context)
    return render_template("marketplace/setup.html", **context)


@bp.post("/marketplace/xero/setup/tracking")
def xero_tracking():
    """The Tracking card again after a category's source changed: the new source's values, each
    with its Xero option; nothing is saved (and nothing asked of Xero) until the form is."""
    xero = setup.connection()
    if xero is None:
        return connect_first()
    form = setup_form(xero.tenant_id, setup.load())
    context = setup_context(xero, form, None)
    if is_htmx():
        return render_template("marketplace/_tracking.html", **context)
    return render_template("marketplace/setup.html", **context)


def connect_first():
    flash("Connect Xero first: the settings use its accounts and tax rates.", "info")
    return redirect(url_for("marketplace.index"))


def wizard(read):
    """The connection, the wizard's form once Xero's accounts were read with `read` (ensure_loaded
    or refresh), and what went wrong reading them; (None, None, None) when not connected."""
    xero = setup.connection()
    if xero is None:
        return None, None, None
    problem = read_reference(xero.tenant_id, read)
    return xero, setup_form(xero.tenant_id, setup.load()), problem


def read_reference(tenant_id: str, read) -> str | None:
    """Read Xero's accounts and tax rates with `read`; what went wrong, for the page, or None."""
    try:
        read(tenant_id)
    except XeroError as error:
        return f"Bridge could not read the accounts and tax rates from Xero: {error}"
    return None


def setup_context(xero, form, problem: str | None, refreshed: bool = False) -> dict:
    row = setup.settings_row()
    return {
        "xero": xero, "form": form, "problem": problem, "refreshed": refreshed,
        "read_at": reference.read_at(xero.tenant_id),
        "configured": setup.is_configured(xero.tenant_id),
        "synced_since": row.payments_synced_since if row else None,
    }


def recent_copy_jobs():
    # Imported here: the copy machinery imports this blueprint's reference data, so a
    # module-level import would be circular.
    from bridge.xero.invoices.bulk import jobs as bulk_copy  # registers the invoice kind
    from bridge.xero.credit_notes import bulk as _credit_notes  # noqa: F401  (registers its kind)

    return bulk_copy.recent_jobs()
