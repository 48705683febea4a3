"""Sandbox fixtures: an app on a temp SQLite file (a copy of a database seeded once per
session), a client, the OAuth helper and the contract-checked API helper.

These fixtures are the sandbox's own; Bridge's fixtures in tests/conftest.py are not used.
"""
import shutil
from pathlib import Path

import pytest

from bridge.xero_sandbox import create_app
from bridge.xero_sandbox.db import db
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT

from .contract import Contract
from .helpers import DB_NAME, Api, OAuth, sandbox_config


@pytest.fixture(scope="session")
def contract() -> Contract:
    """The official specs, loaded once per session."""
    return Contract()


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """A freshly seeded sandbox database, built once and copied for each test."""
    folder = tmp_path_factory.mktemp("sandbox-seed")
    app = create_app(sandbox_config(folder))
    with app.app_context():
        db.engine.dispose()  # closes the last connection: SQLite folds the WAL into the file
    return folder / DB_NAME


@pytest.fixture
def make_app(tmp_path, seeded_database):
    """Build sandbox apps holding the seed data, with configuration overrides."""
    made = []

    def build(**overrides):
        folder = tmp_path / f"app{len(made)}"
        folder.mkdir()
        shutil.copyfile(seeded_database, folder / DB_NAME)
        made.append(create_app(sandbox_config(folder, **overrides)))
        return made[-1]

    yield build
    for built in made:
        with built.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """A sandbox app with its own temp database, holding the seed data."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def oauth(client, contract) -> OAuth:
    return OAuth(client, contract)


@pytest.fixture
def connected(oauth) -> dict:
    """A consent for both demo organisations: tokens and tenant ids."""
    return oauth.connect(tenants=(NZ_TENANT, AU_TENANT))


@pytest.fixture
def api(client, contract, connected) -> Api:
    """An API helper for the NZ demo organisation."""
    return Api(client, contract, connected["access_token"], NZ_TENANT)
