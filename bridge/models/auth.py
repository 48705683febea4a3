"""People who log in to Bridge.

A session names its user by `session_token`, not by id (Flask-Login's alternative id): the
signed cookie alone cannot be revoked, but the token can. Logging out, a new password and
deactivation give the user a new token, so every session of that user, on every machine and
in every saved cookie, ends at its next request.
"""
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from bridge.extensions import db
from bridge.models.types import UTCDateTime, utcnow

ROLES = ("admin", "member")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="member")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: new_session_token())
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def get_id(self) -> str:
        """What the session cookie holds: the revocable token (see the module docstring)."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    def end_sessions(self) -> None:
        """Revoke every session of this user (the caller commits)."""
        self.session_token = new_session_token()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)
