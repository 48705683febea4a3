"""Settings from the environment, in one place, each with a documented default.

The README's configuration table lists the same variables; keep them in step.
"""
import os
import secrets
import tempfile
from pathlib import Path

from bridge.currencies import iso_currencies

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept in instance/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = INSTANCE_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'bridge.sqlite'}")
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# --- Xero ---------------------------------------------------------------------------
# Real Xero's endpoints (XERO_API_NOTES.md §1).
XERO_URLS = {
    "XERO_AUTHORIZE_URL": "https://login.xero.com/identity/connect/authorize",
    "XERO_TOKEN_URL": "https://identity.xero.com/connect/token",
    "XERO_REVOCATION_URL": "https://identity.xero.com/connect/revocation",
    "XERO_CONNECTIONS_URL": "https://api.xero.com/connections",
    "XERO_API_URL": "https://api.xero.com/api.xro/2.0",
    # Where people open a copied invoice in Xero ({tenant_id} and {invoice_id} are filled in).
    "XERO_INVOICE_URL": "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={invoice_id}",
    # Where people open a bill Bridge sent (a budget expense) in Xero.
    "XERO_BILL_URL": "https://go.xero.com/AccountsPayable/View.aspx?InvoiceID={invoice_id}",
    # Where people open a credit note Bridge copied ({invoice_id}: its CreditNoteID).
    "XERO_CREDIT_NOTE_URL": "https://go.xero.com/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={invoice_id}",
}
# The same endpoints on the local sandbox, relative to XERO_SANDBOX_URL.
XERO_SANDBOX_PATHS = {
    "XERO_AUTHORIZE_URL": "/identity/connect/authorize",
    "XERO_TOKEN_URL": "/connect/token",
    "XERO_REVOCATION_URL": "/connect/revocation",
    "XERO_CONNECTIONS_URL": "/connections",
    "XERO_API_URL": "/api.xro/2.0",
    "XERO_INVOICE_URL": "/_ui/{tenant_id}/invoices/{invoice_id}",
    "XERO_BILL_URL": "/_ui/{tenant_id}/invoices/{invoice_id}",
    "XERO_CREDIT_NOTE_URL": "/_ui/{tenant_id}/invoices/{invoice_id}",
}
XERO_SANDBOX_DEFAULT_URL = "http://127.0.0.1:5050"
# The sandbox's public demo client: not a secret, it only works against the sandbox.
XERO_SANDBOX_CLIENT_ID = "bridge-demo"
XERO_SANDBOX_CLIENT_SECRET = "sandbox-demo-secret-not-a-real-credential"
# Scope sets (XERO_API_NOTES.md §2.6): apps created before March 2026 use the broad
# ("legacy") scopes; newer apps get the granular ones only.
XERO_SCOPE_SETS = {
    "legacy": "openid profile email offline_access accounting.settings.read "
    "accounting.contacts accounting.transactions accounting.attachments",
    "granular": "openid profile email offline_access accounting.settings.read "
    "accounting.contacts accounting.invoices accounting.payments.read accounting.attachments",
}


def _xero_endpoints() -> dict:
    """The one place that chooses between real Xero and the local sandbox.

    Both XERO_CLIENT_ID and XERO_CLIENT_SECRET set: real Xero. Neither: the sandbox at
    XERO_SANDBOX_URL with its demo client. Each URL can still be overridden on its own.
    """
    client_id = os.environ.get("XERO_CLIENT_ID", "").strip()
    client_secret = os.environ.get("XERO_CLIENT_SECRET", "").strip()
    if bool(client_id) != bool(client_secret):
        raise ValueError(
            "Set both XERO_CLIENT_ID and XERO_CLIENT_SECRET (real Xero) or neither (sandbox)."
        )
    if client_id:
        urls = dict(XERO_URLS)
    else:
        base = os.environ.get("XERO_SANDBOX_URL", XERO_SANDBOX_DEFAULT_URL).rstrip("/")
        urls = {key: base + path for key, path in XERO_SANDBOX_PATHS.items()}
        client_id, client_secret = XERO_SANDBOX_CLIENT_ID, XERO_SANDBOX_CLIENT_SECRET
    urls = {key: os.environ.get(key) or url for key, url in urls.items()}
    return {"XERO_CLIENT_ID": client_id, "XERO_CLIENT_SECRET": client_secret, **urls}


def _xero_scopes() -> str:
    """XERO_SCOPES: "legacy" (default), "granular", or an explicit space-separated list."""
    value = " ".join(os.environ.get("XERO_SCOPES", "legacy").split())
    scopes = XERO_SCOPE_SETS.get(value.lower(), value)
    if "offline_access" not in scopes.split():
        # Without it Xero issues no refresh token and the connection dies after 30 minutes.
        raise ValueError("XERO_SCOPES must include offline_access.")
    return scopes


def _xero_token_key() -> str:
    """XERO_TOKEN_KEY (a Fernet key) from the environment, else one kept in instance/.

    Losing this key makes stored Xero tokens unreadable: every organisation must reconnect.
    """
    from cryptography.fernet import Fernet

    key = os.environ.get("XERO_TOKEN_KEY", "").strip()
    if not key:
        key_file = INSTANCE_DIR / "xero_token_key"
        if not key_file.exists():
            INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
            # Written to a private (0600) temporary file, then linked into place: two
            # processes starting at once end up with the same key, never a half-written one.
            fd, tmp = tempfile.mkstemp(dir=INSTANCE_DIR, prefix=".xero_token_key.")
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(Fernet.generate_key().decode("ascii"))
                try:
                    os.link(tmp, key_file)
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        key = key_file.read_text().strip()
    try:
        Fernet(key)
    except ValueError as error:
        raise ValueError(
            "XERO_TOKEN_KEY must be a Fernet key (32 url-safe base64 bytes)."
        ) from error
    return key


