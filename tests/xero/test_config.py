"""Xero settings: real Xero when both credentials are set, else the sandbox; one place."""
import stat

import pytest
import responses
from cryptography.fernet import Fernet

from bridge import config
from bridge.xero.api.client import XeroClient
from tests.xero.payloads import TENANT_ID, organisation

XERO_VARIABLES = (
    "XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_SANDBOX_URL", "XERO_SCOPES",
    "XERO_TOKEN_KEY", "XERO_TIMEOUT", "XERO_CALLS_PER_MINUTE", "XERO_AUTHORIZE_URL",
    "XERO_TOKEN_URL", "XERO_REVOCATION_URL", "XERO_CONNECTIONS_URL", "XERO_API_URL",
)


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment for the Xero variables, and a private instance/ folder."""
    for name in XERO_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    monkeypatch.setenv("SECRET_KEY", "test")
    return monkeypatch


def test_without_credentials_the_sandbox_and_its_demo_client(env):
    settings = config.from_environment()
    assert settings["XERO_CLIENT_ID"] == "bridge-demo"
    assert settings["XERO_CLIENT_SECRET"] == "sandbox-demo-secret-not-a-real-credential"
    assert settings["XERO_AUTHORIZE_URL"] == "http://127.0.0.1:5050/identity/connect/authorize"
    assert settings["XERO_TOKEN_URL"] == "http://127.0.0.1:5050/connect/token"
    assert settings["XERO_REVOCATION_URL"] == "http://127.0.0.1:5050/connect/revocation"
    assert settings["XERO_CONNECTIONS_URL"] == "http://127.0.0.1:5050/connections"
    assert settings["XERO_API_URL"] == "http://127.0.0.1:5050/api.xro/2.0"


def test_sandbox_url_moves_every_endpoint(env):
    env.setenv("XERO_SANDBOX_URL", "http://sandbox.internal:8080/")
    settings = config.from_environment()
    assert settings["XERO_TOKEN_URL"] == "http://sandbox.internal:8080/connect/token"
    assert settings["XERO_API_URL"] == "http://sandbox.internal:8080/api.xro/2.0"


def test_with_credentials_real_xero(env):
    env.setenv("XERO_CLIENT_ID", "ABC123")
    env.setenv("XERO_CLIENT_SECRET", "s3cret")
    env.setenv("XERO_SANDBOX_URL", "http://ignored:1")
    settings = config.from_environment()
    assert (settings["XERO_CLIENT_ID"], settings["XERO_CLIENT_SECRET"]) == ("ABC123", "s3cret")
    assert settings["XERO_AUTHORIZE_URL"] == "https://login.xero.com/identity/connect/authorize"
    assert settings["XERO_TOKEN_URL"] == "https://identity.xero.com/connect/token"
    assert settings["XERO_REVOCATION_URL"] == "https://identity.xero.com/connect/revocation"
    assert settings["XERO_CONNECTIONS_URL"] == "https://api.xero.com/connections"
    assert settings["XERO_API_URL"] == "https://api.xero.com/api.xro/2.0"


def test_each_url_can_be_overridden(env):
    env.setenv("XERO_API_URL", "http://proxy.local/api.xro/2.0")
    settings = config.from_environment()
    assert settings["XERO_API_URL"] == "http://proxy.local/api.xro/2.0"
    assert settings["XERO_TOKEN_URL"] == "http://127.0.0.1:5050/connect/token"


def test_one_credential_alone_is_refused(env):
    env.setenv("XERO_CLIENT_ID", "ABC123")
    with pytest.raises(ValueError, match="both XERO_CLIENT_ID and XERO_CLIENT_SECRET"):
        config.from_environment()


@pytest.mark.parametrize("value, expected", [
    (None, "openid profile email offline_access accounting.settings.read "
           "accounting.contacts accounting.transactions accounting.attachments"),
    ("legacy", "openid profile email offline_access accounting.settings.read "
               "accounting.contacts accounting.transactions accounting.attachments"),
    ("granular", "openid profile email offline_access accounting.settings.read "
                 "accounting.contacts accounting.invoices accounting.payments.read accounting.attachments"),
    ("offline_access  accounting.invoices.read", "offline_access accounting.invoices.read"),
])
def test_scopes(env, value, expected):
    if value is not None:
        env.setenv("XERO_SCOPES", value)
    assert config.from_environment()["XERO_SCOPES"] == expected


def test_scopes_without_offline_access_are_refused(env):
    env.setenv("XERO_SCOPES", "openid accounting.transactions")
    with pytest.raises(ValueError, match="offline_access"):
        config.from_environment()


def test_defaults_for_timeout_and_budget(env):
    settings = config.from_environment()
    assert settings["XERO_TIMEOUT"] == 20
    assert settings["XERO_CALLS_PER_MINUTE"] == 55


def test_token_key_generated_once_and_private(env):
    first = config.from_environment()["XERO_TOKEN_KEY"]
    key_file = config.INSTANCE_DIR / "xero_token_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.from_environment()["XERO_TOKEN_KEY"] == first
    Fernet(first)  # a usable key
    assert [p.name for p in config.INSTANCE_DIR.iterdir()] == ["xero_token_key"]


def test_token_key_from_environment_must_be_a_fernet_key(env):
    key = Fernet.generate_key().decode()
    env.setenv("XERO_TOKEN_KEY", key)
    assert config.from_environment()["XERO_TOKEN_KEY"] == key
    env.setenv("XERO_TOKEN_KEY", "not-a-key")
    with pytest.raises(ValueError, match="Fernet"):
        config.from_environment()


def test_client_uses_the_sandbox_urls_from_config(app, env, sleeps):
    """Nothing outside config knows about the sandbox: the client just uses other URLs."""
    from tests.xero.conftest import add_connection

    settings = config.from_environment()
    app.config.update({k: v for k, v in settings.items() if k.startswith("XERO_")})
    add_connection(app)
    with responses.RequestsMock() as mock:
        mock.get("http://127.0.0.1:5050/api.xro/2.0/Organisation", json=organisation())
        XeroClient(TENANT_ID, sleep=sleeps.append).get_organisation()
        assert mock.calls[0].request.headers["xero-tenant-id"] == TENANT_ID
