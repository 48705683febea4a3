"""Clients (companies), service types, tax rates, custom fields, budgets and workspace settings."""
from flask import Blueprint

bp = Blueprint("workspace", __name__)

from bridge.workspace import budgets, clients, common, entities, expenses, organisation, settings  # noqa: E402,F401
