"""Real servers on free loopback ports for integration and browser tests: Bridge, and the
Xero sandbox that Bridge talks to over real HTTP."""
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from bridge.config import XERO_SANDBOX_PATHS

SANDBOX_CLIENT = {"id": "bridge-tests", "secret": "bridge-tests-secret"}


class LiveServer:
    """A WSGI app served by werkzeug in a thread, on a free port."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


class Sandbox(LiveServer):
    """The Xero sandbox on a real port; `bridge_config()` points Bridge at it."""

    def allow_redirect(self, uri: str) -> None:
        """Register a redirect URI for Bridge's test client (ports are only known at run time)."""
        self.app.config["SANDBOX_CLIENTS"][SANDBOX_CLIENT["id"]]["redirect_uris"].append(uri)

    def bridge_config(self) -> dict:
        urls = {key: self.url + path for key, path in XERO_SANDBOX_PATHS.items()}
        return {"XERO_CLIENT_ID": SANDBOX_CLIENT["id"], "XERO_CLIENT_SECRET": SANDBOX_CLIENT["secret"], **urls}

    def control(self, path: str, **payload):
        """Call the sandbox's test-control API (advance the clock, inject faults, …)."""
        import requests

        response = requests.post(f"{self.url}/_sandbox/{path.lstrip('/')}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None


@pytest.fixture(scope="session")
def sandbox_seed(tmp_path_factory):
    """A seeded sandbox database, built once per run and copied for each test."""
    from bridge.xero_sandbox import create_app
    from bridge.xero_sandbox.db import db as sandbox_db

    path = tmp_path_factory.mktemp("sandbox-seed") / "sandbox.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        sandbox_db.engine.dispose()
    return path


@pytest.fixture
def xero_sandbox(sandbox_seed, tmp_path):
    """A fresh, seeded Xero sandbox on a free port, with the control API on."""
    from bridge.xero_sandbox import create_app
    from bridge.xero_sandbox.db import db as sandbox_db

    path = tmp_path / "sandbox.sqlite"
    shutil.copyfile(sandbox_seed, path)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SANDBOX_CONTROL_ENABLED": True,
        "SANDBOX_CLIENTS": {SANDBOX_CLIENT["id"]: {
            "name": "Bridge (tests)", "secret": SANDBOX_CLIENT["secret"], "redirect_uris": []}},
    })
    with Sandbox(app) as sandbox:
        yield sandbox
    with app.app_context():
        sandbox_db.engine.dispose()
