"""Xero's official OpenAPI files, read where they are shared (never copied into the repo).

shared/ sits beside the repository, here and in CI; XERO_SPEC_DIR overrides. Outside CI
a missing spec skips the contract checks with the reason; in CI it fails them.
"""
import copy
import functools
import os
from pathlib import Path

import pytest
import yaml
from openapi_core import Config, OpenAPI

SPEC_DIR = Path(
    os.environ.get("XERO_SPEC_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "xero" / "spec"
)
ACCOUNTING_FILE = SPEC_DIR / "xero_accounting.yaml"
IDENTITY_FILE = SPEC_DIR / "xero-identity.yaml"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def available() -> bool:
    return ACCOUNTING_FILE.exists() and IDENTITY_FILE.exists()


def require() -> None:
    """Skip (outside CI) or fail (in CI) when the spec files are not there."""
    if available():
        return
    message = f"Xero's OpenAPI files are not in {SPEC_DIR}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _load(path: Path) -> OpenAPI:
    # The accounting file fails openapi-spec-validator (booleans with string defaults such
    # as default: "false"), so the document check is off; request/response validation works.
    return OpenAPI.from_file_path(str(path), config=Config(spec_validator_cls=None))


@functools.cache
def accounting() -> OpenAPI:
    return _load(ACCOUNTING_FILE)


@functools.cache
def identity() -> OpenAPI:
    return _load(IDENTITY_FILE)


@functools.cache
def identity_schemas() -> dict:
    return yaml.safe_load(IDENTITY_FILE.read_text())["components"]["schemas"]


@functools.cache
def _accounting_document() -> dict:
    return yaml.load(ACCOUNTING_FILE.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def request_example(path: str, method: str) -> dict:
    """The example request body the accounting spec gives for an operation (a fresh copy)."""
    operation = _accounting_document()["paths"][path][method.lower()]
    return copy.deepcopy(operation["requestBody"]["content"]["application/json"]["example"])
