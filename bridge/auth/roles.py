"""Role checks for views: admin_required for one view, admins_only for a whole blueprint.

Both leave a mark the security tests read (tests/security/routes.py), so every admin-only
route is found from the code rather than from a list kept by hand.
"""
from functools import wraps

from flask import abort
from flask_login import current_user


def admins_only() -> None:
    """403 unless the current user is an admin (a before_request for admin-only blueprints)."""
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403)


def admin_required(view):
    """Let only admins through; members get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        admins_only()
        return view(*args, **kwargs)

    wrapped.admin_only = True
    return wrapped
