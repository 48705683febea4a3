"""The sandbox clock: real UTC time plus an offset that the control API can advance.

Everything time-dependent in the sandbox (token and code expiry, idempotency windows,
rate-limit windows, UpdatedDateUTC) reads clock.now(), so tests can jump ahead.
"""
import threading
from datetime import datetime, timedelta, timezone

from flask import Flask, current_app, has_app_context

_KEY = "xero_sandbox.clock"


class _Clock:
    """Per-app offset, guarded by a lock because the dev server is threaded."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Give the app its own clock, starting at real time."""
    app.extensions[_KEY] = _Clock()


def _state() -> _Clock | None:
    """The current app's clock, if there is an app."""
    return current_app.extensions.get(_KEY) if has_app_context() else None


def now() -> datetime:
    """Sandbox time: aware UTC, with millisecond precision like Xero's timestamps."""
    state = _state()
    offset = state.offset if state else 0.0
    instant = datetime.now(timezone.utc) + timedelta(seconds=offset)
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def advance(seconds: float) -> float:
    """Move the clock forward by seconds; return the total offset."""
    state = _state()
    with state.lock:
        state.offset += float(seconds)
        return state.offset


def offset() -> float:
    """How far the sandbox clock is ahead of real time, in seconds."""
    state = _state()
    return state.offset if state else 0.0
