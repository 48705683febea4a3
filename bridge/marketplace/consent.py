"""Xero's consent for one billing entity's card: connect (the entity kept in the session with
the OAuth state), the callback, and the assignment screen when a consent granted several
organisations (each one: use it for an entity, or not at all).

Connect App opens Xero's consent in a popup (static/js/marketplace.js); the callback
answers the popup with a tiny page that hands the next URL to the marketplace page and
closes itself, and answers a plain window with a redirect.
"""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from bridge.auth.roles import admin_required
from bridge.forms import EmptyForm
from bridge.marketplace import bp
from bridge.marketplace.entity import entities, entity_or_404
from bridge.xero.settings import connect as connection
from bridge.xero.settings import setup
from bridge.xero.settings.connect import ConnectError, Connected

# The OAuth state, the entity whose card started it, and whether the consent runs in a popup.
OAUTH_SESSION_KEY = "xero_oauth"
DONT_USE = ""


def callback_url() -> str:
    """The redirect URI registered with Xero (XERO_REDIRECT_URI, else this host's callback)."""
    return current_app.config.get("XERO_REDIRECT_URI") or url_for(
        "marketplace.xero_callback", _external=True)


@bp.get("/marketplace/xero/connect", defaults={"entity_id": None})
@bp.get("/marketplace/xero/<int:entity_id>/connect")
@admin_required
def xero_connect(entity_id: int | None):
    """Send the browser (the popup, with ?popup=1) to Xero's consent page for this entity."""
    entity = entity_or_404(entity_id)
    url, state = connection.start(callback_url())
    session[OAUTH_SESSION_KEY] = {"state": state, "popup": request.args.get("popup") == "1",
                                  "entity_id": entity.id}
    return redirect(url)


@bp.get("/marketplace/xero/callback")
@admin_required
def xero_callback():
    """Xero's answer: connect, or ask which entity each organisation is for, or say what went wrong."""
    oauth = session.pop(OAUTH_SESSION_KEY, None) or {}
    entity_id = oauth.get("entity_id")
    try:
        outcome = connection.finish(request.args, oauth.get("state"), callback_url(), current_user.id,
                                    entity_id)
    except ConnectError as error:
        flash(error.message, "error")
        return finish_consent(url_for("marketplace.index"), oauth.get("popup"), 400)
    if isinstance(outcome, Connected):
        return finish_consent(after_connecting([outcome]), oauth.get("popup"))
    return finish_consent(url_for("marketplace.xero_choose", pending_id=outcome.pending_id,
                                  entity=setup.entity_key(entity_id)), oauth.get("popup"))


def finish_consent(next_url: str, popup: bool, status: int = 200):
    """In the popup: a page whose script hands next_url to the marketplace page and closes
    the popup (or goes there itself without an opener). Otherwise: a redirect."""
    if not popup:
        return redirect(next_url)
    return render_template("marketplace/consent_done.html", next_url=next_url), status


def after_connecting(outcomes: list[Connected]) -> str:
    """Say what happened; the wizard comes next when one entity's organisation is new to it."""
    several = len(outcomes) > 1
    for outcome in sorted(outcomes, key=lambda o: o.entity_id or 0):
        whose = f" for {outcome.entity_name}" if several else ""
        if outcome.settings_reset:
            flash(f"Connected to a different organisation ({outcome.tenant_name}){whose}: "
                  "settings start fresh.", "warning")
        elif outcome.configured:
            flash(f"Reconnected to {outcome.tenant_name}{whose}. Your settings are kept.", "success")
        else:
            flash(f"Connected to {outcome.tenant_name}{whose}. Now decide how Bridge and Xero work "
                  "together.", "success")
        for note in outcome.notes:
            flash(note, "warning")
    unset = [o for o in outcomes if not o.configured]
    if len(unset) == 1 and not several:
        return url_for("marketplace.xero_setup", entity_id=unset[0].entity_id)
    return url_for("marketplace.index")


def assignment_form(organisations, start: dict[str, int | None]) -> FlaskForm:
    """One select per organisation: "Use for <entity>" or "Don't use"."""
    choices = [SelectChoice(DONT_USE, "Don't use")] + [SelectChoice(str(e.id), f"Use for {e.name}")
                                                       for e in entities()]

    class AssignmentForm(FlaskForm):
        pass

    for tenant in organisations:
        chosen = start.get(tenant.tenant_id)
        setattr(AssignmentForm, f"use-{tenant.tenant_id}", SelectField(
            tenant.tenant_name, choices=choices, default=str(chosen) if chosen else DONT_USE))
    form = AssignmentForm()
    form.organisations = [(tenant, form[f"use-{tenant.tenant_id}"]) for tenant in organisations]
    return form


@bp.route("/marketplace/xero/organisations/<pending_id>", methods=["GET", "POST"])
@admin_required
def xero_choose(pending_id: str):
    """Consent granted several organisations: which entity uses each (or none)?"""
    try:
        organisations = connection.pending_organisations(pending_id, current_user.id)
    except ConnectError as error:
        flash(error.message, "error")
        return redirect(url_for("marketplace.index"))
    entity_id = request.args.get("entity", type=int)
    form = assignment_form(organisations, connection.suggested(organisations, entity_id))
    if form.validate_on_submit():
        assignments = {tenant.tenant_id: int(field.data) if field.data else None
                       for tenant, field in form.organisations}
        problems = connection.assignment_problems(organisations, assignments)
        if not any(assignments.values()):
            problems[organisations[0].tenant_id] = connection.NONE_ASSIGNED
        for tenant, field in form.organisations:
            if tenant.tenant_id in problems:
                field.errors = [problems[tenant.tenant_id]]
        if not problems:
            try:
                outcomes = connection.assign(pending_id, assignments, current_user.id)
            except ConnectError as error:
                flash(error.message, "error")
                return redirect(url_for("marketplace.index"))
            return redirect(after_connecting(outcomes))
    status = 422 if form.is_submitted() else 200
    return render_template("marketplace/choose.html", form=form, pending_id=pending_id), status


@bp.post("/marketplace/xero/organisations/<pending_id>/cancel")
@admin_required
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
