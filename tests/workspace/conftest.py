"""Helpers for the workspace tests: admin/member clients, rows made directly, errors read from pages."""
import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from bridge.extensions import db
from bridge.models import Budget, Company, CustomField, CustomFieldValue, Expense, Invoice, ServiceType, TaxRate


def field_errors(response) -> list[str]:
    """The messages shown next to fields (`<small class="error">`)."""
    return [html.unescape(m) for m in re.findall(r'<small class="error">([^<]*)</small>', response.get_data(as_text=True))]


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def admin(client, auth):
    """A client logged in as the admin."""
    auth.login()
    return client


@pytest.fixture
def member(client, auth):
    """A client logged in as the member."""
    auth.login("member")
    return client


def add(row):
    db.session.add(row)
    db.session.commit()
    return row


def make_company(name="Acme Ltd", **values) -> Company:
    return add(Company(name=name, default_currency=values.pop("default_currency", "EUR"), **values))


def make_budget(name="Website", client=None, currency="EUR") -> Budget:
    return add(Budget(name=name, client=client, currency=currency))


def make_expense(budget, amount="100.00", currency=None, **values) -> Expense:
    return add(Expense(
        budget=budget, description=values.pop("description", "Stock photos"), amount=Decimal(amount),
        currency=currency or budget.currency, date=values.pop("date", dt.date(2026, 3, 1)), **values,
    ))


def make_service_type(name="Design", archived=False) -> ServiceType:
    return add(ServiceType(name=name, archived=archived))


def make_tax_rate(name="VAT 20%", percentage="20", archived=False) -> TaxRate:
    return add(TaxRate(name=name, percentage=Decimal(percentage), archived=archived))


def make_custom_field(name="Accountant note", field_type="text", options_text=None, position=0) -> CustomField:
    return add(CustomField(name=name, field_type=field_type, options_text=options_text, position=position))


def give_value(field: CustomField, value: str = "x") -> CustomFieldValue:
    """Attach a value of `field` to a new invoice (an invoice needs a client)."""
    company = db.session.scalar(db.select(Company).limit(1)) or make_company("Invoice client")
    invoice = add(Invoice(
        number=f"T-{count(Invoice) + 1}", subject="Work", client_id=company.id, currency="EUR",
        issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 1, 31),
    ))
    return add(CustomFieldValue(invoice_id=invoice.id, field_id=field.id, value=value))