def from_environment() -> dict:
    """Return the app's configuration read from environment variables."""
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # CSRF tokens live as long as the session, so a page left open all day still posts.
        "WTF_CSRF_TIME_LIMIT": None,
        # Cookies: HttpOnly and SameSite=Lax always; Secure (HTTPS only) unless
        # SESSION_COOKIE_SECURE says otherwise, where unset means "except in debug and
        # tests" (decided in bridge.security once the app's mode is known).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _optional_bool("SESSION_COOKIE_SECURE"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # werkzeug's scrypt; the tests choose a cheaper method to stay fast.
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "INVOICES_PER_PAGE": int(os.environ.get("INVOICES_PER_PAGE", "25")),
        "EXPENSES_PER_PAGE": int(os.environ.get("EXPENSES_PER_PAGE", "50")),
        "BRIDGE_BASE_CURRENCY": _base_currency(),
        # Xero: client credentials and endpoint URLs (real Xero or the sandbox, see
        # _xero_endpoints): XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_AUTHORIZE_URL,
        # XERO_TOKEN_URL, XERO_REVOCATION_URL, XERO_CONNECTIONS_URL, XERO_API_URL, and
        # XERO_INVOICE_URL and XERO_BILL_URL (a copied invoice, a sent bill in Xero's UI:
        # {tenant_id}, {invoice_id}).
        **_xero_endpoints(),
        # Where Xero sends the browser back after consent. Empty: Bridge's own
        # /marketplace/xero/callback as an absolute URL of the request's host. Set it when
        # Bridge runs behind a proxy that changes the host or scheme; it must equal, letter
        # for letter, a redirect URI registered with the Xero app.
        "XERO_REDIRECT_URI": os.environ.get("XERO_REDIRECT_URI", "").strip(),
        # Space-separated OAuth scopes requested when connecting an organisation.
        "XERO_SCOPES": _xero_scopes(),
        # Fernet key that encrypts Xero tokens at rest.
        "XERO_TOKEN_KEY": _xero_token_key(),
        # Seconds to wait for Xero to answer one HTTP request.
        "XERO_TIMEOUT": float(os.environ.get("XERO_TIMEOUT", "20")),
        # Our own per-organisation budget, under Xero's 60 calls a minute.
        "XERO_CALLS_PER_MINUTE": int(os.environ.get("XERO_CALLS_PER_MINUTE", "55")),
        # Payment sync: seconds between polls of Xero (bridge.xero.scheduling.scheduler).
        "XERO_POLL_SECONDS": _poll_seconds(),
        # Seconds from a process's start to its first poll (at most XERO_POLL_SECONDS).
        "XERO_FIRST_POLL_SECONDS": float(os.environ.get("XERO_FIRST_POLL_SECONDS", "10")),
        # Run the in-app scheduler: unset means on, except under TESTING (tests turn it on).
        "XERO_SCHEDULER_ENABLED": _optional_bool("XERO_SCHEDULER_ENABLED"),
        # How long the polling process's lease lasts unless renewed; another process takes
        # over this long after the poller died (a clean stop hands it over at once).
        "XERO_LEASE_SECONDS": int(os.environ.get("XERO_LEASE_SECONDS") or 2 * _poll_seconds() + 60),
        # The webhook signing key from Xero's developer portal; empty refuses every delivery.
        "XERO_WEBHOOK_KEY": os.environ.get("XERO_WEBHOOK_KEY", "").strip(),
        # Largest request body, in bytes, read while it arrives (werkzeug answers 413 past it):
        # a form of 200 invoice lines is under 100 KB; nothing Bridge takes is near 2 MiB.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        # The webhook's own, much smaller limit: Xero's event batches are a few KB.
        "WEBHOOK_MAX_CONTENT_LENGTH": int(os.environ.get("WEBHOOK_MAX_CONTENT_LENGTH", str(64 * 1024))),
        # Invoices' supporting files and expenses' receipts: the folder that keeps them (never
        # under static/ or any served path; made on first upload) and the largest file taken.
        # Xero takes at most 10 MB per attachment through the API (XERO_API_NOTES.md §19).
        "ATTACHMENTS_FOLDER": os.environ.get("ATTACHMENTS_FOLDER", "").strip() or str(INSTANCE_DIR / "attachments"),
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        # Login throttling (Flask-Limiter): "memory://" counts per process, which is right for
        # one machine; several machines must share one store, e.g. "redis://host:6379/0".
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Failed or not, login posts allowed per email and per client address.
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
    }


def _base_currency() -> str:
    """BRIDGE_BASE_CURRENCY, refused at start-up unless it is an ISO 4217 currency in use."""
    code = os.environ.get("BRIDGE_BASE_CURRENCY", "EUR").strip().upper()
    if code not in iso_currencies():
        raise ValueError(f"BRIDGE_BASE_CURRENCY={code} is not an ISO 4217 currency in use: set a code "
                         "such as EUR, USD or GBP.")
    return code


def _optional_bool(name: str) -> bool | None:
    """A yes/no environment variable, or None when it is not set."""
    return None if os.environ.get(name) is None else _bool(name, False)


def _poll_seconds() -> int:
    """XERO_POLL_SECONDS, at least 1."""
    return max(1, int(os.environ.get("XERO_POLL_SECONDS", "300")))
