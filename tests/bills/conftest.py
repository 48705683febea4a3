"""Expenses sent to Xero as bills, against the Xero sandbox over real HTTP: Demo Company (NZ)
connected and set up with expense export on (default expense account 429, service type
Printing -> 310, tax on bills INPUT2 15%), and a budget with expenses of two suppliers."""
import datetime as dt
import functools
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy import select

from bridge.extensions import db
from bridge.xero.settings import reference
from bridge.xero.settings import setup
from bridge.xero.settings.setup import Setup
from bridge.models import Budget, Company, Expense, ServiceType, XeroCopy
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.copy.conftest import recorded, text  # noqa: F401  (helpers)
from tests.marketplace.conftest import NZ, fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin, member  # noqa: F401  (fixtures)

DEFAULT_ACCOUNT, PRINTING_ACCOUNT, TAX = "429", "310", "INPUT2"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Retries and rate-limit waits do not sleep (they are counted)."""
    sleeps = []
    for module in ("bridge.xero.sending.attempt", "bridge.xero.sending.contacts", "bridge.xero.bills.batch",
                   "bridge.xero.sending.attachments"):
        monkeypatch.setattr(f"{module}.XeroClient", functools.partial(XeroClient, sleep=sleeps.append))
    return sleeps


@pytest.fixture
def workspace(app):
    """Two suppliers (one already in Xero by name), a service type Printing, a budget in NZD."""
    northwind = Company(name="Northwind Studio", default_currency="NZD")
    paper = Company(name="Paper & Ink Co", email="billing@paper.example", default_currency="NZD")
    printing = ServiceType(name="Printing")
    budget = Budget(name="Launch campaign", currency="NZD")
    db.session.add_all([northwind, paper, printing, budget])
    db.session.commit()
    return {"northwind": northwind, "paper": paper, "printing": printing, "budget": budget}


def configure(**answers) -> None:
    """Save the Xero settings as the wizard would, expense export on."""
    printing = db.session.scalar(select(ServiceType).where(ServiceType.name == "Printing"))
    values = dict(invoice_numbers_by="bridge", pdfs_by="bridge", initial_status="AUTHORISED",
                  reference_from="subject", default_revenue_account_code="200",
                  export_expenses=True, default_expense_account_code=DEFAULT_ACCOUNT,
                  expense_tax_type=TAX, expense_accounts={printing.id: PRINTING_ACCOUNT})
    values.update(answers)
    setup.save(Setup(**values), None)


@pytest.fixture
def connected(xero, workspace):
    """Demo Company (NZ) connected through the consent screen, set up, reference data cached."""
    xero.connect(tick=[NZ])
    reference.refresh(NZ_TENANT)
    configure()
    return xero


def make_expense(workspace, **fields) -> Expense:
    values = dict(budget_id=workspace["budget"].id, description="Flyers, 500 copies",
                  reference="PI-1001", supplier_id=workspace["paper"].id,
                  service_type_id=workspace["printing"].id, quantity=Decimal("1"),
                  amount=Decimal("200.00"), markup_percent=Decimal("20"), currency="NZD",
                  date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1))
    values.update(fields)
    expense = Expense(**values)
    db.session.add(expense)
    db.session.commit()
    return expense


@pytest.fixture
def expense(workspace):
    return make_expense(workspace)


def post_send(http, expense, *, key: str | None = None, action="create", hx=True):
    data = {"attempt_key": key or str(uuid4()), "action": action}
    return http.post(f"/expenses/{expense.id}/xero", data=data,
                     headers={"HX-Request": "true"} if hx else {})


def sandbox_bills() -> list[dict]:
    """The bills Bridge made in the sandbox (their Url links back to Bridge), oldest first."""
    with XeroClient(NZ_TENANT) as client:
        return [i for i in client.get_invoices(where='Type=="ACCPAY"') if "xero_copy=" in (i.get("Url") or "")]


def bill_rows() -> list[XeroCopy]:
    db.session.expire_all()
    return list(db.session.scalars(select(XeroCopy).where(XeroCopy.expense_id.is_not(None)).order_by(XeroCopy.id)))
