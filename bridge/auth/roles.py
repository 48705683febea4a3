"""Role checks for views."""
from functools import wraps

from flask import abort
from flask_login import current_user


def admin_required(view):
    """Let only admins through; members get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
