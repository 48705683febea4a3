"""Sandbox settings from the environment, in one place, each with a documented default.

The sandbox's README lists the same variables; keep them in step.
"""
import json
import os
from pathlib import Path

# The repository's instance/ folder (the same one Bridge uses); computed here rather than
# imported so the sandbox stays independent of the rest of Bridge.
INSTANCE_DIR = Path(__file__).resolve().parents[2] / "instance"

# The two demo organisations' tenant ids (seed.py makes them).
NZ_TENANT = "7a1d5c8e-2b3f-4c6d-9e0a-1b2c3d4e5f60"
AU_TENANT = "3c9e7b1a-5d2f-4e8a-b6c4-0d1e2f3a4b5c"
# The organisation Bridge's demo workspace is made for (its currencies enabled, GST 15 % and Zero
# Rated beside Bridge's demo rates): ticked first on the consent screen.
SUGGESTED_TENANT = NZ_TENANT

DEMO_CLIENT_ID = "bridge-demo"
DEFAULT_CLIENTS = {
    DEMO_CLIENT_ID: {
        "name": "Bridge (demo)",
        "secret": "sandbox-demo-secret-not-a-real-credential",
        "redirect_uris": [
            "http://127.0.0.1:5000/marketplace/xero/callback",
            "http://localhost:5000/marketplace/xero/callback",
        ],
    }
}


def _bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """Read an integer environment variable."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _clients() -> dict:
    """Registered OAuth clients: SANDBOX_CLIENTS (JSON mapping) or the one demo client."""
    raw = os.environ.get("SANDBOX_CLIENTS")
    return json.loads(raw) if raw else DEFAULT_CLIENTS


def _database_url() -> str:
    """SANDBOX_DATABASE_URL, else a SQLite file in the repository's instance/ folder."""
    url = os.environ.get("SANDBOX_DATABASE_URL")
    if url:
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'xero-sandbox.sqlite'}"


def from_environment() -> dict:
    """Return the sandbox's configuration read from environment variables."""
    return {
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        # SQLite waits for a writer instead of failing at once when two requests overlap.
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 30}}
        if not os.environ.get("SANDBOX_DATABASE_URL")
        else {"pool_pre_ping": True},
        "SANDBOX_CLIENTS": _clients(),
        "SANDBOX_CALLS_PER_MINUTE": _int("SANDBOX_CALLS_PER_MINUTE", 60),
        "SANDBOX_CONCURRENT_LIMIT": _int("SANDBOX_CONCURRENT_LIMIT", 5),
        "SANDBOX_CALLS_PER_DAY": _int("SANDBOX_CALLS_PER_DAY", 5000),
        "SANDBOX_APP_CALLS_PER_MINUTE": _int("SANDBOX_APP_CALLS_PER_MINUTE", 10000),
        # The test-control API changes data and time: off unless asked for explicitly.
        "SANDBOX_CONTROL_ENABLED": _bool("SANDBOX_CONTROL_ENABLED", False),
        "SANDBOX_REQUEST_LOG_SIZE": _int("SANDBOX_REQUEST_LOG_SIZE", 2000),
        "SANDBOX_HANG_MAX_SECONDS": _int("SANDBOX_HANG_MAX_SECONDS", 300),
        "SANDBOX_SEED": _bool("SANDBOX_SEED", True),
        # Where signed INVOICE webhooks go (empty: none are sent), and the signing key.
        "SANDBOX_WEBHOOK_URL": os.environ.get("SANDBOX_WEBHOOK_URL", "").strip(),
        "SANDBOX_WEBHOOK_KEY": os.environ.get("SANDBOX_WEBHOOK_KEY", ""),
        # Attachment limits (notes §19, reported, not in the spec): 10 MB per file, 10 per document.
        "SANDBOX_ATTACHMENT_MAX_BYTES": _int("SANDBOX_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "SANDBOX_ATTACHMENTS_PER_DOCUMENT": _int("SANDBOX_ATTACHMENTS_PER_DOCUMENT", 10),
    }
