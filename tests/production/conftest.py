"""Production-shaped fixtures: a PostgreSQL schema of its own, the Xero sandbox as a process,
and the Fernet key the gunicorn workers share with this process."""
import pytest
from cryptography.fernet import Fernet

from tests.payments.pg import pg_schema
from tests.servers import SandboxProcess
from tests.xero.consent import REDIRECT


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema (dropped after); skips outside CI when PostgreSQL is away."""
    with pg_schema("production") as url:
        yield url


@pytest.fixture
def sandbox_process(tmp_path):
    with SandboxProcess(tmp_path, REDIRECT) as sandbox:
        yield sandbox


@pytest.fixture
def token_key() -> str:
    return Fernet.generate_key().decode()
