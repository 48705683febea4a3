"""Security sweep fixtures: a workspace with one row of every kind (so routes are built with
real ids), its free text chosen by the test, and a snapshot of every table."""
from decimal import Decimal

import pytest

from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.billing.service import LineData
from bridge.models import WorkspaceSettings
from tests.invoicing import factories
from tests.workspace.conftest import admin, member, make_budget, make_expense  # noqa: F401  (fixtures)

# Every column of the sweep's workspace that a person typed carries this text, so a page
# that shows any of it unescaped is found.
XSS = "<script>alert(1)</script>\"'<b onclick=x>"
RAW_MARKERS = ("<script>alert(1)", "<b onclick")


def build_workspace(text: str) -> dict:
    """A client, service type, tax rate, custom field (+ value), invoice, budget and expense,
    every free-text column holding `text`; returns the ids the URL map asks for."""
    # Invoice numbers come from an admin-typed pattern, so they carry the text too.
    # So do the billing entity's details, as its PDFs and Settings > Billing entities show them.
    db.session.add(WorkspaceSettings(id=1))
    entity = first_entity()
    entity.name, entity.address, entity.tax_number = f"{text} entity"[:255], text, text[:50]
    entity.bank_details, entity.payment_terms = text, text
    entity.invoice_number_pattern = f"{text}"[:50] + "{seq}"
    company = factories.company(f"{text} client", email=None, tax_number=text[:50], address=text)
    service = factories.service_type(f"{text} service"[:120])
    tax = factories.tax_rate(f"{text} tax"[:120], "20")
    field = factories.custom_field(f"{text} field"[:120])
    invoice = factories.invoice(
        company, subject=f"{text} subject", purchase_order_number=text[:60], notes=text,
        lines=[LineData(f"{text} line", Decimal("2"), Decimal("50.00"), Decimal("10"), service.id, tax.id)],
    )
    factories.custom_value(invoice, field, f"{text} value")
    budget = make_budget(f"{text} budget", client=company)
    expense = make_expense(budget, description=f"{text} expense", supplier=company, service_type=service,
                           reference=text[:60])
    db.session.commit()
    return {
        "invoice_id": invoice.id, "field_id": field.id, "company_id": company.id,
        "budget_id": budget.id, "expense_id": expense.id, "entity_id": entity.id, "pending_id": "no-such-consent",
        "filename": "css/bridge.css",
        ("workspace.settings_service_type", "item_id"): service.id,
        ("workspace.settings_tax_rate", "item_id"): tax.id,
        ("workspace.settings_custom_field", "item_id"): field.id,
    }


@pytest.fixture
def ids(app, users):
    return build_workspace("Plain")


def snapshot() -> dict:
    """Every row of every table, for "nothing changed" checks."""
    db.session.expire_all()
    return {
        table.name: sorted(map(repr, db.session.execute(table.select()).all()))
        for table in db.metadata.sorted_tables
    }
