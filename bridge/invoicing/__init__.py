"""Invoices with their lines, expenses, and the local PDFs."""
from flask import Blueprint

bp = Blueprint("invoicing", __name__)

from bridge.invoicing import routes  # noqa: E402,F401
