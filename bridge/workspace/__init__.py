"""Clients (companies), service types, tax rates, custom fields, budgets and workspace settings."""
from flask import Blueprint

bp = Blueprint("workspace", __name__)

from bridge.xero.explain import details  # noqa: E402

bp.add_app_template_filter(details, "xero_details")

from bridge.workspace import budgets, clients, common, expense_bills, expenses, settings  # noqa: E402,F401
