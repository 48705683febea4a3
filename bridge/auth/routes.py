"""Login and logout. Login is throttled per account and per client address (Flask-Limiter),
and an unknown email costs the same password check as a wrong password, so neither guessing
nor timing tells which emails have accounts."""
from functools import cache
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from bridge.auth import bp
from bridge.auth.forms import LoginForm
from bridge.extensions import db, limiter, login_manager
from bridge.forms import EmptyForm
from bridge.models import User

# Endpoints reachable without logging in; everything else needs a session.
# webhooks: signed instead; healthz: counts only, for load balancers.
PUBLIC_ENDPOINTS = {"auth.login", "static", "favicon", "webhooks.xero", "health.healthz"}


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """The user whose current session token the cookie carries (rotated tokens find nobody)."""
    return db.session.scalar(select(User).where(User.session_token == session_token, User.active))


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
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)):
        try:
            parts = urlsplit(target)
        except ValueError:  # e.g. "/[" parts of an IPv6 host: not a path of ours
            parts = None
        if parts is not None and not parts.scheme and not parts.netloc:
            return target
    return url_for("invoicing.index")


def posted_email() -> str:
    """The throttling key of an account: the email as typed, the way login compares it."""
    return "account:" + request.form.get("email", "").strip().lower()[:255]


def too_many_attempts(_limit):
    """The login page again, email kept, with a message at the password (429)."""
    form = LoginForm()
    form.password.errors = ["Too many login attempts. Wait a few minutes, then try again."]
    return current_app.make_response((render_template("auth/login.html", form=form), 429))


@cache
def dummy_hash(method: str) -> str:
    """A hash to check unknown emails against, so they cost what a wrong password costs."""
    return generate_password_hash("no account has this password", method=method)


def password_matches(user: User | None, password: str) -> bool:
    if user is None:
        check_password_hash(dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return user.check_password(password)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               on_breach=too_many_attempts)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=posted_email, on_breach=too_many_attempts)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if password_matches(user, form.password.data) and user.active:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        # One message for both cases, so the form does not tell which part was wrong.
        form.password.errors.append("Email or password is incorrect.")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            # Ends this user's sessions everywhere, saved copies of this cookie included.
            current_user.end_sessions()
            db.session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
