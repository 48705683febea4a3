from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from bridge.auth import bp
from bridge.auth.forms import LoginForm
from bridge.extensions import db, login_manager
from bridge.forms import EmptyForm
from bridge.models import User

# Endpoints reachable without logging in; everything else needs a session.
# webhooks: signed instead; healthz: counts only, for load balancers.
PUBLIC_ENDPOINTS = {"auth.login", "static", "webhooks.xero", "health.healthz"}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to the login page; HTMX gets HX-Redirect since it won't follow a 3xx."""
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": login_url}
    flash(login_manager.login_message, "info")
    return redirect(login_url)


@bp.before_app_request
def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if current_app.view_functions.get(request.endpoint) is None:
        return None
    if not current_user.is_authenticated:
        return unauthorized()
    return None


def safe_next(target: str | None) -> str:
    """The `next` target if it stays on this site, else the home page."""
    # Control characters (a CR/LF would break the Location header; browsers drop tabs and
    # newlines, so "/\t/evil" means "//evil") and backslashes (read as "/") are refused.
    if target and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("invoicing.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None and user.check_password(form.password.data):
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        # One message for both cases, so the form does not tell which part was wrong.
        form.password.errors.append("Email or password is incorrect.")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
